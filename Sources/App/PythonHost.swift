import ActorRuntime
import Logging

/// Starting the embedded interpreter and loading the app for `apus run module:app`. Any
/// failure prints the Python traceback (or a one-line reason) and exits 1.
enum PythonHost {
    static func loadApp(
        target: String, factory: Bool, appDirectory: String, logger: Logger, logging: PythonLogging = PythonLogging()
    ) throws -> PyObjectRef {
        let environment = startInterpreter(appDirectory: appDirectory, logger: logger, logging: logging)
        do {
            return try PythonApp.load(target, factory: factory)
        } catch {
            var message = "error: cannot load \(target): \(error)"
            if case .python(let traceback) = error, let hint = missingModuleHint(traceback, environment) {
                message += "\n(\(hint))"
            }
            Console.error(message)
            Console.terminate(1)
        }
    }

    /// Why a module could not be imported, in one line, when the error says so: the environment
    /// is another Python, FastAPI is missing from it (a functions tree needs it), or the app's
    /// packages live in another environment.
    static func missingModuleHint(_ text: String, _ environment: PythonEnvironment) -> String? {
        guard text.contains("ModuleNotFoundError") || text.contains("No module named") else { return nil }
        if let mismatch = environment.versionMismatch { return mismatch }
        if text.contains("No module named 'fastapi'") {
            return "python: \(environment.executable) has no fastapi; install it there (pip install fastapi), "
                + "or set VIRTUAL_ENV to a venv that has it"
        }
        return "python: \(environment.executable); set VIRTUAL_ENV or create .venv next to the app"
    }

    /// Starts the interpreter with `appDirectory` and the apus package first on `sys.path`, and
    /// the app's logging set up as `logging` says, before the app is imported.
    @discardableResult
    static func startInterpreter(appDirectory: String, logger: Logger, logging: PythonLogging = PythonLogging()) -> PythonEnvironment {
        let directory = SystemFiles.absolutePath(appDirectory)
        guard SystemFiles.isDirectory(directory) else {
            Console.error("error: --app-dir \(appDirectory): no such directory")
            Console.terminate(1)
        }
        guard let package = PythonPackage.directory() else {
            Console.error(PythonPackage.missing)
            Console.terminate(1)
        }
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
            Console.error("error: \(error)")
            Console.terminate(1)
        }
        PythonStartUp.begin(logger: logger)
        logging.apply(logger: logger)
        return environment
    }

    static func application(app: PyObjectRef, options: ASGIApplication.Options) throws -> ASGIApplication {
        do {
            return try ASGIApplication.make(app: app, options: options)
        } catch {
            Console.error("error: cannot serve the app: \(error)")
            Console.terminate(1)
        }
    }

    static func planResponder(asgi: ASGIResponder, threads: Int, logger: Logger) throws -> PlanResponder {
        do {
            return try PlanResponder.make(asgi: asgi, threads: threads, logger: logger)
        } catch {
            Console.error("error: cannot compile the app's routes: \(error)")
            Console.terminate(1)
        }
    }
}

/// How the app's Python logging is set up: `--log-format json` (records no handler takes are
/// JSON lines) and `--log-config` (a file uvicorn's way: dictConfig or fileConfig).
struct PythonLogging {
    var json = false
    var config: String?

    func apply(logger: Logger) {
        if json {
            do {
                _ = try PythonModuleCall.call("apus._log_lines", "use_json_lines", [])
            } catch {
                logger.warning("the app's log records stay in Python's format: \(error)")
            }
        }
        if let config {
            do {
                _ = try PythonModuleCall.call("apus._log_lines", "apply_config", [.text(SystemFiles.absolutePath(config))])
            } catch {
                Console.error("error: --log-config \(config): \(error)")
                Console.terminate(1)
            }
        }
    }
}
