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
import DupelinkCore
import Foundation

/// Throughput metrics, larger is better; they are per run, so no scaling factor applies.
enum StageMetric {
    /// Files walked per second (walk: readdir + fstatat, no file contents read).
    static var filesPerSecond: BenchmarkMetric { .custom("files/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Bytes digested per second, in MB/s (head/tail and full XXH3-128 over candidate files).
    static var digestMBPerSecond: BenchmarkMetric { .custom("digest MB/s", polarity: .prefersLarger, useScalingFactor: false) }
    /// Bytes compared per second, in MB/s (byte comparison against a class representative).
    static var compareMBPerSecond: BenchmarkMetric { .custom("compare MB/s", polarity: .prefersLarger, useScalingFactor: false) }
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

    // TODO(digest): "Digest" benchmark reporting StageMetric.digestMBPerSecond, once the Hash stage
    // lands. Walk and group in setup (not measured), then time the head/tail and full-digest passes
    // over the candidate groups; MB/s = bytes actually read / seconds. Report warm cache only here;
    // cold-cache numbers belong to peers.sh, which can drop caches between whole runs.

    // TODO(compare): "Compare" benchmark reporting StageMetric.compareMBPerSecond, once the Compare
    // stage lands. Setup builds classes of equal digests (the corpus has same-size files differing
    // only in the last byte or only in the middle); time the byte comparison alone.

    // TODO(catalog): "Catalog write" and "Catalog lookup" benchmarks reporting
    // StageMetric.catalogRowsPerSecond, once the Catalog lands. Setup walks the corpus and opens a
    // fresh database in a temporary directory; time one transaction inserting a digest row per file,
    // then the lookup of every file by identity.
}
