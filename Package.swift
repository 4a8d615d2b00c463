// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "dupelink",
    products: [
        .executable(name: "dupelink", targets: ["dupelink"]),
        .library(name: "DupelinkCore", targets: ["DupelinkCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // libxxhash from Debian's libxxhash-dev; the *_dispatch entry points pick AVX2/AVX-512 at run time.
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        // What Glibc does not import without _GNU_SOURCE (statx, renameat2, O_NOATIME), and the
        // async-signal-safe cancellation flag.
        .target(
            name: "CLinux",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        .target(
            name: "DupelinkCore",
            dependencies: [
                "CXXHash",
                "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // The digest cache's hot loops bind and step SQLite statements directly (about 4x
                // GRDB's row decoding); GRDB still owns the connection, schema and transactions.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .executableTarget(
            name: "dupelink",
            dependencies: [
                "DupelinkCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Builds real directory trees in temporary folders for both test targets.
        .target(
            name: "DupelinkTestSupport",
            path: "Tests/Support"
        ),
        .testTarget(
            name: "DupelinkCoreTests",
            dependencies: [
                "DupelinkCore",
                "DupelinkTestSupport",
                "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "DupelinkCLITests",
            dependencies: [
                "DupelinkCore",
                "DupelinkTestSupport",
                "CLinux",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
