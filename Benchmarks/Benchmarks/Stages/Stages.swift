// Stage benchmarks: how fast each pipeline stage runs alone on a generated corpus.
//
//   swift package --package-path Benchmarks benchmark                      # all stages
//   swift package --package-path Benchmarks benchmark --filter Walk
//   DUPELINK_BENCH_CORPUS=/srv/corpus-100k swift package --package-path Benchmarks benchmark
//
// The corpus comes from `DUPELINK_BENCH_CORPUS` (a tree made by `Benchmarks/make-corpus.py`, or any
// directory). Unset, a small corpus (2,000 files, seed 1) is generated once under the system
// temporary directory and reused. Throughputs are custom metrics computed from the stage's own
// work and wall time, so they read the same whatever the iteration count.

import Benchmark
import CXXHash
@_spi(Stages) import DupelinkCore
import Foundation

/// Throughput metrics, larger is better; they are per run, so no scaling factor applies.
enum StageMetric {
    /// Files walked per second (walk: readdir + fstatat, no file contents read).
    static var filesPerSecond: BenchmarkMetric { .custom("files/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Bytes digested per second, in MB/s (head/tail and full XXH3-128 over candidate files).
    static var digestMBPerSecond: BenchmarkMetric { .custom("digest MB/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Bytes compared per second, in MB/s (byte comparison against a class representative).
    static var compareMBPerSecond: BenchmarkMetric { .custom("compare MB/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Wall time of one walk, in milliseconds (for the cold walks, timed without dropping the cache).
    static var walkMilliseconds: BenchmarkMetric { .custom("walk ms", polarity: .prefersSmaller, useScalingFactor: false) }
    /// Report bytes written per second, in MB/s.
    static var reportMBPerSecond: BenchmarkMetric { .custom("report MB/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Catalog rows written (or looked up) per second.
    static var catalogRowsPerSecond: BenchmarkMetric { .custom("catalog rows/s", polarity: .prefersLarger, useScalingFactor: false) }
}

/// Where the benchmark corpus lives, and how to make a default one.
enum BenchCorpus {
    /// Files in the default corpus when `DUPELINK_BENCH_CORPUS` is unset.
    static let defaultFileCount = 2_000
    /// Seed of the default corpus.
    static let defaultSeed = 1

    /// The corpus root as raw path bytes. Generates the default corpus when the environment names
    /// none and it does not exist yet. Touches the disk.
    ///
    /// - Throws: `CorpusError` when the named corpus is missing or the generator fails.
    static func root() throws -> [UInt8] {
        if let named = ProcessInfo.processInfo.environment["DUPELINK_BENCH_CORPUS"], !named.isEmpty {
            guard FileManager.default.fileExists(atPath: named) else { throw CorpusError("DUPELINK_BENCH_CORPUS=\(named) does not exist") }
            return Array(named.utf8)
        }
        let base = FileManager.default.temporaryDirectory.path
        let root = "\(base)/dupelink-bench-corpus-\(defaultFileCount)-seed\(defaultSeed)"
        // The generator writes the manifest beside the tree last, so it marks a finished corpus.
        if !FileManager.default.fileExists(atPath: root + ".manifest.json") {
            try generate(into: root)
        }
        return Array(root.utf8)
    }

    /// The report of a whole scan of the corpus (no catalog), for the report benchmarks. Touches the
    /// disk: reads the corpus.
    ///
    /// - Throws: `CorpusError` as `root()` does, or the scan's `DupelinkError`.
    static func scanReport() throws -> ScanReport {
        let root = try root()
        let scan = try Pipeline(options: ScanOptions()).scan(roots: [root])
        return ScanReport(scan: scan, plan: LinkPlanner.plan(scan, options: LinkOptions()))
    }

    /// Runs `make-corpus.py` (found beside this package) into `root`.
    private static func generate(into root: String) throws {
        // #filePath is .../Benchmarks/Benchmarks/Stages/Stages.swift; the generator is in .../Benchmarks/.
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("make-corpus.py").path
        try? FileManager.default.removeItem(atPath: root)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script, "--files", String(defaultFileCount), "--seed", String(defaultSeed),
            "--out", root, "--quiet",
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CorpusError("\(script) exited with status \(process.terminationStatus)")
        }
    }
}

/// Why a corpus could not be had.
struct CorpusError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes back dirty pages and drops the page cache, dentries and inodes (root only; ignored when
/// /proc/sys/vm/drop_caches is not writable).
private func dropCaches() {
    sync()
    if let file = fopen("/proc/sys/vm/drop_caches", "w") {
        fputs("3\n", file)
        fclose(file)
    }
}

/// Runs `body` once per scaled iteration and returns the mean seconds per iteration.
private func secondsPerIteration(_ benchmark: Benchmark, _ body: () -> Void) -> Double {
    let clock = ContinuousClock()
    var iterations = 0
    let elapsed = clock.measure {
        for _ in benchmark.scaledIterations {
            body()
            iterations += 1
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return seconds / Double(max(iterations, 1))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident, .readBytesPhysical],
        timeUnits: .automatic,
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 50
    )

    // Walk: every regular file under the corpus, metadata only. After the first iteration the
    // dentries and inodes are cached, so this measures the warm walk (CPU and syscall cost).
    Benchmark(
        "Walk",
        configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [StageMetric.filesPerSecond])
    ) { benchmark, root in
        let walker = Walker(options: WalkOptions())
        var files = 0
        let seconds = secondsPerIteration(benchmark) {
            let result = walker.walk(roots: [root])
            files = result.files.count
            blackHole(result)
        }
        benchmark.measurement(StageMetric.filesPerSecond, Int((Double(files) / seconds).rounded()))
    } setup: {
        try BenchCorpus.root()
    }

    // Walk width: the same walk on 1, 2, 4 and 8 threads (a pool of that many threads; the default is
    // `WorkerPool.readerCount`). Warm, like Walk; cold numbers need dropped caches between runs,
    // which `Benchmarks/walk-threads.sh` does.
    for threads in [1, 2, 4, 8] {
        Benchmark(
            "Walk threads \(threads)",
            configuration: .init(metrics: Benchmark.defaultConfiguration.metrics + [StageMetric.filesPerSecond])
        ) { benchmark, root in
            let walker = Walker(options: WalkOptions())
            let pool = WorkerPool(threadCount: threads)
            var files = 0
            let seconds = secondsPerIteration(benchmark) {
                let result = walker.walk(roots: [root], pool: pool)
                files = result.files.count
                blackHole(result)
            }
            benchmark.measurement(StageMetric.filesPerSecond, Int((Double(files) / seconds).rounded()))
        } setup: {
            try BenchCorpus.root()
        }
    }

    // Cold walk width: each iteration drops the page cache first (root only; machine-wide, so it
    // slows everyone else for a moment) and times the walk alone. Only with DUPELINK_BENCH_COLD=1.
    if ProcessInfo.processInfo.environment["DUPELINK_BENCH_COLD"] == "1" {
        for threads in [1, 2, 4, 8, 16] {
            Benchmark(
                "Walk cold threads \(threads)",
                configuration: .init(
                    metrics: [StageMetric.filesPerSecond, StageMetric.walkMilliseconds], warmupIterations: 0,
                    maxDuration: .seconds(30), maxIterations: 5)
            ) { benchmark, root in
                let walker = Walker(options: WalkOptions())
                let pool = WorkerPool(threadCount: threads)
                for _ in benchmark.scaledIterations {
                    dropCaches()
                    let clock = ContinuousClock()
                    var files = 0
                    let elapsed = clock.measure {
                        let result = walker.walk(roots: [root], pool: pool)
                        files = result.files.count
                        blackHole(result)
                    }
                    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                    benchmark.measurement(StageMetric.filesPerSecond, Int((Double(files) / seconds).rounded()))
                    benchmark.measurement(StageMetric.walkMilliseconds, Int((seconds * 1000).rounded()))
                }
            } setup: {
                try BenchCorpus.root()
            }
        }
    }

    // Report JSON: the scan report of the corpus (setup runs the whole scan once, without a
    // catalog) encoded the old way, `JSONReport(report).encoded()` (a Codable tree, then Foundation's
    // JSONEncoder), and the new way, `JSONReportWriter` (bytes straight into a ByteWriter). Both give
    // the same document. `report MB/s` = JSON bytes written per second.
    let reportMetrics = Benchmark.defaultConfiguration.metrics + [.mallocCountTotal, StageMetric.reportMBPerSecond]
    Benchmark("Report JSON Codable", configuration: .init(metrics: reportMetrics)) { benchmark, report in
        var bytes = 0
        let seconds = secondsPerIteration(benchmark) {
            let encoded = JSONReport(report).encoded()
            bytes = encoded.count
            blackHole(encoded)
        }
        benchmark.measurement(StageMetric.reportMBPerSecond, Int((Double(bytes) / seconds / 1e6).rounded()))
    } setup: {
        try BenchCorpus.scanReport()
    }
    Benchmark("Report JSON writer", configuration: .init(metrics: reportMetrics)) { benchmark, report in
        var bytes = 0
        let seconds = secondsPerIteration(benchmark) {
            var count = 0
            var writer = ByteWriter { count += $0.count }
            JSONReportWriter.write(report, into: &writer)
            writer.flush()
            bytes = count
        }
        benchmark.measurement(StageMetric.reportMBPerSecond, Int((Double(bytes) / seconds / 1e6).rounded()))
    } setup: {
        try BenchCorpus.scanReport()
    }

    // Digest: XXH3-128 over a 1 MiB buffer held in the cache (the content stage's chunk size), so
    // this is the hash alone, no disk: one-shot over each buffer vs one streaming state fed the
    // buffers in turn, through libxxhash's runtime-dispatched entry points (AVX2/AVX-512 when the
    // processor has them, as dupelink uses) and the plain ones (SSE2 baseline). 256 MiB per iteration.
    let chunk = 1 << 20
    let chunksPerIteration = 256
    let digestMetrics: [BenchmarkMetric] = [.wallClock, .cpuTotal, StageMetric.digestMBPerSecond]
    for variant in DigestVariant.allCases {
        Benchmark("Digest \(variant.rawValue)", configuration: .init(metrics: digestMetrics)) { benchmark, buffer in
            let seconds = secondsPerIteration(benchmark) {
                blackHole(variant.run(buffer, times: chunksPerIteration))
            }
            let bytes = Double(chunk * chunksPerIteration)
            benchmark.measurement(StageMetric.digestMBPerSecond, Int((bytes / seconds / 1e6).rounded()))
        } setup: {
            DigestBuffer(count: chunk)
        }
    }

    // Compare: the content stage alone, through the public pipeline, on a tree of 8 pairs of
    // identical 32 MiB files (generated once under the temporary directory, warm in the page cache
    // after the first iteration): each pair is read side by side in 256 KiB chunks, compared with
    // memcmp while XXH3-128 streams over it. `compare MB/s` = bytes the stage read / its seconds.
    Benchmark(
        "Compare",
        configuration: .init(metrics: [.wallClock, .cpuTotal, StageMetric.compareMBPerSecond], maxIterations: 20)
    ) { benchmark, root in
        var bytes = 0
        var seconds = 0.0
        for _ in benchmark.scaledIterations {
            guard let scan = try? Pipeline(options: ScanOptions()).scan(roots: [root]) else { continue }
            bytes += Int(scan.statistics.bytesReadContent)
            seconds += scan.statistics.contentSeconds
        }
        benchmark.measurement(StageMetric.compareMBPerSecond, Int((Double(bytes) / max(seconds, 1e-9) / 1e6).rounded()))
    } setup: {
        try ComparePairs.root()
    }

    // Catalog: one transaction storing a digest row per file of the corpus (a fresh database in a
    // temporary directory each iteration), then the lookup of every file by identity, as a rescan
    // does. `catalog rows/s` = files / seconds.
    Benchmark(
        "Catalog write",
        configuration: .init(metrics: [.wallClock, .cpuTotal, StageMetric.catalogRowsPerSecond], maxIterations: 10)
    ) { benchmark, corpus in
        var total = 0.0
        var rows = 0
        for _ in benchmark.scaledIterations {
            let directory = try CatalogDirectory()
            let catalog = try Catalog.open(at: directory.databasePath)
            let clock = ContinuousClock()
            let elapsed = clock.measure { try? catalog.store(corpus.entries) }
            total += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            rows += corpus.entries.count
        }
        benchmark.measurement(StageMetric.catalogRowsPerSecond, Int((Double(rows) / total).rounded()))
    } setup: {
        try CatalogCorpus()
    }
    Benchmark(
        "Catalog lookup",
        configuration: .init(metrics: [.wallClock, .cpuTotal, StageMetric.catalogRowsPerSecond], maxIterations: 20)
    ) { (benchmark: Benchmark, state: CatalogLookupState) in
        var found = 0
        let seconds = secondsPerIteration(benchmark) {
            let cached = (try? state.catalog.cachedDigests(for: state.corpus.statuses, filesystems: state.corpus.filesystems)) ?? []
            found = cached.count
            blackHole(cached)
        }
        benchmark.measurement(StageMetric.catalogRowsPerSecond, Int((Double(found) / seconds).rounded()))
    } setup: { () throws -> CatalogLookupState in
        let corpus = try CatalogCorpus()
        let directory = try CatalogDirectory()
        let catalog = try Catalog.open(at: directory.databasePath)
        try catalog.store(corpus.entries)
        return CatalogLookupState(corpus: corpus, catalog: catalog, directory: directory)
    }
}

/// The ways of computing XXH3-128 the Digest benchmarks compare.
enum DigestVariant: String, CaseIterable {
    case oneShotDispatch = "one-shot dispatch"
    case streamingDispatch = "streaming dispatch"
    case oneShotPlain = "one-shot plain"
    case streamingPlain = "streaming plain"

    /// Digests `buffer` `times` times (one-shot: each time on its own; streaming: as one stream).
    func run(_ buffer: DigestBuffer, times: Int) -> UInt64 {
        let bytes = UnsafeRawBufferPointer(buffer.storage)
        var fold: UInt64 = 0
        switch self {
        case .oneShotDispatch:
            for _ in 0..<times { fold ^= XXH3_128bits_dispatch(bytes.baseAddress, bytes.count).low64 }
        case .oneShotPlain:
            for _ in 0..<times { fold ^= XXH3_128bits(bytes.baseAddress, bytes.count).low64 }
        case .streamingDispatch, .streamingPlain:
            guard let state = XXH3_createState() else { return 0 }
            defer { XXH3_freeState(state) }
            XXH3_128bits_reset(state)
            for _ in 0..<times {
                if self == .streamingDispatch {
                    _ = XXH3_128bits_update_dispatch(state, bytes.baseAddress, bytes.count)
                } else {
                    _ = XXH3_128bits_update(state, bytes.baseAddress, bytes.count)
                }
            }
            fold = XXH3_128bits_digest(state).low64
        }
        return fold
    }
}

/// A page-aligned buffer of deterministic bytes.
final class DigestBuffer: @unchecked Sendable {
    let storage: UnsafeMutableRawBufferPointer

    init(count: Int) {
        storage = .allocate(byteCount: count, alignment: 4096)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            storage[index] = UInt8(truncatingIfNeeded: state)
        }
    }

    deinit { storage.deallocate() }
}

/// The corpus as catalog rows: every walked file with made-up digests, on its real filesystem.
struct CatalogCorpus: @unchecked Sendable {
    var statuses: [FileStatus] = []
    var entries: [DigestEntry] = []
    var filesystems = FilesystemIdentities()

    init() throws {
        let walk = Walker(options: WalkOptions()).walk(roots: [try BenchCorpus.root()])
        filesystems.resolve(walk.table)
        for file in walk.files {
            let status = file.status
            let digest = Digest(high: status.id.inode, low: UInt64(bitPattern: status.size))
            let filesystem = filesystems.resolve(device: status.id.device, path: walk.table.path(ofDirectory: file.directory))
            statuses.append(status)
            entries.append(DigestEntry(filesystem: filesystem, status: status, digests: CachedDigests(headTail: digest, full: digest)))
        }
    }
}

/// A temporary directory for a catalog database, removed with the value.
final class CatalogDirectory: @unchecked Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/dupelink-bench-catalog-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var databasePath: [UInt8] { Array((path + "/catalog.sqlite").utf8) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A filled catalog and the corpus it holds, for the lookup benchmark.
struct CatalogLookupState: @unchecked Sendable {
    let corpus: CatalogCorpus
    let catalog: Catalog
    let directory: CatalogDirectory
}

/// A tree of identical pairs of large files for the compare benchmark, made once and reused.
enum ComparePairs {
    static let pairs = 8
    static let size = 32 << 20

    /// The tree's root as raw path bytes. Touches the disk: writes 512 MiB the first time.
    static func root() throws -> [UInt8] {
        let root = FileManager.default.temporaryDirectory.path + "/dupelink-bench-compare-\(pairs)x\(size)"
        let done = root + "/.complete"
        if !FileManager.default.fileExists(atPath: done) {
            try? FileManager.default.removeItem(atPath: root)
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for pair in 0..<pairs {
                // Different contents for each pair, so pairs never meet in one class.
                var state = UInt64(pair + 1) &* 0x9E37_79B9_7F4A_7C15
                var bytes = [UInt8](repeating: 0, count: size)
                for index in bytes.indices {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    bytes[index] = UInt8(truncatingIfNeeded: state)
                }
                let data = Data(bytes)
                try data.write(to: URL(fileURLWithPath: "\(root)/pair-\(pair)-a"))
                try data.write(to: URL(fileURLWithPath: "\(root)/pair-\(pair)-b"))
            }
            FileManager.default.createFile(atPath: done, contents: Data())
        }
        return Array(root.utf8)
    }
}
