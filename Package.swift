// swift-tools-version:6.2
import PackageDescription

/// One settings array for every target (swift-nio's habit), so the whole package builds the same way.
let swiftSettings: [SwiftSetting] = [
    // SE-0335: `any` spelled out for existentials.
    .enableUpcomingFeature("ExistentialAny"),
    // SE-0444: a file sees only the modules it imports itself.
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "erpmes",
    products: [
        .executable(name: "erpmes", targets: ["erpmes"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev", "pkgconf"])]
        ),
        .target(
            name: "LibPQ",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ErpmesCore",
            dependencies: [
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ErpmesMigrate",
            dependencies: [
                "ErpmesCore",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ErpmesReplicator",
            dependencies: [
                "ErpmesCore",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ErpmesCLI",
            dependencies: [
                "ErpmesCore",
                "ErpmesMigrate",
                "ErpmesReplicator",
                "LibPQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "erpmes",
            dependencies: [
                "ErpmesCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ErpmesTestSupport",
            dependencies: [
                "ErpmesMigrate",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ErpmesTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LibPQTests",
            dependencies: [
                "LibPQ",
                "ErpmesTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ErpmesReplicatorTests",
            dependencies: [
                "ErpmesReplicator",
                "ErpmesCore",
                "ErpmesTestSupport",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ErpmesCoreTests",
            dependencies: ["ErpmesCore", "LibPQ"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ErpmesMigrateTests",
            dependencies: [
                "ErpmesMigrate",
                "ErpmesTestSupport",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Golden"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
