import SystemPackage

extension FileAttributes {
    /// Reads the extended attributes and inode flags of an open file.
    ///
    /// Read through a descriptor, never a path: the caller opened it below its root without
    /// following a symbolic link and checked it is the inode it means. Touches the disk: reads
    /// metadata only.
    /// - Throws: the `Errno` of the first call that failed (`EPERM`, `EACCES`, `EIO`...); a
    ///   filesystem without extended attributes or flags is not a failure.
    package static func read(from descriptor: FileDescriptor) throws(Errno) -> FileAttributes {
        let flags = try Syscalls.inodeFlags(of: descriptor)
        guard let names = try Syscalls.extendedAttributeNames(of: descriptor) else {
            return FileAttributes(extended: [], flags: flags, supportsExtended: false)
        }
        var attributes: [Attribute] = []
        attributes.reserveCapacity(names.count)
        for name in names {
            // Removed between listing and reading: it is not there.
            guard let value = try Syscalls.extendedAttribute(name, of: descriptor) else { continue }
            attributes.append(Attribute(name: name, value: value))
        }
        return FileAttributes(extended: attributes, flags: flags)
    }
}
