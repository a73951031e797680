internal import ApusLoop
internal import ApusWorkers

/// How each language's functions are run: its toolchain (looked up on `PATH` once), the
/// wrapper that speaks the worker protocol (`apus/functions/runtimes/`), and how many requests
/// one worker takes at once.
struct WorkerRuntime {
    let language: String
    /// The toolchain's executable, or nil if it is not installed.
    let executable: String?
    /// Requests one worker handles at once: Node runs handlers concurrently on its event loop
    /// and Go on goroutines; PHP and Rust take one at a time (the pool starts more workers).
    let concurrency: Int
    private let runtimes: String

    /// The language's toolchain, or nil for a language functions cannot be written in.
    static func find(_ language: String, runtimes: String) -> WorkerRuntime? {
        let toolchain: [String: (executable: String, concurrency: Int)] = ["node": ("node", 64), "php": ("php", 1), "go": ("go", 64), "rust": ("rustc", 1)]
        guard let (name, concurrency) = toolchain[language] else { return nil }
        return WorkerRuntime(language: language, executable: ProcessControl.executable(named: name), concurrency: concurrency, runtimes: runtimes)
    }

    /// The command that starts a worker for `group`'s functions (a Go or Rust function is built
    /// first, once), or why it cannot run. Only Node workers serve several files; the group's
    /// settings, env and folder are its first function's (the same for all, `WorkerGroup`).
    func command(for group: [FunctionsManifest.Worker], environment: [String]) -> Result<WorkerCommand, CompiledFunction.Failure> {
        guard let executable else {
            return .failure(.init(message: "runtime unavailable: \(language) is not installed", details: ""))
        }
        let function = group[0]
        let (program, arguments): (String, [String])
        switch language {
        case "go", "rust":
            switch CompiledFunction.binary(for: function, compiler: executable, runtimes: runtimes) {
            case .success(let binary): (program, arguments) = (binary, [])
            case .failure(let failure): return .failure(failure)
            }
        case "node":
            (program, arguments) = (executable, [runtimes + "/node_worker.js", function.handler] + group.map(\.file))
        default:
            (program, arguments) = (executable, [runtimes + "/php_worker.php", function.file, function.handler])
        }
        return .success(WorkerCommand(
            executable: program, arguments: arguments, directory: function.folder,
            environment: environment + function.env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" },
            concurrency: min(concurrency, function.setting("max_concurrency", default: 20))))
    }
}
