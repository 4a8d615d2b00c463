/// Which identical files may become one inode: the rules the planner splits classes by and the
/// linker checks again, on freshly read metadata, right before each replacement.
///
/// Only names reached through one mount can be linked (`linkat` refuses `EXDEV` across two mounts
/// of one filesystem), and nothing on overlayfs is linked: there a link copies the file up.
///
/// Every name of an inode shares its owner, group, mode, extended attributes (ACLs, capabilities
/// and security labels included) and inode flags. So two files are linked only when all of that
/// matches (owner and mode may be relaxed by the user, never so that access widens, see
/// `AccessRule`; `user.*` attributes may be relaxed, nothing else), and an immutable or
/// append-only file, or one whose attributes cannot be read, is never linked or replaced.
enum Eligibility {
    /// Why a member may never be linked or replaced, or nil.
    static func unlinkable(_ state: AttributeState) -> (LinkRefusal.Reason, String?)? {
        switch state {
        case .unknown, .digest: nil
        case .unreadable(let why): (.attributesUnreadable, why)
        case .read(let attributes): unlinkable(attributes)
        }
    }

    /// Why a file with these attributes may never be linked or replaced, or nil.
    static func unlinkable(_ attributes: FileAttributes) -> (LinkRefusal.Reason, String?)? {
        if attributes.isImmutable { return (.immutable, nil) }
        if attributes.isAppendOnly { return (.appendOnly, nil) }
        return nil
    }

    /// Why `member` was not put with `reference`, for the refusal of a member alone in its part.
    static func reason(
        _ member: Member, differsFrom reference: Member, options: LinkOptions, sameMount: Bool = true
    ) -> (LinkRefusal.Reason, String?) {
        let status = member.status
        let other = reference.status
        if status.id.device != other.id.device { return (.differentFilesystem, nil) }
        if !sameMount { return (.otherMount, nil) }
        // A set-ID file's owner and group count whatever the options (see `PartitionKey`).
        let ownerCounts = !options.ignoreOwner || (status.permissions | other.permissions) & 0o6000 != 0
        if ownerCounts && (status.userID != other.userID || status.groupID != other.groupID) {
            let setID = options.ignoreOwner ? "a set-ID file: " : ""
            return (.ownerDiffers, "\(setID)\(AccessRule.describe(status)) against \(AccessRule.describe(other))")
        }
        var difference: (LinkRefusal.Reason, String?)? = nil
        if case .read(let mine) = member.attributes, case .read(let theirs) = reference.attributes {
            difference = attributeDifference(mine, theirs, ignoreUserAttributes: options.ignoreUserAttributes)
        }
        // An ACL sets the group bits to its mask: the ACL is the difference to name.
        if let difference, difference.0 == .aclsDiffer { return difference }
        let mask: UInt32 = options.ignoreMode ? 0o7000 : 0o7777
        if status.permissions & mask != other.permissions & mask {
            return (.modeDiffers, "\(AccessRule.describe(status)) against \(AccessRule.describe(other))")
        }
        if let difference { return difference }
        if case .digest = member.attributes, case .digest = reference.attributes {
            return (.extendedAttributesDiffer, "their attributesDigest in the report differ")
        }
        // Attributes read for one and not the other: only a plan from an old saved scan.
        return (.extendedAttributesDiffer, "not known for both files")
    }

    /// What differs between two attribute sets, as the reason a user should see first (ACLs, then
    /// capabilities, security labels, other attributes, flags) and the names involved; nil when
    /// they match (with `user.*` ignored when asked).
    static func attributeDifference(
        _ mine: FileAttributes, _ theirs: FileAttributes, ignoreUserAttributes: Bool
    ) -> (LinkRefusal.Reason, String?)? {
        let a = ignoreUserAttributes ? mine.withoutUserAttributes : mine
        let b = ignoreUserAttributes ? theirs.withoutUserAttributes : theirs
        if a == b { return nil }
        let (names, flagsDiffer) = a.differences(from: b)
        let kinds = Set(names.map { FileAttributes.Kind(name: $0) })
        let listed = names.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ", ")
        if kinds.contains(.acl) { return (.aclsDiffer, listed) }
        if kinds.contains(.capability) { return (.capabilitiesDiffer, listed) }
        if kinds.contains(.securityLabel) { return (.securityLabelsDiffer, listed) }
        if !names.isEmpty { return (.extendedAttributesDiffer, listed) }
        if flagsDiffer && a.supportsExtended != b.supportsExtended {
            return (.extendedAttributesDiffer, "kept on one file's filesystem only")
        }
        return (.flagsDiffer, "\(flagNames(a.flags)) against \(flagNames(b.flags))")
    }

    /// Why the names of `duplicate` may not be handed to `keeper` although they share a part
    /// (possible only when owner or mode are relaxed), or nil.
    static func handOverViolation(keeper: Member, duplicate: Member) -> (LinkRefusal.Reason, String?)? {
        var hasACL = false
        if case .read(let attributes) = keeper.attributes { hasACL = attributes.hasAccessACL }
        if case .read(let attributes) = duplicate.attributes { hasACL = hasACL || attributes.hasAccessACL }
        return handOverViolation(keeper: keeper.status, duplicate: duplicate.status, hasAccessACL: hasACL)
    }

    /// The same, from the two files' metadata.
    static func handOverViolation(
        keeper: FileStatus, duplicate: FileStatus, hasAccessACL: Bool
    ) -> (LinkRefusal.Reason, String?)? {
        // Another ordinary user's inode: that user could then write to every name.
        if keeper.userID != 0 && (keeper.userID != duplicate.userID || keeper.groupID != duplicate.groupID) {
            return (.ownerDiffers, "\(AccessRule.describe(duplicate)) would belong to \(AccessRule.describe(keeper))")
        }
        if let violation = AccessRule.violation(keeper: keeper, duplicate: duplicate, hasAccessACL: hasAccessACL) {
            return (.accessWidens, violation)
        }
        return nil
    }

    /// Whether the linker, with both files open right before a replacement, may hand the
    /// duplicate's name to the keeper: the reason not to, or nil.
    static func linkTimeViolation(
        keeper: FileStatus, keeperAttributes: FileAttributes, duplicate: FileStatus,
        duplicateAttributes: FileAttributes, ignoreUserAttributes: Bool
    ) -> (LinkRefusal.Reason, String?)? {
        if let reason = unlinkable(keeperAttributes) ?? unlinkable(duplicateAttributes) { return reason }
        if let difference = attributeDifference(
            duplicateAttributes, keeperAttributes, ignoreUserAttributes: ignoreUserAttributes)
        {
            return difference
        }
        if keeper.permissions & 0o7000 != duplicate.permissions & 0o7000 {
            return (.modeDiffers, "\(AccessRule.describe(duplicate)) against \(AccessRule.describe(keeper))")
        }
        if keeper.permissions & 0o6000 != 0 && (keeper.userID != duplicate.userID || keeper.groupID != duplicate.groupID) {
            return (.ownerDiffers, "a set-ID file: \(AccessRule.describe(duplicate)) against \(AccessRule.describe(keeper))")
        }
        return handOverViolation(
            keeper: keeper, duplicate: duplicate,
            hasAccessACL: keeperAttributes.hasAccessACL || duplicateAttributes.hasAccessACL)
    }

    /// The flags as `lsattr` letters where known, else in hexadecimal: `i,a` or `0x4000`.
    static func flagNames(_ flags: UInt32) -> String {
        if flags == 0 { return "no flags" }
        let letters: [(UInt32, String)] = [
            (0x1, "s"), (0x2, "u"), (0x4, "c"), (0x8, "S"), (0x10, "i"), (0x20, "a"), (0x40, "d"), (0x80, "A"),
            (0x4000, "j"), (0x8000, "t"), (0x10000, "D"), (0x20000, "T"), (0x800000, "C"), (0x2000000, "x"),
            (0x20000000, "P"), (0x100000, "V"), (0x800, "E"),
        ]
        var rest = flags
        var names: [String] = []
        for (bit, letter) in letters where flags & bit != 0 {
            names.append(letter)
            rest &= ~bit
        }
        if rest != 0 { names.append("0x" + String(rest, radix: 16)) }
        return "flags " + names.joined(separator: ",")
    }
}
