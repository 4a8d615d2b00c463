/// Reads the classes of a reviewed report again, in full and side by side, to confirm that what the
/// report calls identical is byte-identical, before anything is linked.
///
/// A saved scan in the catalog was compared by dupelink itself, and its fingerprints show whether a
/// file changed since. A JSON report is a text file: an edit that moves a name into another class
/// of the same size, or that changes an owner or a mode, leaves every fingerprint check passing.
/// So a report's claims are confirmed with the scan's own content stage (`ContentComparer`):
///
/// - A member whose file changed since the report (its inode, size, modification or change time
///   differ), or that cannot be read, is left out with a diagnostic naming its path, as the
///   linker would leave it out.
/// - A member that did not change must be byte-identical to the other unchanged members of its
///   class, and its owner, group, mode and link count must be the report's (a change of any of
///   them would have moved its change time). Otherwise the report is wrong, and it is refused as
///   a whole before anything is touched.
///
/// The members keep the fingerprints the report gives, which the linker checks again right before
/// it changes a name, and take their allocated blocks (which a report need not carry) from the
/// file as it is read now.
public enum ContentConfirmation {
    /// Confirms every class of `scan` (rebuilt from a report by `SavedScan.scanResult()`).
    ///
    /// Touches the disk: reads files, changes nothing.
    /// - Parameters:
    ///   - scan: the rebuilt report.
    ///   - jobs: worker threads for reading.
    /// - Returns: the scan without the members that changed or could not be read (each reported
    ///   in `diagnostics`), and without classes left with fewer than two names.
    /// - Throws: `DupelinkError(.invalidInput)` naming the path when unchanged files of one class
    ///   differ in content, or when a file's owner, group, mode or link count is not the report's
    ///   though its change time is; `DupelinkError(.cancelled)` on SIGINT or SIGTERM.
    package static func confirm(
        _ scan: ScanResult, jobs: Int = WorkerPool.readerCount, comparer: ContentComparer = ContentComparer()
    ) throws(DupelinkError) -> ScanResult {
        let opener = FileOpener(table: scan.table, files: scan.files)
        let pool = WorkerPool(threadCount: jobs)
        let results = try comparer.partitions(
            scan.classes.map(\.members), size: { scan.classes[$0].size }, opener: opener, pool: pool, progress: nil)

        // Where each inode ended up: its partition, and its status after it was read.
        var confirmed: [FileID: (partition: Int, status: FileStatus)] = [:]
        var partition = 0
        for result in results {
            for confirmedClass in result.partitions where confirmedClass.members.count > 1 {
                for member in confirmedClass.members { confirmed[member.id] = (partition, member.status) }
                partition += 1
            }
        }

        var result = scan
        result.classes = []
        for duplicateClass in scan.classes {
            let observed = observe(duplicateClass, confirmed: confirmed, opener: opener, diagnostics: &result.diagnostics)
            var confirmedClass = duplicateClass
            confirmedClass.members = try unchanged(
                duplicateClass, observed: observed, confirmed: confirmed, in: scan, diagnostics: &result.diagnostics)
            if confirmedClass.nameCount >= 2 { result.classes.append(confirmedClass) }
        }
        // A report does not say which blocks its files share: they are mapped now, as a scan maps them.
        result.classes = try SharedExtentStage.read(result.classes, opener: opener, pool: pool, statistics: &result.statistics)
        return result
    }

    /// What each member of `duplicateClass` is now: its status after it was read (or opened), or
    /// nil when it could not be (reported in `diagnostics`, left out).
    private static func observe(
        _ duplicateClass: DuplicateClass, confirmed: [FileID: (partition: Int, status: FileStatus)], opener: FileOpener,
        diagnostics: inout [Diagnostic]
    ) -> [FileStatus?] {
        var observed: [FileStatus?] = []
        for member in duplicateClass.members {
            if let found = confirmed[member.id] {
                observed.append(found.status)
                continue
            }
            // Read alone (its class had no other readable member), or left out by the
            // comparer: find out whether it changed.
            do {
                let (descriptor, status) = try opener.open(member.names[0], directories: DirectoryCache())
                Syscalls.closeQuietly(descriptor)
                observed.append(status)
            } catch {
                var reason = error
                if reason.code == .fileChanged { reason.detail = nil }
                diagnostics.append(Diagnostic(.compare, reason))
                observed.append(nil)
            }
        }
        return observed
    }

    /// The members of `duplicateClass` unchanged since the report, which vouch for it: they must
    /// all be in one partition, with the report's owner, group, mode and link count. Changed
    /// members are reported in `diagnostics` and left out.
    private static func unchanged(
        _ duplicateClass: DuplicateClass, observed: [FileStatus?], confirmed: [FileID: (partition: Int, status: FileStatus)],
        in scan: ScanResult, diagnostics: inout [Diagnostic]
    ) throws(DupelinkError) -> [Member] {
        var partitionOfClass: (partition: Int?, path: [UInt8])? = nil
        var kept: [Member] = []
        for (member, now) in zip(duplicateClass.members, observed) {
            guard let now else { continue }
            let path = scan.path(ofFile: member.names[0])
            guard member.status.isUnchanged(comparedTo: now) else {
                diagnostics.append(Diagnostic(.compare, DupelinkError(.fileChanged, path: path)))
                continue
            }
            let partition = confirmed[member.id]?.partition
            if let partitionOfClass {
                // Unchanged, yet not in the same partition (or in none: unlike every other).
                if partition == nil || partition != partitionOfClass.partition {
                    throw notIdentical(path, partitionOfClass.path)
                }
            } else {
                partitionOfClass = (partition, path)
            }
            let status = member.status
            guard now.mode == status.mode, now.userID == status.userID, now.groupID == status.groupID,
                now.linkCount == status.linkCount
            else {
                throw DupelinkError(
                    .invalidInput, path: path,
                    detail: "its owner, group, mode or link count is not what the report says, though its change time is: the report was edited")
            }
            // A report does not say what the file occupies; what it frees is counted from
            // its blocks now.
            var counted = member
            counted.status.blocks = now.blocks
            kept.append(counted)
        }
        return kept
    }

    private static func notIdentical(_ path: [UInt8], _ other: [UInt8]) -> DupelinkError {
        DupelinkError(
            .invalidInput, path: path,
            detail: "its content is not that of \(PathText.display(other)), though neither changed since the report: the report puts different files in one class")
    }
}
