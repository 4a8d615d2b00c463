/// How many threads and open files the process's descriptor limit (`ulimit -n`) allows.
///
/// Every reader holds the files it reads side by side (the content stage's fan-out), its last
/// directory, and two more while it opens a directory chain; every walk thread a few directory
/// streams. A run with more threads than the limit allows would fail to open files once it is
/// reached and leave them out; it runs with fewer instead. `reserved` descriptors stay for the
/// catalog (database, WAL, shared memory, lock), the journal, the linker's directories, the
/// summary file and standard streams.
package struct DescriptorBudget: Sendable, Hashable {
    /// Descriptors that may still be opened, beyond the reserve.
    package var spare: Int

    /// Kept for the catalog, the journal, the linker and the standard streams.
    package static let reserved = 16
    /// What a reader holds besides the files it reads side by side.
    static let perReader = 4
    /// What a walk thread may hold.
    static let perWalkThread = 8

    /// A budget of `spare` descriptors open-able now (see `Syscalls.spareDescriptors`).
    package init(spare: Int) {
        self.spare = max(0, spare - Self.reserved)
    }

    /// At most `threads` walk threads, at least one.
    package func walkThreads(_ threads: Int) -> Int {
        max(1, min(threads, spare / Self.perWalkThread))
    }

    /// At most `readers` readers reading at most `fanOut` files side by side; both shrink, readers
    /// first, down to one reader of two files.
    package func readers(_ readers: Int, fanOut: Int) -> (readers: Int, fanOut: Int) {
        let fitting = spare / (fanOut + Self.perReader)
        if fitting >= 1 { return (min(readers, fitting), fanOut) }
        return (1, max(2, min(fanOut, spare - Self.perReader)))
    }
}
