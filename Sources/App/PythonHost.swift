import ActorRuntime
import Logging

/// The embedded interpreter and the app for `apus run module:app` and `apus routes`: the
/// runtime's `EmbeddedInterpreter` and `PythonService`, with any failure printed (the Python
/// traceback, or a one-line reason) and the process ended: 1, or 3 when the app's startup fails.
enum PythonHost {
    /// The app served: imported, its lifespan started.
    static func service(
        target: String, options: PythonService.Options, logger: Logger, logging: PythonLogging = PythonLogging()
    ) -> PythonService {
        startInterpreter(appDirectory: options.appDirectory, logger: logger, logging: logging)
        do {
            return try PythonService(target, options: options, logger: logger)
        } catch {
            if case .startup(let failure) = error {
                Console.error("ERROR:    \(failure)\nERROR:    Application startup failed. Exiting.")
                Console.terminate(3)
            }
            exit(error)
        }
    }

    /// The app imported, its lifespan not run (`apus routes`).
    static func application(target: String, factory: Bool, appDirectory: String, logger: Logger) -> ASGIApplication {
        let environment = startInterpreter(appDirectory: appDirectory, logger: logger)
        do {
            return try PythonService.application(target, factory: factory, options: ASGIApplication.Options(), environment)
        } catch {
            exit(error)
        }
    }

    /// Starts the interpreter with `appDirectory` and the apus package first on `sys.path`, and
    /// the app's logging set up as `logging` says, before the app is imported.
    @discardableResult
    static func startInterpreter(appDirectory: String, logger: Logger, logging: PythonLogging = PythonLogging()) -> PythonEnvironment {
        let environment: PythonEnvironment
        do {
            environment = try EmbeddedInterpreter.start(appDirectory: appDirectory, logger: logger)
        } catch {
            if case .noSuchDirectory = error {
                Console.error("error: --app-dir \(appDirectory): no such directory")
            } else {
                Console.error("error: \(error)")
            }
            Console.terminate(1)
        }
        logging.apply(logger: logger)
        return environment
    }

    static func planResponder(_ service: PythonService, threads: Int) -> PlanResponder {
        do {
            return try service.plans(threads: threads)
        } catch {
            exit(error)
        }
    }

    private static func exit(_ error: PythonService.Failure) -> Never {
        Console.error("error: \(error)")
        Console.terminate(1)
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
