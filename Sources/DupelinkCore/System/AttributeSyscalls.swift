import CLinux
import Glibc
import SystemPackage

extension Syscalls {
    /// The names of the extended attributes of an open file that this process may list, each as
    /// raw bytes without its terminating NUL (every namespace: `user.*`, `trusted.*` for root,
    /// `security.*`, and `system.posix_acl_*` for ACLs), or nil where the filesystem keeps none
    /// (`EOPNOTSUPP`).
    ///
    /// Retries on `EINTR`, and on `ERANGE` when the list grew between measuring and reading it.
    /// - Throws: the `Errno` that `flistxattr` set, other than `EOPNOTSUPP`.
    ///
    /// The corresponding C function is `flistxattr`.
    package static func extendedAttributeNames(of descriptor: FileDescriptor) throws(Errno) -> [[UInt8]]? {
        while true {
            let needed: Int
            do {
                needed = try retryingInterrupts { flistxattr(descriptor.rawValue, nil, 0) }
            } catch where error.rawValue == EOPNOTSUPP {
                return nil
            }
            if needed == 0 { return [] }
            var list = [CChar](repeating: 0, count: needed)
            let count: Int
            do {
                count = try retryingInterrupts { flistxattr(descriptor.rawValue, &list, list.count) }
            } catch where error.rawValue == ERANGE {
                continue
            }
            return list[0..<count].split(separator: 0, omittingEmptySubsequences: true).map {
                $0.map { UInt8(bitPattern: $0) }
            }
        }
    }

    /// The value of the extended attribute `name` of an open file, or nil when it has none by
    /// that name (it was removed after it was listed).
    ///
    /// Retries on `EINTR`, and on `ERANGE` when the value grew between measuring and reading it.
    /// - Throws: the `Errno` that `fgetxattr` set, other than `ENODATA`.
    ///
    /// The corresponding C function is `fgetxattr`.
    package static func extendedAttribute(_ name: [UInt8], of descriptor: FileDescriptor) throws(Errno) -> [UInt8]? {
        let cName = name.cString
        while true {
            let needed: Int
            do {
                needed = try retryingInterrupts { fgetxattr(descriptor.rawValue, cName, nil, 0) }
            } catch where error.rawValue == ENODATA {
                return nil
            }
            if needed == 0 { return [] }
            var value = [UInt8](repeating: 0, count: needed)
            let count: Int
            do {
                count = try retryingInterrupts { fgetxattr(descriptor.rawValue, cName, &value, value.count) }
            } catch where error.rawValue == ERANGE {
                continue
            } catch where error.rawValue == ENODATA {
                return nil
            }
            return Array(value[0..<count])
        }
    }

    /// Sets the extended attribute `name` of an open file to `value`, creating or replacing it.
    ///
    /// Touches the disk. Retries on `EINTR`.
    /// - Throws: the `Errno` that `fsetxattr` set.
    ///
    /// The corresponding C function is `fsetxattr`.
    package static func setExtendedAttribute(_ name: [UInt8], to value: [UInt8], of descriptor: FileDescriptor) throws(Errno) {
        let cName = name.cString
        _ = try retryingInterrupts { value.withUnsafeBytes({ fsetxattr(descriptor.rawValue, cName, $0.baseAddress, $0.count, 0) }) }
    }

    /// The inode flags of an open file as `chattr` sets them (`FS_IOC_GETFLAGS`), or 0 where the
    /// filesystem keeps none (`ENOTTY`, `EOPNOTSUPP`, `EINVAL`, `ENOSYS`).
    ///
    /// Retries on `EINTR`.
    /// - Throws: the `Errno` that `ioctl` set otherwise.
    ///
    /// The corresponding C function is `ioctl(FS_IOC_GETFLAGS)`.
    package static func inodeFlags(of descriptor: FileDescriptor) throws(Errno) -> UInt32 {
        var flags: UInt32 = 0
        do {
            _ = try retryingInterrupts { dl_get_inode_flags(descriptor.rawValue, &flags) }
        } catch where [ENOTTY, EOPNOTSUPP, EINVAL, ENOSYS].contains(error.rawValue) {
            return 0
        }
        return flags
    }

    /// Removes the extended attribute `name` of an open file; one already gone is not an error.
    ///
    /// Touches the disk. Retries on `EINTR`.
    /// - Throws: the `Errno` that `fremovexattr` set, other than `ENODATA`.
    ///
    /// The corresponding C function is `fremovexattr`.
    package static func removeExtendedAttribute(_ name: [UInt8], of descriptor: FileDescriptor) throws(Errno) {
        let cName = name.cString
        do {
            _ = try retryingInterrupts { fremovexattr(descriptor.rawValue, cName) }
        } catch where error.rawValue == ENODATA {
            return
        }
    }

    /// Sets the inode flags of an open file (`FS_IOC_SETFLAGS`, as `chattr` does).
    ///
    /// Touches the disk. Retries on `EINTR`.
    /// - Throws: the `Errno` that `ioctl` set.
    ///
    /// The corresponding C function is `ioctl(FS_IOC_SETFLAGS)`.
    package static func setInodeFlags(_ flags: UInt32, of descriptor: FileDescriptor) throws(Errno) {
        _ = try retryingInterrupts { dl_set_inode_flags(descriptor.rawValue, flags) }
    }
}
