// swift-tools-version:6.0
import PackageDescription

// One-way dependencies (see docs/ARCHITECTURE.md):
// CAttentionMath (vector math; OpenBLAS loaded on first use) <- AttentionCore <- AttentionLanguage (+ JSONValues, Threading) <- AttentionKernel -> JupyterProtocol <- JupyterZMQ -> CZeroMQ
// Linux only (Glibc, FoundationEssentials; see docs/ARCHITECTURE.md).
// The language never imports anything Jupyter; the protocol never imports the language.
let package = Package(
    name: "AttentionKernel",
    products: [
        .executable(name: "attention-kernel", targets: ["attention-kernel"]),
        .library(name: "AttentionCore", targets: ["AttentionCore"]),
        .library(name: "AttentionLanguage", targets: ["AttentionLanguage"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // The numeric core is compiled optimised in debug builds too: lessons, graders and the
        // integration tests train real models through it, and unoptimised element loops run
        // them several times slower (the language, kernel and protocol stay debuggable).
        .target(
            name: "CAttentionMath", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))],
            linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "Threading"),
        .target(
            name: "AttentionCore", dependencies: ["CAttentionMath"],
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(name: "JSONValues", dependencies: [.product(name: "OrderedCollections", package: "swift-collections")]),
        .target(
            name: "AttentionLanguage",
            dependencies: ["AttentionCore", "JSONValues", "Threading", .product(name: "OrderedCollections", package: "swift-collections")]),
        .target(
            name: "JupyterProtocol",
            dependencies: [
                "JSONValues", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "JupyterZMQ", dependencies: ["CZeroMQ", "JupyterProtocol", "Threading"]),
        .target(name: "AttentionKernel", dependencies: ["AttentionCore", "AttentionLanguage", "JSONValues", "JupyterProtocol", "Threading"]),
        .executableTarget(
            name: "attention-kernel",
            dependencies: [
                "AttentionKernel", "JupyterProtocol", "JupyterZMQ", "AttentionLanguage", "JSONValues",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "attention-bench", dependencies: ["AttentionCore", "AttentionLanguage"]),
        .testTarget(name: "AttentionCoreTests", dependencies: ["AttentionCore", "CAttentionMath"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AttentionLanguageTests", dependencies: ["AttentionLanguage"], resources: [.copy("Golden"), .copy("Fixtures")]),
        .testTarget(name: "JupyterProtocolTests", dependencies: ["JupyterProtocol", "JSONValues"]),
        .testTarget(name: "JSONValuesTests", dependencies: ["JSONValues"]),
        .testTarget(name: "ThreadingTests", dependencies: ["Threading"]),
        .testTarget(name: "JupyterZMQTests", dependencies: ["JupyterZMQ", "JupyterProtocol", "JSONValues"]),
        .testTarget(name: "AttentionKernelTests", dependencies: ["AttentionKernel", "AttentionCore", "AttentionLanguage", "JupyterProtocol", "JupyterZMQ"]),
    ]
)
