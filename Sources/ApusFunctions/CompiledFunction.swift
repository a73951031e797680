internal import ApusLoop
internal import FoundationEssentials

/// Go and Rust functions are compiled once into a binary of their own, with the wrapper that
/// speaks the worker protocol (`runtimes/go_worker.go`, `runtimes/rust_worker.rs`).
///
/// - Rust: the wrapper names the function's own file by its absolute path, so the modules it
///   declares beside it (`#[path = "_shared.rs"] mod _shared;`) are found where they are, and
///   links the real `serde_json` (`RustCrates`).
/// - Go: the function's file is copied beside the wrapper, with the folder's helper files
///   (`_*.go`, private by FastFN's rules), into one `main` package.
///
/// Binaries are cached under `$XDG_CACHE_HOME/apus` (or `~/.cache/apus`), keyed by the
/// function's source and its folder's other sources, the wrapper and the toolchain's version: a
/// restart, or a reload that leaves the function as it was, does not build again. Builds run at
/// start-up or on a reload, never on the request path.
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
              var wrapper = try? Data(contentsOf: URL(filePath: wrapperPath)) else {
            return .failure(Failure(message: "cannot read \(function.file)", details: ""))
        }
        let version = toolchainVersion(compiler, rust ? "-V" : "version")
        let companions = companionFiles(of: function, rust: rust)
        var key = [Array(source), Array(wrapper), Array(version.utf8), Array(function.file.utf8)]
        for (name, contents) in companions { key += [Array(name.utf8), contents] }
        // Go leaves out files whose names start with "_", even named on its command line.
        var copies = companions.map { "helper" + $0.name }
        // FastFN's Go takes an exported `Handler` too: the wrapper calls `handler`.
        let exportsHandler = !rust && Self.definesOnlyExportedHandler(String(decoding: source, as: UTF8.self))
        if exportsHandler { copies.append("exported_handler.go") }
        var arguments = ["build", "-o", "function.tmp", "main.go", "function.go"] + copies
        if rust {
            switch RustCrates.libraries(rustc: compiler, version: version, cacheFolder: cacheFolder()) {
            case .success(let crates):
                arguments = ["--edition", "2021", "-O", "main.rs", "--extern", "serde_json=" + crates.serdeJSON,
                             "-L", "dependency=" + crates.dependencies, "-o", "function.tmp"]
                key.append(Array(crates.serdeJSON.utf8))
            case .failure(let failure):
                return .failure(failure)
            }
            let escaped = function.file.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
            wrapper = Data(String(decoding: wrapper, as: UTF8.self)
                .replacing("#[path = \"function.rs\"]", with: "#[path = \"\(escaped)\"]").utf8)
        }
        let folder = cacheFolder() + "/\(function.runtime)/" + fingerprint(key)
        let binary = folder + "/function"
        if FileManager.default.isExecutableFile(atPath: binary) { return .success(binary) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try wrapper.write(to: URL(filePath: folder + "/" + (rust ? "main.rs" : "main.go")))
            if !rust {
                try source.write(to: URL(filePath: folder + "/function.go"))
                for (copy, (_, contents)) in zip(copies, companions) { try Data(contents).write(to: URL(filePath: folder + "/" + copy)) }
                if exportsHandler { try Data(Self.exportedHandlerShim.utf8).write(to: URL(filePath: folder + "/exported_handler.go")) }
            }
        } catch {
            return .failure(Failure(message: "cannot prepare its build in \(folder)", details: "\(error)"))
        }
        let build = Subprocess.run(compiler, arguments, in: folder)
        guard build.succeeded else {
            // The compiler names the copy; the user knows the file by its own name.
            var output = build.output
            if !rust {
                output = output.replacing("./function.go", with: function.file).replacing("function.go", with: function.file)
                for (copy, (name, _)) in zip(copies, companions) { output = output.replacing(copy, with: function.folder + "/" + name) }
            }
            return .failure(Failure(message: "the \(rust ? "Rust" : "Go") build failed", details: output))
        }
        do {
            try FileManager.default.moveItem(atPath: folder + "/function.tmp", toPath: binary)
        } catch {
            return .failure(Failure(message: "cannot keep the built binary", details: "\(error)"))
        }
        return .success(binary)
    }

    /// Whether a Go function defines `Handler` and no `handler`.
    private static func definesOnlyExportedHandler(_ source: String) -> Bool {
        source.contains("func Handler(") && !source.contains("func handler(")
    }

    private static let exportedHandlerShim = """
        package main

        func handler(event map[string]interface{}) interface{} { return Handler(event) }

        """

    /// The folder's other sources a build takes in (Go: its `_*.go` helpers, copied into the
    /// package; Rust: every other `.rs` file, which a module may name, for the cache key only).
    private static func companionFiles(of function: FunctionsManifest.Worker, rust: Bool) -> [(name: String, contents: [UInt8])] {
        let own = String(function.file.split(separator: "/").last ?? "")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: function.folder)) ?? []).sorted().filter { name in
            name != own && (rust ? name.hasSuffix(".rs") : name.hasPrefix("_") && name.hasSuffix(".go") && !name.hasSuffix("_test.go"))
        }
        return names.compactMap { name in
            (try? Data(contentsOf: URL(filePath: function.folder + "/" + name))).map { (name, Array($0)) }
        }
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
    static func fingerprint(_ parts: [[UInt8]]) -> String {
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
