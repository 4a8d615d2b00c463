import ArgumentParser
import DupelinkCore
import Foundation

/// What every command does around the library: signals, the catalog and its lock, progress,
/// warnings, output, the `--summary-json` line and the exit status.
final class CommandSession {
    /// The output options.
    let output: OutputOptionGroup
    /// The counters the progress line shows.
    let progress = ScanProgress()
    /// The catalog, locked for this run; nil with `--no-catalog` or when the default one cannot be used.
    let catalog: Catalog?
    /// The number the scan was saved under in the catalog.
    private(set) var savedScanID: Int64?
    /// The journal run of this `link`, once begun: its exit status is recorded at the end.
    var journalRunID: Int64?
    /// Whether this run walked its roots (rather than loading a saved scan or a report).
    private var walkedThisRun = false
    /// Where `--summary-json` writes, and what it will say.
    private let summaryLog: SummaryLog?
    private var summary: RunSummary

    /// Opens the `--summary-json` destination, installs the signal handlers, then takes the
    /// catalog's lock and opens the catalog.
    ///
    /// - Throws: the documented `ExitCode` after printing why: 2 when the summary file or a named
    ///   catalog cannot be opened, 4 when another run holds the catalog, 130 when interrupted
    ///   while waiting for it.
    init(output: OutputOptionGroup, catalog options: CatalogOptionGroup) throws {
        let started = Date()
        Allocator.returnLargeBlocksWhenFreed()
        self.output = output
        var summary = RunSummary(
            command: RunSummary.commandName, startedAt: RunSummary.timestamp(started),
            endedAt: RunSummary.timestamp(started), exitStatus: 0)
        let summaryLog: SummaryLog?
        do {
            summaryLog = try output.openSummaryLog()
        } catch {
            StandardStreams.error(error.message)
            throw error.status
        }
        StopSignals.install()
        let access = options.access(quiet: output.quiet)
        summary.catalog = options.noCatalog ? nil : access.path.map { JSONReport.PathValue($0) }
        // A run waiting for the catalog (--wait) answers SIGUSR1 and --progress plain too.
        let waiting = ProgressLine(progress: progress, mode: output.progressMode == .plain ? .plain : .none, interval: output.progressInterval)
        let counters = progress
        counters.beginWaitingForCatalog()
        waiting.start()
        defer {
            waiting.stop()
            counters.endWaitingForCatalog()
        }
        do {
            catalog = options.noCatalog ? nil : try access.open()
        } catch {
            summary.exitStatus = error.status.rawValue
            summary.error = error.message
            summary.endedAt = RunSummary.timestamp(Date())
            StandardStreams.error(error.message)
            summaryLog?.write(summary)
            throw error.status
        }
        summary.catalog = catalog.map { JSONReport.PathValue($0.path) }
        self.summary = summary
        self.summaryLog = summaryLog
    }

    /// Runs the scan with a progress line, and saves it in the catalog.
    func scan(roots: [[UInt8]], options: ScanOptions) throws -> ScanResult {
        let line = ProgressLine(progress: progress, mode: output.progressMode, interval: output.progressInterval)
        line.start()
        defer { line.stop() }
        let startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let result = try runPipeline(roots: roots, options: options)
        walkedThisRun = true
        // A scan that could scan no root found nothing: saved, it would become the latest scan
        // that `report` and `link --scan` use.
        if let catalog, result.statistics.rootsScanned > 0 {
            do {
                savedScanID = try catalog.saveScan(result, startedAt: startedAt)
            } catch {
                if !output.quiet { StandardStreams.error("warning: the scan could not be saved: \(error)") }
            }
        }
        return result
    }

    private func runPipeline(roots: [[UInt8]], options: ScanOptions) throws -> ScanResult {
        summary.roots = roots.map(JSONReport.PathValue.init)
        do {
            return try Pipeline(options: options).scan(roots: roots, catalog: catalog, progress: progress)
        } catch {
            if error.code == .cancelled {
                throw stop(CommandFailure(status: ExitStatus.interrupted, message: "interrupted; nothing was changed"))
            }
            throw stop(CommandFailure(status: ExitStatus.failure, message: error.description))
        }
    }

    /// Prints the failure, writes the summary line, and returns the status to throw.
    private func stop(_ failure: CommandFailure) -> ExitCode {
        StandardStreams.error(failure.message)
        summary.error = failure.message
        writeSummary(status: failure.status)
        return failure.status
    }

    private func writeSummary(status: ExitCode) {
        summary.exitStatus = status.rawValue
        // The journal says how the run ended too: `history` shows a failed link as failed.
        if let journalRunID, let catalog {
            try? catalog.recordExitStatus(status.rawValue, ofJournalRun: journalRunID)
        }
        summary.endedAt = RunSummary.timestamp(Date())
        summaryLog?.write(summary)
    }

    /// The link options of `planning` for `scan`: with the files `undo` and `split` separated left
    /// separate, unless `--relink-separated`. A catalog that cannot say is a warning.
    func linkOptions(_ planning: PlanningOptionGroup, for scan: ScanResult) -> LinkOptions {
        keepingSeparate(planning.linkOptions, unless: planning.relinkSeparated, for: scan)
    }

    /// `options` with the files `undo` and `split` separated in `scan` kept separate, unless `relink`.
    func keepingSeparate(_ options: LinkOptions, unless relink: Bool, for scan: ScanResult) -> LinkOptions {
        var options = options
        guard !relink, let catalog else { return options }
        do {
            options.separated = try catalog.separatedMembers(of: scan)
        } catch {
            if !output.quiet { StandardStreams.error("warning: the files undo and split separated cannot be read: \(error)") }
        }
        return options
    }

    /// Runs the linker with a progress line, journaling each replacement in `journal` when given.
    /// With `sharesExtents`, makes duplicates share extents instead (`dedupe`).
    func link(
        _ plan: LinkPlan, scan: ScanResult, dryRun: Bool, journal: LinkJournal? = nil, sharesExtents: Bool = false
    ) -> LinkOutcome {
        let line = ProgressLine(progress: progress, mode: dryRun ? .none : output.progressMode, interval: output.progressInterval)
        line.start()
        defer { line.stop() }
        return Linker(sharesExtents: sharesExtents).execute(plan, scan: scan, dryRun: dryRun, progress: progress, journal: journal)
    }

    /// Prints warnings and the report, and ends with the documented exit status.
    func finish(_ report: ScanReport, interrupted: Bool = false) throws {
        var report = report
        report.scanID = savedScanID ?? report.scanID
        report.topClasses = output.topClasses
        if report.command == "link" && output.format == .text { report.copyOnWriteRoots = Self.copyOnWriteRoots(report.roots) }
        // Only a walk of this run knows every file of a folder.
        if walkedThisRun && [.text, .json, .html].contains(output.format) {
            report.duplicateFolders = DuplicateFolders.find(in: report.scan, ignoringEmpty: output.foldersIgnoreEmpty)
            report.nearlyIdenticalFolders = NearlyIdenticalFolders.find(in: report.scan, maximumDifferences: output.nearlyIdentical)
        }
        if !output.quiet {
            for diagnostic in report.diagnostics { StandardStreams.warning(diagnostic) }
            // A note, not a warning: nothing failed, and the exit status does not count it.
            for directory in report.overlayDirectories {
                StandardStreams.error("note: \(PathText.display(directory)): \(ScanReport.overlayNote)")
            }
        }
        if output.stats { printStatistics(report) }
        var failedWrite = false
        var writer = ByteWriter { bytes in
            if !StandardStreams.write(bytes, to: 1) { failedWrite = true }
        }
        output.format.render(report, into: &writer)
        summary.record(report)
        if walkedThisRun {
            let stages = RunSummary.StageSeconds(report.scan.statistics)
            summary.stageSeconds = stages
            // A log that watched the run learns how it ended and where the time went.
            if output.progressMode == .plain { StandardStreams.error("done: \(stages.text)") }
        }
        if let savedScanID, let catalog {
            try? catalog.recordReclaimableBytes(report.reclaimableByClass.reduce(0, +), ofScan: savedScanID)
        }
        if interrupted {
            throw stop(CommandFailure(
                status: ExitStatus.interrupted,
                message: "interrupted; the replacement in progress was finished, the rest left as it was"))
        }
        if failedWrite {
            throw stop(CommandFailure(status: ExitStatus.failure, message: "cannot write the report to standard output"))
        }
        if report.scan.statistics.rootsScanned == 0 {
            throw stop(CommandFailure(status: ExitStatus.failure, message: "no directory could be scanned"))
        }
        let status = Self.status(of: report)
        writeSummary(status: status)
        if status != ExitStatus.success { throw status }
    }

    /// The roots on a filesystem that can share extents (see `Syscalls.copyOnWriteFilesystems`).
    static func copyOnWriteRoots(_ roots: [[UInt8]]) -> [(path: [UInt8], filesystem: String)] {
        roots.compactMap { root in
            let cPath = root.cString
            guard let descriptor = try? Syscalls.open(cPath, in: Syscalls.currentDirectory, options: [.noControllingTerminal, .nonBlocking])
            else { return nil }
            defer { Syscalls.closeQuietly(descriptor) }
            guard let type = try? Syscalls.filesystemType(of: descriptor), let name = Syscalls.copyOnWriteFilesystems[type]
            else { return nil }
            return (root, name)
        }
    }

    /// The exit status of a run that was not stopped: partial when anything could not be read or
    /// linked, nothing to do when `link` found nothing to link, else success.
    static func status(of report: ScanReport) -> ExitCode {
        if !report.diagnostics.isEmpty { return ExitStatus.partial }
        if report.isApplied && report.replacements.isEmpty { return ExitStatus.nothingToDo }
        return ExitStatus.success
    }

    private func printStatistics(_ report: ScanReport) {
        let statistics = report.scan.statistics
        var lines = [
            "files walked: \(statistics.filesWalked) (\(ByteSize.format(statistics.bytesWalked)))",
            "candidates after size grouping: \(statistics.filesAfterSizeGrouping) inodes",
            "candidates after head/tail digest: \(statistics.filesAfterHeadTail) inodes",
            "floor (bytes that must be read in full): \(statistics.floorBytes) (\(ByteSize.format(statistics.floorBytes)))",
            "bytes read, head/tail: \(statistics.bytesReadHeadTail)",
            "bytes read, content: \(statistics.bytesReadContent)",
            "digests from the catalog: \(statistics.catalogHits)",
            "attributes read from disk (class members the catalog did not know): \(statistics.filesAttributesRead ?? 0)",
            "extents mapped (FIEMAP, btrfs/XFS/bcachefs class members): \(statistics.filesExtentsMapped ?? 0)",
            "time: walk \(seconds(statistics.walkSeconds)), head/tail \(seconds(statistics.headTailSeconds)), content \(seconds(statistics.contentSeconds)), attributes \(seconds(statistics.attributeSeconds ?? 0)), extents \(seconds(statistics.extentSeconds ?? 0))",
        ]
        for filesystem in statistics.storage ?? [] {
            let disks = filesystem.disks.isEmpty ? "" : " (\(filesystem.disks.joined(separator: ", ")))"
            lines.append(
                "storage: \(filesystem.filesystem) from \(filesystem.source)\(disks): \(filesystem.kind.rawValue), because \(filesystem.evidence); "
                    + "read with \(filesystem.readers) readers, in \(filesystem.order) order, \(ByteSize.format(Int64(filesystem.runBytes))) per file per turn")
        }
        let totals = report.totals
        if let compared = totals.bytesCompared, let comparing = totals.secondsComparing,
            let unleased = totals.replacementsWithoutLease
        {
            lines += [
                "bytes compared right before the swaps: \(compared) (\(ByteSize.format(compared))) in \(seconds(comparing))",
                "replacements without a lease: \(unleased)",
            ]
        }
        for line in lines { StandardStreams.write(Array("stats: \(line)\n".utf8), to: 2) }
    }

    private func seconds(_ value: Double) -> String {
        let milliseconds = Int((value * 1000).rounded())
        return "\(milliseconds / 1000).\(String(milliseconds % 1000 + 1000).dropFirst())s"
    }
}
