// swift-tools-version:6.0
import PackageDescription

// A Swift service that serves its own handlers and a FastAPI app on one server and one port.
//
// Apus is a dependency as any Swift package is: by URL and version. Set APUS_PACKAGE_URL to
// where your Apus comes from (a Git URL; `make example-check` points it at a tagged copy of this
// repository); without it, the example builds against the checkout it sits in.
let apusURL = Context.environment["APUS_PACKAGE_URL"]
let apus: Package.Dependency = apusURL.map { .package(url: $0, from: "0.1.0") } ?? .package(path: "../..")
// SwiftPM names a dependency after the last part of its URL or path: the checkout's folder.
let apusPackage = apusURL.map { lastComponent(of: $0, dropping: ".git") }
    ?? lastComponent(of: parent(of: parent(of: Context.packageDirectory)), dropping: "")

func parent(of path: String) -> String { String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
func lastComponent(of path: String, dropping suffix: String) -> String {
    let last = path.split(separator: "/").last.map(String.init) ?? path
    return suffix.isEmpty || !last.hasSuffix(suffix) ? last : String(last.dropLast(suffix.count))
}

let package = Package(
    name: "MixedService",
    platforms: [.macOS(.v14)],
    dependencies: [
        apus,
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "MixedService",
            dependencies: [
                .product(name: "ActorRuntime", package: apusPackage),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The program embeds CPython: it links the interpreter (Debian's libpython3.11-dev).
            linkerSettings: [.linkedLibrary("python3.11")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
