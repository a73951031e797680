internal import ApusLoop
internal import FoundationEssentials

/// Go and Rust functions are compiled once into a binary of their own, with the wrapper that
/// speaks the worker protocol (`runtimes/go_worker.go`, `runtimes/rust_worker.rs`; Rust's with
/// the `serde_json` subset in `runtimes/rust_serde_json.rs`, since crates.io may be out of
/// reach). Binaries are cached under `$XDG_CACHE_HOME/apus` (or `~/.cache/apus`), keyed by the
/// function's source, the wrapper and the toolchain's version: a restart, or a reload that
/// leaves the function as it was, does not build again. Builds run at start-up or on a reload,
/// never on the request path.
enum CompiledFunction {
    /// Why a function cannot run: its status and message for requests, the details for the log.
    struct Failure: Error {
        let message: String
        let details: String
    }

    /// The function's binary, built if it is not in the cache.
    static func binary(for function: FunctionsManifest.Worker, compiler: String, runtimes: String) -> Result<String, Failure> {
        let rust = function.runtime == "rust"
        let wrapperPath = runtimes + (rust ? "/rust_worker.rs" : "/go_worker.go")
        guard let source = try? Data(contentsOf: URL(filePath: function.file)),
              let wrapper = try? Data(contentsOf: URL(filePath: wrapperPath)) else {
            return .failure(Failure(message: "cannot read \(function.file)", details: ""))
        }
        let version = toolchainVersion(compiler, rust ? "-V" : "version")
        var arguments = ["build", "-o", "function.tmp", "main.go", "function.go"]
        var key = [Array(source), Array(wrapper), Array(version.utf8)]
        let (main, copy) = rust ? ("main.rs", "function.rs") : ("main.go", "function.go")
        if rust {
            switch serdeLibrary(rustc: compiler, version: version, runtimes: runtimes) {
            case .success(let library):
                arguments = ["--edition", "2021", "-O", "main.rs", "--extern", "serde_json=" + library, "-o", "function.tmp"]
                key.append(Array(library.utf8))
            case .failure(let failure):
                return .failure(failure)
            }
        }
        let folder = cacheFolder() + "/\(function.runtime)/" + fingerprint(key)
        let binary = folder + "/function"
        if FileManager.default.isExecutableFile(atPath: binary) { return .success(binary) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try wrapper.write(to: URL(filePath: folder + "/" + main))
            try source.write(to: URL(filePath: folder + "/" + copy))
        } catch {
            return .failure(Failure(message: "cannot prepare its build in \(folder)", details: "\(error)"))
        }
        let build = Subprocess.run(compiler, arguments, in: folder)
        guard build.succeeded else {
            // The compiler names the copy; the user knows the file by its own name.
            let output = build.output.replacing("./" + copy, with: function.file).replacing(copy, with: function.file)
            return .failure(Failure(message: "the \(rust ? "Rust" : "Go") build failed", details: output))
        }
        do {
            try FileManager.default.moveItem(atPath: folder + "/function.tmp", toPath: binary)
        } catch {
            return .failure(Failure(message: "cannot keep the built binary", details: "\(error)"))
        }
        return .success(binary)
    }

    /// The `serde_json` subset every Rust function links, built once per toolchain.
    private static func serdeLibrary(rustc: String, version: String, runtimes: String) -> Result<String, Failure> {
        guard let source = try? Data(contentsOf: URL(filePath: runtimes + "/rust_serde_json.rs")) else {
            return .failure(Failure(message: "cannot read the Rust support library", details: runtimes))
        }
        let folder = cacheFolder() + "/rust-serde_json/" + fingerprint([Array(source), Array(version.utf8)])
        let library = folder + "/libserde_json.rlib"
        if FileManager.default.fileExists(atPath: library) { return .success(library) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try source.write(to: URL(filePath: folder + "/serde_json.rs"))
        } catch {
            return .failure(Failure(message: "cannot prepare the Rust support library", details: "\(error)"))
        }
        let build = Subprocess.run(
            rustc, ["--edition", "2021", "--crate-type", "rlib", "--crate-name", "serde_json", "-O", "serde_json.rs",
                    "-o", "libserde_json.tmp"], in: folder)
        guard build.succeeded else {
            return .failure(Failure(message: "the Rust support library does not build", details: build.output))
        }
        do {
            try FileManager.default.moveItem(atPath: folder + "/libserde_json.tmp", toPath: library)
        } catch {
            return .failure(Failure(message: "cannot keep the Rust support library", details: "\(error)"))
        }
        return .success(library)
    }

    private static let versions = PThreadMutex<[String: String]>([:])

    /// `go version` or `rustc -V`, asked once per toolchain.
    private static func toolchainVersion(_ compiler: String, _ flag: String) -> String {
        if let known = versions.withLock({ $0[compiler] }) { return known }
        let version = Subprocess.run(compiler, [flag]).output
        versions.withLock { $0[compiler] = version }
        return version
    }

    private static func cacheFolder() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return cache + "/apus" }
        return (environment["HOME"] ?? "/tmp") + "/.cache/apus"
    }

    /// FNV-1a over the parts (a cache key, not a security boundary), as 16 hex digits.
    private static func fingerprint(_ parts: [[UInt8]]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01b3
            }
            hash ^= 0xFF
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
