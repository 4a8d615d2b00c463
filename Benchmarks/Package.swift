// swift-tools-version:6.1
// Stage benchmarks for dupelink, in their own package so the main package never depends on
// ordo-one/benchmark. Run from the repository root:
//   swift package --package-path Benchmarks benchmark
// See Benchmarks/README.md.
import PackageDescription

let package = Package(
    name: "DupelinkBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        // Named so the product reference does not depend on the checkout folder's name (main, wt-bench...).
        .package(name: "dupelink", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "Stages",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "DupelinkCore", package: "dupelink"),
            ],
            path: "Benchmarks/Stages",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
