extension ScanResult {
    /// The scan with the mount of every directory that holds a class member learnt again from the
    /// disk, for a table rebuilt from a saved scan or a reviewed report, which keeps no mounts:
    /// the planner can then keep names on two mounts of one filesystem apart, and refuse names on
    /// overlayfs, as it does for a fresh scan.
    ///
    /// Each directory is opened as the linker opens it (`DirectoryHandle.open`: one component at a
    /// time, no symbolic link followed, its identity checked). A directory that cannot be opened so
    /// keeps an unknown mount: the planner then goes by device for its classes, and the linker,
    /// which checks the mount and the filesystem type of every directory it opens, refuses such a
    /// pair itself.
    ///
    /// Touches the disk: opens directories and asks `statx` and `fstatfs` about them; reads no file
    /// and changes nothing.
    package func resolvingMounts() -> ScanResult {
        var result = self
        var resolved = Set<Int32>()
        for duplicateClass in classes {
            for member in duplicateClass.members {
                for name in member.names {
                    let directory = files[Int(name)].directory
                    guard resolved.insert(directory).inserted else { continue }
                    do {
                        let handle = try DirectoryHandle.open(directory: directory, in: table)
                        result.table.setMount(DirectoryMount.of(handle.descriptor), ofDirectory: directory)
                    } catch {
                        // Left unknown; the linker opens it again and says why.
                    }
                }
            }
        }
        return result
    }
}
