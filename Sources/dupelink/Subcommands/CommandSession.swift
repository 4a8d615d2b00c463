import ArgumentParser
import DupelinkCore
import Foundation

/// What every command does around the library: signals, progress, warnings, output and the exit
/// status.
final class CommandSession {
    let output: OutputOptionGroup
    let progress = ScanProgress()
    let catalog: Catalog?
    /// The number the scan was saved under in the catalog.
    private(set) var savedScanID: Int64?

    init(output: OutputOptionGroup, catalog: CatalogOptionGroup) throws {
        self.output = output
        self.catalog = try catalog.open(quiet: output.quiet)
        Cancellation.installHandlers()
    }

    /// Runs the scan with a progress line, and saves it in the catalog.
    func scan(roots: [[UInt8]], options: ScanOptions) throws -> ScanResult {
        let line = ProgressLine(progress: progress)
        if !output.quiet { line.start() }
        defer { line.stop() }
        let startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        let result = try runPipeline(roots: roots, options: options)
        if let catalog {
            do {
                savedScanID = try catalog.saveScan(result, roots: roots, startedAt: startedAt)
            } catch {
                if !output.quiet { StandardStreams.error("warning: the scan could not be saved: \(error)") }
            }
        }
        return result
    }

    private func runPipeline(roots: [[UInt8]], options: ScanOptions) throws -> ScanResult {
        do {
            return try Pipeline(options: options).scan(roots: roots, catalog: catalog, progress: progress)
        } catch where error.code == .cancelled {
            StandardStreams.error("interrupted; nothing was changed")
            throw ExitStatus.interrupted
        }
    }

    /// Runs the linker with a progress line, journaling each replacement in `journal` when given.
    func link(_ plan: LinkPlan, scan: ScanResult, dryRun: Bool, journal: LinkJournal? = nil) -> LinkOutcome {
        let line = ProgressLine(progress: progress)
        if !output.quiet && !dryRun { line.start() }
        defer { line.stop() }
        return Linker().execute(plan, scan: scan, dryRun: dryRun, progress: progress, journal: journal)
    }

    /// Prints warnings and the report, and ends with the documented exit status.
    func finish(_ report: ScanReport, interrupted: Bool = false) throws {
        var report = report
        report.scanID = savedScanID ?? report.scanID
        if !output.quiet {
            for diagnostic in report.diagnostics { StandardStreams.warning(diagnostic) }
        }
        if output.stats { printStatistics(report.scan.statistics) }
        var failedWrite = false
        var writer = ByteWriter { bytes in
            if !StandardStreams.write(bytes, to: 1) { failedWrite = true }
        }
        output.format.render(report, into: &writer)
        if failedWrite {
            StandardStreams.error("cannot write the report to standard output")
            throw ExitStatus.failure
        }
        if interrupted {
            StandardStreams.error("interrupted; the replacement in progress was finished, the rest left as it was")
            throw ExitStatus.interrupted
        }
        if report.scan.statistics.rootsScanned == 0 {
            StandardStreams.error("no directory could be scanned")
            throw ExitStatus.failure
        }
        if !report.diagnostics.isEmpty { throw ExitStatus.partial }
    }

    private func printStatistics(_ statistics: ScanStatistics) {
        let lines = [
            "files walked: \(statistics.filesWalked) (\(ByteSize.format(statistics.bytesWalked)))",
            "candidates after size grouping: \(statistics.filesAfterSizeGrouping) inodes",
            "candidates after head/tail digest: \(statistics.filesAfterHeadTail) inodes",
            "floor (bytes that must be read in full): \(statistics.floorBytes) (\(ByteSize.format(statistics.floorBytes)))",
            "bytes read, head/tail: \(statistics.bytesReadHeadTail)",
            "bytes read, content: \(statistics.bytesReadContent)",
            "digests from the catalog: \(statistics.catalogHits)",
            "time: walk \(seconds(statistics.walkSeconds)), head/tail \(seconds(statistics.headTailSeconds)), content \(seconds(statistics.contentSeconds))",
        ]
        for line in lines { StandardStreams.write(Array("stats: \(line)\n".utf8), to: 2) }
    }

    private func seconds(_ value: Double) -> String {
        let milliseconds = Int((value * 1000).rounded())
        return "\(milliseconds / 1000).\(String(milliseconds % 1000 + 1000).dropFirst())s"
    }
}
