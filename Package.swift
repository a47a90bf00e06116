// swift-tools-version:6.0
// The printer agent: one source tree, two builds (see docs/building.md).
//
// - Normal Swift (`swift build`, `swift test`): the host executable, the tests and the
//   host-only tools.
// - Embedded Swift (`AGENT_EMBEDDED=1`, driven by `packaging/cross/build`): the device
//   code only, as one static library that the target's gcc links into the device binary.
import PackageDescription

let embedded = Context.environment["AGENT_EMBEDDED"] == "1"

/// Settings of every target that ships on the device.
let deviceSwiftSettings: [SwiftSetting] = embedded
    ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo", "-Osize", "-Xfrontend", "-function-sections"])]
    : []

/// A SwiftPM system-library target for a C library found with pkg-config.
func cLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

var targets: [Target] = [
    .systemLibrary(name: "CLibc"),
    cLibrary("CMosquitto", pkgConfig: "libmosquitto", apt: "libmosquitto-dev"),
    cLibrary("CCrypto", pkgConfig: "libcrypto", apt: "libssl-dev"),
    cLibrary("CUdev", pkgConfig: "libudev", apt: "libudev-dev"),
    cLibrary("CJSON", pkgConfig: "libcjson", apt: "libcjson-dev"),
    cLibrary("CCurl", pkgConfig: "libcurl", apt: "libcurl4-openssl-dev"),
    cLibrary("CZlib", pkgConfig: "zlib", apt: "zlib1g-dev"),
    cLibrary("CMicroHTTPD", pkgConfig: "libmicrohttpd", apt: "libmicrohttpd-dev"),
    .target(
        name: "AgentJSON", dependencies: ["CJSON"], swiftSettings: deviceSwiftSettings,
        linkerSettings: [.linkedLibrary("m")]),
    .target(name: "AgentCore", dependencies: ["AgentJSON"], swiftSettings: deviceSwiftSettings),
    .target(
        name: "AgentPlatform",
        dependencies: ["AgentCore", "AgentJSON", "CLibc", "CMosquitto", "CUdev", "CCurl", "CCrypto", "CZlib", "CMicroHTTPD"],
        swiftSettings: deviceSwiftSettings),
    .target(
        name: "PrinterAgent",
        dependencies: ["AgentCore", "AgentJSON", "AgentPlatform", "CLibc"],
        swiftSettings: deviceSwiftSettings),
]
var products: [Product] = []
/// Packages from outside, for host-only tools; the device build resolves none.
var dependencies: [Package.Dependency] = []

if embedded {
    products.append(.library(name: "PrinterAgentDevice", type: .static, targets: ["PrinterAgent"]))
} else {
    products.append(.executable(name: "printer-agent", targets: ["printer-agent"]))
    products.append(.executable(name: "agent-bench", targets: ["agent-bench"]))
    products.append(.executable(name: "printer-sim", targets: ["printer-sim"]))
    products.append(.executable(name: "printerctl", targets: ["printerctl"]))
    dependencies.append(.package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"))
    let fuzzTargets = ["fuzz-commands", "fuzz-controller", "fuzz-config", "fuzz-archive"]
    products += fuzzTargets.map { .executable(name: $0, targets: [$0]) }
    targets += fuzzTargets.map { .executableTarget(name: $0, dependencies: ["FuzzTargets"]) }
    targets += [
        .executableTarget(name: "printer-agent", dependencies: ["PrinterAgent", "CLibc"]),
        .executableTarget(name: "agent-bench", dependencies: ["CMosquitto"]),
        .executableTarget(name: "printer-sim", dependencies: ["AgentJSON"]),
        // The host command-line client (docs/printerctl.md): normal Swift with Foundation.
        .executableTarget(
            name: "printerctl",
            dependencies: ["AgentPlatform", "AgentCore", "CMosquitto", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // libFuzzer targets (fuzz/run builds them with -sanitize=fuzzer); built normally they
        // replay the inputs named on their command line.
        .systemLibrary(name: "CFuzzer"),
        .target(name: "FuzzTargets", dependencies: ["PrinterAgent", "AgentCore", "AgentJSON", "AgentPlatform", "CMosquitto", "CFuzzer"]),
        .target(name: "TestSupport", dependencies: ["CMosquitto", "AgentPlatform", "AgentJSON"], path: "Tests/TestSupport"),
        .testTarget(name: "AgentJSONTests", dependencies: ["AgentJSON"]),
        .testTarget(name: "AgentCoreTests", dependencies: ["AgentCore", "AgentJSON"]),
        .testTarget(
            name: "AgentPlatformTests",
            dependencies: ["AgentPlatform", "AgentCore", "CLibc", "CCrypto", "CUdev", "TestSupport"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["printer-agent", "printer-sim", "printerctl", "AgentJSON", "TestSupport"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        // The wiring (services, backends, the outbox) on virtual time, without the broker.
        .testTarget(
            name: "PrinterAgentTests",
            dependencies: ["PrinterAgent", "AgentCore", "AgentJSON", "AgentPlatform", "TestSupport"]),
        .testTarget(name: "PrinterSimTests", dependencies: ["printer-sim", "AgentJSON", "TestSupport"]),
    ]
}

let package = Package(
    name: "printer-agent",
    products: products,
    dependencies: dependencies,
    targets: targets,
    swiftLanguageModes: [.v5]
)
