import Glibc

/// Keeps a spawned `dupelink` from inheriting the test process's other descriptors.
///
/// Tests run in parallel in one process: a descriptor that one test has open for writing without
/// `O_CLOEXEC` (Foundation's, a helper's) would otherwise stay open in every child spawned
/// meanwhile by another test, and `link` rightly refuses a file that some process has open for
/// writing. glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34) is a GNU extension that
/// Swift's Glibc module does not import, so it is looked up at run time.
enum SpawnHygiene {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// Adds "close every descriptor from 3 up" to `actions`, after the actions already in it;
    /// does nothing where the C library lacks it.
    static func closeInheritedDescriptors(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>) {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: CloseFrom.self)(actions, 3)
    }
}
