import ActorRuntime
import ApusFunctions
import ApusLoop
import Logging

/// `apus run DIR`: the interpreter, the asyncio thread and the tree's host; a tree that cannot
/// be loaded (a broken fn.config.json) exits 1 with the reason.
enum FunctionsServing {
    struct Loaded {
        let functions: FunctionsHost
        let application: ASGIApplication
        let asyncio: AsyncioThread
    }

    /// `apus run main:app --functions DIR`: the tree's routes after the app's.
    static func add(
        directory: String, to app: ASGIApplication, loop: EventLoop, asyncio: AsyncioThread, threads: Int, logger: Logger
    ) -> FunctionsHost {
        do {
            return try FunctionsHost(options: options(directory, threads), addingTo: app, loop: loop, asyncio: asyncio, logger: logger)
        } catch {
            Console.error("error: cannot serve the functions in \(directory): \(error)")
            Console.terminate(1)
        }
    }

    private static func options(_ directory: String, _ threads: Int, development: Bool = false) -> FunctionsHost.Options {
        guard let package = PythonPackage.directory() else {
            Console.error("error: " + PythonPackage.missing)
            Console.terminate(1)
        }
        return FunctionsHost.Options(
            directory: SystemFiles.absolutePath(directory), runtimes: package + "/apus/functions/runtimes", threads: threads,
            development: development)
    }

    static func load(
        directory: String, loop: EventLoop, threads: Int, development: Bool, measuresGIL: Bool, logger: Logger,
        logging: PythonLogging = PythonLogging()
    ) -> Loaded {
        let environment = PythonHost.startInterpreter(
            appDirectory: SystemFiles.absolutePath(directory), logger: logger, logging: logging)
        guard let asyncio = AsyncioThread(measuresGIL: measuresGIL) else {
            Console.error("error: cannot start the asyncio thread (a tasks or memory limit?)")
            Console.terminate(1)
        }
        do {
            let host = try FunctionsHost(
                options: options(directory, threads, development: development), loop: loop, asyncio: asyncio, logger: logger)
            return Loaded(functions: host, application: host.application, asyncio: asyncio)
        } catch {
            var message = "error: cannot serve the functions in \(directory): \(error)"
            if let hint = environment.missingModuleHint("\(error)") { message += "\n(\(hint))" }
            Console.error(message)
            Console.terminate(1)
        }
    }
}
