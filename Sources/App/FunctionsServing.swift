import ActorRuntime
import ApusFunctions
import Logging

/// `apus run DIR`: the interpreter, the asyncio thread and the tree's host; a tree that cannot
/// be loaded (a broken fn.config.json) exits 1 with the reason.
enum FunctionsServing {
    struct Loaded {
        let functions: FunctionsHost
        let application: ASGIApplication
        let asyncio: AsyncioThread
    }

    static func load(directory: String, threads: Int, logger: Logger) -> Loaded {
        let root = SystemFiles.absolutePath(directory)
        PythonHost.startInterpreter(appDirectory: root, logger: logger)
        guard let package = PythonPackage.directory() else {
            Console.error("error: cannot find the apus Python package; set APUS_PYTHONPATH")
            Console.terminate(1)
        }
        guard let asyncio = AsyncioThread() else {
            Console.error("error: cannot start the asyncio thread (a tasks or memory limit?)")
            Console.terminate(1)
        }
        do {
            let options = FunctionsHost.Options(directory: root, runtimes: package + "/apus/functions/runtimes", threads: threads)
            let host = try FunctionsHost(options: options, asyncio: asyncio, logger: logger)
            return Loaded(functions: host, application: host.application, asyncio: asyncio)
        } catch {
            Console.error("error: cannot serve the functions in \(directory): \(error)")
            Console.terminate(1)
        }
    }
}
