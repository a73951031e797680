internal import ApusLoop
internal import FoundationEssentials

/// The crates Rust functions link: the real `serde_json` (with `serde`, `itoa` and `ryu`), built
/// once per toolchain from Debian's packaged sources (`librust-serde-json-dev` puts them in
/// `/usr/share/cargo/registry`, a registry cargo reads offline), since crates.io may be out of
/// reach. Cargo builds them (their build scripts and features are cargo's business); each
/// function is then compiled with plain `rustc` against the libraries it made.
enum RustCrates {
    struct Built {
        /// `--extern serde_json=` this.
        let serdeJSON: String
        /// `-L dependency=` this.
        let dependencies: String
    }

    /// Where the packaged crates are; `APUS_CARGO_REGISTRY` may name another such folder.
    static var registry: String {
        ProcessInfo.processInfo.environment["APUS_CARGO_REGISTRY"] ?? "/usr/share/cargo/registry"
    }

    private static let built = PThreadMutex<[String: Built]>([:])

    /// The libraries for `rustc` (whose `-V` is `version`), built if the cache has none.
    static func libraries(rustc: String, version: String, cacheFolder: String) -> Result<Built, CompiledFunction.Failure> {
        if let known = built.withLock({ $0[rustc] }) { return .success(known) }
        let sources = (try? FileManager.default.contentsOfDirectory(atPath: registry))?
            .filter { ["serde_json-", "serde-", "itoa-", "ryu-"].contains(where: $0.hasPrefix) }.sorted() ?? []
        guard sources.contains(where: { $0.hasPrefix("serde_json-") }) else {
            return .failure(.init(
                message: "Rust functions need serde_json, which is not installed",
                details: "no serde_json crate in \(registry): install Debian's librust-serde-json-dev (scripts/setup.sh does)"))
        }
        let rustcFolder = String(rustc[..<(rustc.lastIndex(of: "/") ?? rustc.startIndex)])
        let cargo = FileManager.default.isExecutableFile(atPath: rustcFolder + "/cargo")
            ? rustcFolder + "/cargo" : ProcessControl.executable(named: "cargo")
        guard let cargo else {
            return .failure(.init(message: "Rust functions need cargo, which is not installed",
                                  details: "cargo builds serde_json once: install Debian's cargo (scripts/setup.sh does)"))
        }
        let folder = cacheFolder + "/rust-crates/" + CompiledFunction.fingerprint(
            [Array(version.utf8), Array(cargo.utf8), Array(registry.utf8)] + sources.map { Array($0.utf8) })
        do {
            try FileManager.default.createDirectory(atPath: folder + "/src", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: folder + "/.cargo", withIntermediateDirectories: true)
            try Data(manifest.utf8).write(to: URL(filePath: folder + "/Cargo.toml"))
            try Data("pub use serde_json;\n".utf8).write(to: URL(filePath: folder + "/src/lib.rs"))
            try Data(configuration.utf8).write(to: URL(filePath: folder + "/.cargo/config.toml"))
        } catch {
            return .failure(.init(message: "cannot prepare the Rust crates' build in \(folder)", details: "\(error)"))
        }
        let environment = ProcessControl.environment.filter { !$0.hasPrefix("CARGO_HOME=") && !$0.hasPrefix("RUSTC=") }
            + ["CARGO_HOME=\(folder)/cargo-home", "RUSTC=\(rustc)"]
        let build = Subprocess.run(cargo, ["build", "--release", "--offline", "--message-format=json-render-diagnostics"],
                                   in: folder, environment: environment)
        guard build.succeeded, let library = serdeJSONLibrary(build.output) else {
            return .failure(.init(message: "serde_json does not build for Rust functions", details: build.output))
        }
        let result = Built(serdeJSON: library, dependencies: folder + "/target/release/deps")
        built.withLock { $0[rustc] = result }
        return .success(result)
    }

    /// The `.rlib` cargo's JSON messages name for the serde_json crate.
    private static func serdeJSONLibrary(_ output: String) -> String? {
        struct Message: Decodable {
            struct Target: Decodable {
                let name: String
            }

            let reason: String
            let target: Target?
            let filenames: [String]?
        }
        for line in output.split(separator: "\n") where line.hasPrefix("{") {
            guard let message = try? JSONDecoder().decode(Message.self, from: Data(line.utf8)),
                  message.reason == "compiler-artifact", message.target?.name == "serde_json" else { continue }
            return message.filenames?.first { $0.hasSuffix(".rlib") }
        }
        return nil
    }

    private static let manifest = """
        [package]
        name = "apus_function_crates"
        version = "0.0.0"
        edition = "2021"

        [dependencies]
        serde_json = "1"

        [lib]
        path = "src/lib.rs"
        """

    private static var configuration: String {
        """
        [source.crates-io]
        replace-with = "packaged"

        [source.packaged]
        directory = "\(registry)"

        [net]
        offline = true
        """
    }
}
