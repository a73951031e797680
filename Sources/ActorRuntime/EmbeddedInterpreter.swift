public import ApusPython
public import Logging

/// The interpreter of a program that embeds the runtime (the `apus` command, or a Swift
/// program that serves a Python app beside its own handlers): started once, on the main thread,
/// in the Python environment the app's directory implies (`PythonEnvironment.resolve`), with
/// the app's directory and the `apus` package first on `sys.path`.
public enum EmbeddedInterpreter {
    public enum StartError: Error, CustomStringConvertible {
        case noSuchDirectory(String)
        case noPythonPackage
        case interpreter(PythonError)

        public var description: String {
            switch self {
            case .noSuchDirectory(let directory): "\(directory): no such directory"
            case .noPythonPackage: PythonPackage.missing
            case .interpreter(let error): "\(error)"
            }
        }
    }

    /// Set once, on the main thread, by the first `start`.
    nonisolated(unsafe) private static var started: PythonEnvironment?

    /// Starts the interpreter for an app in `appDirectory`, and returns the environment it runs
    /// in; once started, returns that environment again. Python's cyclic collector is held off
    /// until `PythonStartUp.end` (see there).
    public static func start(appDirectory: String, logger: Logger) throws(StartError) -> PythonEnvironment {
        if let started { return started }
        let directory = SystemFiles.absolutePath(appDirectory)
        guard SystemFiles.isDirectory(directory) else { throw .noSuchDirectory(appDirectory) }
        guard let package = PythonPackage.directory() else { throw .noPythonPackage }
        var environment = PythonEnvironment.resolve(
            appDirectory: directory, environment: SystemFiles.environment,
            installedIn: SystemFiles.parent(SystemFiles.executablePath))
        environment.leadingPaths = [directory, package]
        logger.debug("python: \(environment.executable), sys.path starts with \(environment.leadingPaths)")
        if let mismatch = environment.versionMismatch { logger.warning("\(mismatch)") }
        ApusNativeModule.registerBuiltin()
        do {
            try PythonInterpreter.start(environment, arguments: CommandLine.arguments)
        } catch {
            throw .interpreter(error)
        }
        PythonStartUp.begin(logger: logger)
        started = environment
        return environment
    }
}

extension PythonEnvironment {
    /// Why a module could not be imported, in one line, when the error says so: the environment
    /// is another Python, FastAPI is missing from it, or the app's packages live in another
    /// environment.
    public func missingModuleHint(_ failure: String) -> String? {
        guard failure.contains("ModuleNotFoundError") || failure.contains("No module named") else { return nil }
        if let versionMismatch { return versionMismatch }
        if failure.contains("No module named 'fastapi'") {
            return "python: \(executable) has no fastapi; install it there (pip install fastapi), "
                + "or set VIRTUAL_ENV to a venv that has it"
        }
        return "python: \(executable); set VIRTUAL_ENV or create .venv next to the app"
    }
}
