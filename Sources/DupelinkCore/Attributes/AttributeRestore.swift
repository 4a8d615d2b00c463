import SystemPackage

/// What `undo` and `split` give the copy they make for a name, beyond its bytes: the attributes
/// and flags the name had, and nothing it did not.
///
/// Only `user.*` attributes can have differed between a duplicate and the file it was linked to
/// (and only under `--ignore-xattrs`); everything else — ACLs, capabilities, security labels,
/// `trusted.*`, flags — was equal, so the copy takes those from the file it is copied from, and
/// from the journal only `user.*`, which grants nothing. A journal can therefore never give a copy
/// a capability, a label or an ACL that the shared file does not carry now.
enum AttributeRestore {
    /// The attributes and flags for a copy of a file that has `current`: its own, with the
    /// `user.*` attributes of `journaled` instead when the journal kept the original's.
    /// Immutable and append-only are never given (such a file is never linked).
    static func target(current: FileAttributes, journaled: FileAttributes?) -> FileAttributes {
        var extended = current.extended.filter { $0.kind != .user }
        extended += (journaled ?? current).extended.filter { $0.kind == .user }
        let flags = current.flags & ~(FileAttributes.immutableFlag | FileAttributes.appendOnlyFlag)
        return FileAttributes(extended: extended, flags: flags, supportsExtended: current.supportsExtended)
    }

    /// Why `undo` may not give a copy of the shared file `current` the owner and mode the journal
    /// says the name had (`restore`), or nil.
    ///
    /// A copy is never given to root when the shared file is not root's, and never gets
    /// set-user-ID or set-group-ID bits unless the shared file has the same bits with the same
    /// owner and group: linking never joins such files otherwise, so a journal that asks for it
    /// was not written by `link`.
    static func privilegeViolation(restore: FileStatus, current: FileStatus) -> String? {
        if restore.userID == 0 && current.userID != 0 {
            return "the journal gives it to root, who does not own the file it holds now"
        }
        let setID = restore.permissions & 0o6000
        if setID != 0
            && (setID != current.permissions & 0o6000 || restore.userID != current.userID
                || restore.groupID != current.groupID)
        {
            return "the journal asks for set-user-ID or set-group-ID bits the file it holds now does not have under that owner"
        }
        return nil
    }

    /// Gives `copy`, still empty, the flags of `attributes` (some, like nocow, take effect only
    /// on an empty file), keeping the flags the kernel set on it by itself.
    /// - Throws: the `Errno` of the call that failed.
    static func setFlags(_ attributes: FileAttributes, on copy: FileDescriptor) throws(Errno) {
        let present = try Syscalls.inodeFlags(of: copy)
        let wanted = (present & FileAttributes.kernelFlags) | attributes.flags
        if wanted != present { try Syscalls.setInodeFlags(wanted, of: copy) }
    }

    /// Gives `copy` the extended attributes of `attributes` but its capability, and removes any it
    /// has that they lack (an ACL inherited from the directory's default ACL, say). Call before
    /// the owner, mode and times are set.
    /// - Throws: the `Errno` of the call that failed (`EPERM` for a user who may not set a
    ///   `security.*` or `trusted.*` attribute).
    static func setExtendedAttributes(_ attributes: FileAttributes, on copy: FileDescriptor) throws(Errno) {
        guard attributes.supportsExtended, let names = try Syscalls.extendedAttributeNames(of: copy) else { return }
        let wanted = attributes.extended.filter { $0.kind != .capability }
        let wantedNames = Set(wanted.map(\.name))
        for name in names where !wantedNames.contains(name) {
            try Syscalls.removeExtendedAttribute(name, of: copy)
        }
        for attribute in wanted where try Syscalls.extendedAttribute(attribute.name, of: copy) != attribute.value {
            try Syscalls.setExtendedAttribute(attribute.name, to: attribute.value, of: copy)
        }
    }

    /// Gives `copy` the capability of `attributes`, if any. Call last: changing the owner clears it.
    /// - Throws: the `Errno` of the call that failed.
    static func setCapability(_ attributes: FileAttributes, on copy: FileDescriptor) throws(Errno) {
        for attribute in attributes.extended where attribute.kind == .capability {
            try Syscalls.setExtendedAttribute(attribute.name, to: attribute.value, of: copy)
        }
    }
}
