// swift-tools-version:6.0
import PackageDescription
import Foundation

// Every Clang module must see the same feature macros: pyconfig.h defines these before libc
// headers, so targets that import both CPython and CLibUV define them too.
let sameCFeatures: [CSetting] = [.define("_GNU_SOURCE"), .define("_FILE_OFFSET_BITS", to: "64")]
// (No unsafe flags in the library's targets: SwiftPM refuses them in a package that others
// depend on by version. Release builds skip the run-time exclusivity checks, about 4% of a
// request's instructions on the loop thread, by scripts/build-for-python.sh's
// `-Xswiftc -enforce-exclusivity=unchecked`; debug builds, which the tests run, keep them and
// trap on any overlapping access.)
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// The executable's resident size: lld packs its relative relocations (DT_RELR: a few KiB
// instead of ~1 MB read at every start) and lays out first, together, the functions a FastAPI
// app runs (scripts/symbol-order.py says why and makes the list).
let compactExecutable = [
    "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/symbol-order.txt",
    "-Xlinker", "--no-warn-symbol-ordering",
]

// The Python version this build embeds: 3.11 (Debian's) unless APUS_PYTHON_VERSION names another
// (scripts/build-for-python.sh sets it, with PKG_CONFIG_PATH at that interpreter's headers, and
// builds in a scratch path of its own: .build-py3.12, ...).
let pythonVersion = Context.environment["APUS_PYTHON_VERSION"] ?? "3.11"

// The interpreter the CLI embeds: the static libpython (for 3.11, Debian's: the code
// /usr/bin/python3.11 runs, not position-independent, so the executable is not either) when
// scripts/static-python.sh has made it into one object; the shared library otherwise, whose
// Python runs ~12% slower. The executable exports the C API that extension modules link
// against, and nothing else (the static Swift runtime's flags would export every symbol).
let staticPython = "\(Context.packageDirectory)/.build/static-python/libpython\(pythonVersion).o"
let embeddedPython: [LinkerSetting] = FileManager.default.fileExists(atPath: staticPython)
    ? [.unsafeFlags(["-Xclang-linker", "-no-pie", "-Xlinker", staticPython, "-lexpat", "-lz", "-lm", "-ldl",
                     "-Xlinker", "--no-export-dynamic", "-Xlinker", "--export-dynamic-symbol=Py*",
                     "-Xlinker", "--export-dynamic-symbol=_Py*"])]
    : [.linkedLibrary("python\(pythonVersion)")]

// The C++ runtime, static when scripts/setup.sh has put its archive where -lstdc++ finds it
// first (the shared one made ~1 MB resident at start).
let staticCXX = "\(Context.packageDirectory)/.build/static-cxx"
let embeddedCXX: [LinkerSetting] = FileManager.default.fileExists(atPath: staticCXX + "/libstdc++.a")
    ? [.unsafeFlags(["-L", staticCXX])]
    : []

// libuv, static in the executable (a wheel then needs none on the system, where Debian's base has
// none): its whole archive, so that every libuv symbol is defined within; the shared library the
// module map also names is then unused, and scripts/build-wheel.sh drops it from the executable's
// needs. (The extension module links the shared one, as the archive is built for executables
// only; a wheel carries a copy of it beside the extension.)
#if arch(arm64)
let multiarch = "aarch64-linux-gnu"
#else
let multiarch = "x86_64-linux-gnu"
#endif
let staticLibUV = "/usr/lib/\(multiarch)/libuv_a.a"
let embeddedLibUV: [LinkerSetting] = FileManager.default.fileExists(atPath: staticLibUV)
    ? [.unsafeFlags(["-Xlinker", "--whole-archive", "-Xlinker", staticLibUV, "-Xlinker", "--no-whole-archive"])]
    : []

// nghttp2 (HTTP/2), static in the executable, as libuv is: the whole archive (the module map's
// -lnghttp2 comes first on the link line, and would otherwise resolve every symbol from the
// shared library). Not in the extension module: the archive is not all position-independent
// (nghttp2_map.o), so the extension links the shared library, which a wheel carries.
let staticNGHTTP2 = "/usr/lib/\(multiarch)/libnghttp2.a"
let embeddedNGHTTP2: [LinkerSetting] = FileManager.default.fileExists(atPath: staticNGHTTP2)
    ? [.unsafeFlags(["-Xlinker", "--whole-archive", "-Xlinker", staticNGHTTP2, "-Xlinker", "--no-whole-archive"])]
    : []

var targets: [Target] = [
    // libuv, linked statically wherever Apus is linked (Sources/CLibUV/module.modulemap says why).
    .systemLibrary(name: "CLibUV", providers: [.apt(["libuv1-dev"])]),
    // Headers only: the embedding executable links libpython itself, the extension module must not.
    .systemLibrary(name: "CPython", pkgConfig: "python-\(pythonVersion)", providers: [.apt(["python3-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // OpenSSL: libcrypto (the WebSocket handshake's SHA-1) and libssl (TLS).
    .systemLibrary(name: "CCrypto", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
    // The module boundaries are targets: the loop knows nothing of HTTP, and neither knows
    // Python exists.
    .target(
        name: "ApusLoop",
        dependencies: ["CLibUV"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    .target(
        name: "ApusHTTP",
        dependencies: ["ApusLoop", "CCrypto", "CNGHTTP2", "CZlib", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // Starlette's CORS, GZip, TrustedHost and HTTPSRedirect middleware, as HTTP rules: no Python.
    .target(
        name: "ApusMiddleware",
        dependencies: ["ApusHTTP", "CZlib"],
        swiftSettings: swiftSettings
    ),
    // Subprocess worker pools for functions in other languages: spawn, framed protocol,
    // timeouts, restarts. Knows the loop, nothing of HTTP or Python.
    .target(
        name: "ApusWorkers",
        dependencies: ["ApusLoop", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // The server wiring that needs no Python: the serving process (signals, limits, shutdown),
    // the supervisor of worker processes and its source watch, the router of Swift handlers.
    .target(
        name: "ApusServer",
        dependencies: ["ApusLoop", "ApusHTTP", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // The embedded interpreter: the GIL, references, values, calls, the executor threads and
    // the asyncio thread. The only target that imports CPython; raw pointers stay in it.
    .target(
        name: "ApusPython",
        dependencies: ["ApusLoop", "ApusHTTP", "CPython", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // The ASGI bridge: one request carried to Python (the ASGI app, a plan's entry point, a
    // function's event) and its response or WebSocket messages back; the app's lifespan; the
    // hand-off to Python's threads. It sees Python only through ApusPython.
    .target(
        name: "ApusASGI",
        dependencies: ["ApusLoop", "ApusHTTP", "ApusMiddleware", "ApusPython", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // Native plans: an app's routes compiled into the runtime's route table, each served by its
    // plan or, failing that, by the app through the bridge.
    .target(
        name: "ApusPlans",
        dependencies: ["ApusLoop", "ApusHTTP", "ApusMiddleware", "ApusPython", "ApusASGI",
                       .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // The runtime as programs and Python hosts use it: the native module `_apus`, the runtime
    // hosted in a Python process, an app loaded by name; it re-exports the layers below.
    .target(
        name: "ActorRuntime",
        dependencies: ["ApusLoop", "ApusHTTP", "ApusMiddleware", "ApusServer", "ApusPython", "ApusASGI", "ApusPlans",
                       .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    // Functions directories: the tree (mapped by apus.functions), events, worker functions.
    .target(
        name: "ApusFunctions",
        dependencies: ["ActorRuntime", "ApusWorkers", "ApusHTTP", "ApusLoop", .product(name: "Logging", package: "swift-log")],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings
    ),
    .executableTarget(
        name: "App",
        dependencies: [
            "ActorRuntime",
            "ApusFunctions",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings,
        // The CLI embeds the interpreter (see embeddedPython), and carries the Swift
        // runtime in itself: only what it uses is loaded, with no relocations of whole shared
        // libraries at start (3.5 MB less RSS, a faster cold start).
        // (FoundationEssentials, which the argument parser uses, needs its two support
        // libraries named when linked statically.)
        linkerSettings: embeddedPython + embeddedCXX + embeddedLibUV + embeddedNGHTTP2 + [
            .unsafeFlags(compactExecutable),
            .unsafeFlags(["-static-stdlib", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-l_FoundationCShims", "-Xlinker", "-lswiftSynchronization"]),
        ]
    ),
    // The same runtime as a CPython extension module (`import apus._apus`), for Python hosts.
    .target(
        name: "ApusExtension",
        dependencies: ["ActorRuntime", "CPython"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings,
        // The Swift runtime inside the module (as in the executable): a Python process that
        // imports it needs no Swift toolchain installed.
        linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-l_FoundationCollections", "-Xlinker", "-l_FoundationCShims",
                                       "-Xlinker", "-lswiftSynchronization"])]
    ),
    .testTarget(
        name: "ActorRuntimeTests",
        dependencies: ["ActorRuntime", "ApusFunctions", "ApusHTTP", "ApusLoop", "ApusMiddleware", "ApusPython", "ApusWorkers", "CPython"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings,
        linkerSettings: [.linkedLibrary("python\(pythonVersion)")]
    ),
]

var products: [Product] = [
    .executable(name: "apus", targets: ["App"]),
    .library(name: "ActorRuntime", targets: ["ActorRuntime"]),
    .library(name: "ApusExtension", type: .dynamic, targets: ["ApusExtension"]),
]

// The libFuzzer target has no `main` of its own (libFuzzer supplies it), so it only exists when
// `make fuzz` asks for it with APUS_FUZZ=1 and builds with -sanitize=fuzzer.
if ProcessInfo.processInfo.environment["APUS_FUZZ"] == "1" {
    targets.append(.target(name: "FuzzDriver", swiftSettings: swiftSettings))
    targets.append(.executableTarget(
        name: "HTTPParserFuzz",
        dependencies: ["ApusHTTP", "FuzzDriver"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])],
        linkerSettings: [.linkedLibrary("python\(pythonVersion)")]
    ))
    products.append(.executable(name: "http-parser-fuzz", targets: ["HTTPParserFuzz"]))
    targets.append(.executableTarget(
        name: "ConnectionFuzz",
        dependencies: ["ApusHTTP", "FuzzDriver"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])],
        linkerSettings: [.linkedLibrary("python\(pythonVersion)")]
    ))
    products.append(.executable(name: "connection-fuzz", targets: ["ConnectionFuzz"]))
    targets.append(.executableTarget(
        name: "HTTP2Fuzz",
        dependencies: ["ApusHTTP", "FuzzDriver"],
        cSettings: sameCFeatures,
        swiftSettings: swiftSettings + [.unsafeFlags(["-parse-as-library"])],
        linkerSettings: [.linkedLibrary("python\(pythonVersion)")]
    ))
    products.append(.executable(name: "http2-fuzz", targets: ["HTTP2Fuzz"]))
}

let package = Package(
    name: "Apus",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
