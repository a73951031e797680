internal import ApusLoop
internal import FoundationEssentials

/// Go functions are compiled once into a binary of their own, with the wrapper that speaks the
/// worker protocol (`runtimes/go_worker.go`). Binaries are cached under
/// `$XDG_CACHE_HOME/apus` (or `~/.cache/apus`), keyed by the function's source, the wrapper and
/// the toolchain's version: a restart, or a reload that leaves the function as it was, does
/// not build again. Builds run at start-up or on a reload, never on the request path.
enum CompiledFunction {
    /// Why a function cannot run: its status and message for requests, the details for the log.
    struct Failure: Error {
        let message: String
        let details: String
    }

    static func goBinary(for function: FunctionsManifest.Worker, go: String, runtimes: String) -> Result<String, Failure> {
        let wrapperPath = runtimes + "/go_worker.go"
        guard let source = try? Data(contentsOf: URL(filePath: function.file)),
              let wrapper = try? Data(contentsOf: URL(filePath: wrapperPath)) else {
            return .failure(Failure(message: "cannot read \(function.file)", details: ""))
        }
        let version = toolchainVersion(go)
        let key = fingerprint([Array(source), Array(wrapper), Array(version.utf8)])
        let folder = cacheFolder() + "/go/" + key
        let binary = folder + "/function"
        if FileManager.default.isExecutableFile(atPath: binary) { return .success(binary) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try wrapper.write(to: URL(filePath: folder + "/main.go"))
            try source.write(to: URL(filePath: folder + "/function.go"))
        } catch {
            return .failure(Failure(message: "cannot prepare its build in \(folder)", details: "\(error)"))
        }
        let build = Subprocess.run(go, ["build", "-o", "function.tmp", "main.go", "function.go"], in: folder)
        guard build.succeeded else {
            // The compiler names the copy; the user knows the file by its own name.
            let output = build.output.replacing("./function.go", with: function.file).replacing("function.go", with: function.file)
            return .failure(Failure(message: "the Go build failed", details: output))
        }
        do {
            try FileManager.default.moveItem(atPath: folder + "/function.tmp", toPath: binary)
        } catch {
            return .failure(Failure(message: "cannot keep the built binary", details: "\(error)"))
        }
        return .success(binary)
    }

    private static let versions = PThreadMutex<[String: String]>([:])

    /// `go version`, asked once per toolchain.
    private static func toolchainVersion(_ go: String) -> String {
        if let known = versions.withLock({ $0[go] }) { return known }
        let version = Subprocess.run(go, ["version"]).output
        versions.withLock { $0[go] = version }
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
