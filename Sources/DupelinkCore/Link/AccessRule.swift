/// The rule that keeps `--ignore-owner` and `--ignore-mode` from widening access: after linking,
/// every name has the kept inode's owner, group and mode, so a duplicate's names may be handed to
/// a keeper only when that lets nobody read or write what they could not read or write through the
/// duplicate's own file, and takes nothing its owner could do from them.
///
/// Group membership is not looked up, so the rule assumes the least: a user who is not a file's
/// owner had only its "other" bits. Root's access is unaffected by modes and is not counted.
/// Concretely, for the read and write bits:
/// - others may not gain anything the duplicate did not give others;
/// - the keeper's group may not gain anything over what the duplicate gave that group (its group
///   bits when the group is the duplicate's, its other bits otherwise);
/// - the keeper's owner, when not root and not the duplicate's owner, is refused already (another
///   user's inode);
/// - the duplicate's owner (unless root) must keep read and write where they had it: through the
///   keeper's owner bits when the keeper is theirs, else through its other bits.
/// Files with an access ACL are linked only when owner and mode match exactly (their ACLs must be
/// equal anyway): an ACL's mask and named entries do not reduce to these three classes.
enum AccessRule {
    /// Why handing `duplicate`'s names to `keeper` widens or takes away access, or nil when it does not.
    static func violation(keeper: FileStatus, duplicate: FileStatus, hasAccessACL: Bool) -> String? {
        let sameOwner = keeper.userID == duplicate.userID && keeper.groupID == duplicate.groupID
        if sameOwner && keeper.permissions == duplicate.permissions { return nil }
        if hasAccessACL {
            return "it has an access ACL, and the kept copy's owner or mode differs (\(describe(keeper)) against \(describe(duplicate)))"
        }
        let keeperBits = Bits(keeper.permissions)
        let duplicateBits = Bits(duplicate.permissions)
        if let gained = keeperBits.other.gains(over: duplicateBits.other) {
            return "others could \(gained) it (\(describe(keeper)) against \(describe(duplicate)))"
        }
        let groupBefore = keeper.groupID == duplicate.groupID ? duplicateBits.group : duplicateBits.other
        if let gained = keeperBits.group.gains(over: groupBefore) {
            return "group \(keeper.groupID) could \(gained) it (\(describe(keeper)) against \(describe(duplicate)))"
        }
        if duplicate.userID != 0 {
            let after = keeper.userID == duplicate.userID ? keeperBits.owner : keeperBits.other
            if let lost = duplicateBits.owner.gains(over: after) {
                return "its owner \(duplicate.userID) could no longer \(lost) it (\(describe(keeper)) against \(describe(duplicate)))"
            }
        }
        return nil
    }

    /// `uid:gid 0644`, for messages.
    static func describe(_ status: FileStatus) -> String {
        let octal = String(status.permissions, radix: 8)
        return "\(status.userID):\(status.groupID) \(String(repeating: "0", count: max(0, 4 - octal.count)))\(octal)"
    }

    /// The read and write bits of one class (owner, group, other), as 4 and 2.
    private struct Access {
        var bits: UInt32

        /// What `self` allows that `other` does not, as "read", "write" or "read and write".
        func gains(over other: Access) -> String? {
            switch bits & ~other.bits & 6 {
            case 6: "read and write"
            case 4: "read"
            case 2: "write"
            default: nil
            }
        }
    }

    private struct Bits {
        var owner: Access
        var group: Access
        var other: Access

        init(_ permissions: UInt32) {
            owner = Access(bits: (permissions >> 6) & 6)
            group = Access(bits: (permissions >> 3) & 6)
            other = Access(bits: permissions & 6)
        }
    }
}
