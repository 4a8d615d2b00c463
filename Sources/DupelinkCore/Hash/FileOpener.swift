import Glibc
import SystemPackage

/// Opens the regular files that the walk found, for reading, and checks that each is still the
/// inode the walk saw.
///
/// A short path is opened in one call (its last component with `O_NOFOLLOW`); a path at or past
/// `PATH_MAX` is reached one directory at a time. Either way the descriptor is `fstat`ed and must
/// name the walked inode with the walked size and mtime, so whatever happened to the path in
/// between, the bytes read are the bytes of the file that was listed.
struct FileOpener: Sendable {
    let table: PathTable
    let files: [FileRecord]

    /// Opens the file at `index` and returns its descriptor and current status.
    ///
    /// - Throws: `DupelinkError` with `.ioError` when it cannot be opened, or `.fileChanged` when
    ///   it is no longer the walked inode or its size or mtime changed.
    func open(_ index: Int32) throws(DupelinkError) -> (FileDescriptor, FileStatus) {
        let record = files[Int(index)]
        let path = table.path(ofFile: record)
        let descriptor: FileDescriptor
        do {
            if path.count < Int(PATH_MAX) {
                descriptor = try path.withUnsafeBufferPointer { (bytes) throws(Errno) -> FileDescriptor in
                    var cPath = [CChar](repeating: 0, count: bytes.count + 1)
                    for i in 0..<bytes.count { cPath[i] = CChar(bitPattern: bytes[i]) }
                    return try Syscalls.openForReading(cPath, in: Syscalls.currentDirectory)
                }
            } else {
                let directory = try DirectoryHandle.open(directory: record.directory, in: table)
                descriptor = try table.withCName(start: record.nameStart) { (name) throws(Errno) -> FileDescriptor in
                    try Syscalls.openForReading(name, in: directory.descriptor)
                }
            }
        } catch let error as Errno {
            if error == .tooManySymbolicLinkLevels {
                throw DupelinkError(.fileChanged, path: path, detail: "now a symbolic link")
            }
            throw DupelinkError(.ioError, path: path, errno: error, operation: "open")
        } catch let error as DupelinkError {
            throw error
        } catch {
            throw DupelinkError(.ioError, path: path, operation: "open")
        }
        let status: FileStatus
        do {
            status = try Syscalls.status(of: descriptor)
        } catch {
            Syscalls.closeQuietly(descriptor)
            throw DupelinkError(.ioError, path: path, errno: error, operation: "stat")
        }
        let walked = record.status
        guard status.kind == .regular, status.id == walked.id, status.size == walked.size,
            status.modificationTime == walked.modificationTime
        else {
            Syscalls.closeQuietly(descriptor)
            throw DupelinkError(.fileChanged, path: path, detail: "changed during the scan")
        }
        return (descriptor, status)
    }
}
