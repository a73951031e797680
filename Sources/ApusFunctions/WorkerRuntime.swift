internal import ApusWorkers
#if canImport(Glibc)
internal import Glibc
#endif

/// How each language's functions are run: its toolchain (looked up on `PATH` once), the
/// wrapper that speaks the worker protocol (`apus/functions/runtimes/`), and how many requests
/// one worker takes at once.
struct WorkerRuntime {
    let language: String
    /// The toolchain's executable, or nil if it is not installed.
    let executable: String?
    private let wrapper: String?
    /// Requests one worker handles at once: Node runs handlers concurrently on its event loop,
    /// the others take one at a time (the pool starts more workers instead).
    let concurrency: Int

    static func find(_ language: String, runtimes: String) -> WorkerRuntime? {
        switch language {
        case "node":
            return WorkerRuntime(language: language, executable: onPath("node"), wrapper: runtimes + "/node_worker.js", concurrency: 16)
        case "php":
            return WorkerRuntime(language: language, executable: onPath("php"), wrapper: runtimes + "/php_worker.php", concurrency: 1)
        default:
            return nil
        }
    }

    /// The command that starts a worker for `function`.
    func command(for function: FunctionsManifest.Worker, environment: [String]) -> WorkerCommand? {
        guard let executable, let wrapper else { return nil }
        return WorkerCommand(
            executable: executable, arguments: [wrapper, function.file, function.handler], directory: function.folder,
            environment: environment + function.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            concurrency: min(concurrency, function.setting("max_concurrency", default: 20)))
    }

    /// The first `name` on `PATH` that is an executable file.
    static func onPath(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// The server's own environment ("KEY=value"), which workers inherit so that a function can
/// call back into the server.
enum ProcessEnvironment {
    static var entries: [String] {
        var entries: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            entries.append(String(cString: pointer))
            entry += 1
        }
        return entries
    }
}
