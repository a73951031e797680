import ActorRuntime
import Foundation
import Logging

/// Starting the embedded interpreter and loading the app for `apus run module:app`. Any
/// failure prints the Python traceback (or a one-line reason) and exits 1.
enum PythonHost {
    static func loadApp(target: String, factory: Bool, appDirectory: String, logger: Logger) throws -> PyObjectRef {
        let directory = URL(fileURLWithPath: appDirectory).standardizedFileURL.path
        guard let package = PythonPackage.directory() else {
            Console.error("error: cannot find the apus Python package; set APUS_PYTHONPATH")
            Console.terminate(1)
        }
        var environment = PythonEnvironment.resolve(appDirectory: directory, environment: ProcessInfo.processInfo.environment)
        environment.leadingPaths = [directory, package]
        logger.debug("python: \(environment.executable), sys.path starts with \(environment.leadingPaths)")
        ApusNativeModule.registerBuiltin()
        do {
            try PythonInterpreter.start(environment)
        } catch {
            Console.error("error: \(error)")
            Console.terminate(1)
        }
        do {
            return try PythonApp.load(target, factory: factory)
        } catch {
            Console.error("error: cannot load \(target):\n\(error)")
            Console.terminate(1)
        }
    }

    static func responder(app: PyObjectRef, threads: Int, logger: Logger) throws -> PythonAppResponder {
        do {
            return try PythonAppResponder(app: app, threads: threads, logger: logger)
        } catch {
            Console.error("error: cannot serve the app: \(error)")
            Console.terminate(1)
        }
    }
}
