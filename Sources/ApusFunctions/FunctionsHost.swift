public import ActorRuntime
public import ApusLoop
internal import ApusWorkers
public import Logging

/// Serves a functions tree: `apus.functions` maps it to a FastAPI app (routes in FastFN's
/// precedence, Python functions as plans); its worker functions get a pool each.
///
/// Made on the main thread (it loads the tree and compiles its routes with the GIL); `attach`
/// then creates the pools on the server's loop before the server starts.
public final class FunctionsHost: @unchecked Sendable {
    public struct Options: Sendable {
        /// The tree's root.
        public var directory: String
        /// Where the language wrappers are (`apus/functions/runtimes`).
        public var runtimes: String
        /// Threads for Python `def` functions.
        public var threads: Int

        public init(directory: String, runtimes: String, threads: Int) {
            self.directory = directory
            self.runtimes = runtimes
            self.threads = threads
        }
    }

    public let responder: PlanResponder
    /// The tree's app, as the runtime serves it (its lifespan runs as any app's).
    public let application: ASGIApplication
    /// What to say at start-up: the routes, conflicts, files that did not load, warnings.
    public let report: [String]
    private let manifest: FunctionsManifest
    private let workers: [String: WorkerFunctionResponder]
    private let logger: Logger

    /// `app`: an app the functions are added to, after its own routes (`--functions`); without
    /// one, the tree is served alone.
    public init(options: Options, addingTo app: ASGIApplication? = nil, asyncio: AsyncioThread, logger: Logger) throws {
        self.logger = logger
        let tree = try PythonModuleCall.call(
            "apus.functions", "load", [.text(options.directory), .none, app.map { .object($0.app) } ?? .none])
        manifest = try FunctionsManifest.decode(try PythonModuleCall.text(tree, method: "manifest"))
        application = try app ?? ASGIApplication.make(app: try PythonModuleCall.attribute(tree, "app"), options: ASGIApplication.Options())
        let asgi = ASGIResponder(application: application, asyncio: asyncio, logger: logger)
        var workers: [String: WorkerFunctionResponder] = [:]
        var report: [String] = []
        var missing: Set<String> = []
        for function in manifest.workers {
            let runtime = WorkerRuntime.find(function.runtime, runtimes: options.runtimes)
            if runtime?.executable == nil, missing.insert(function.runtime).inserted {
                report.append("warning: \(function.runtime) is not installed: its functions answer 503")
            }
            let command = runtime?.command(for: function, environment: ProcessEnvironment.entries)
            workers[function.key] = WorkerFunctionResponder(function: function, command: command, logger: logger)
        }
        self.workers = workers
        responder = try PlanResponder.make(asgi: asgi, threads: options.threads, logger: logger) { _ in workers }
        report += manifest.routes.map { "function \($0)" }
        report += manifest.conflicts.map { "conflict (answered 409): \($0)" }
        report += manifest.errors.map { "error: \($0)" }
        report += manifest.warnings.map { "warning: \($0)" }
        self.report = report
    }

    /// Creates and starts the worker pools on `loop` (before the server takes requests).
    public func attach(to loop: EventLoop) {
        let workers = self.workers
        let logger = self.logger
        loop.execute {
            for responder in workers.values { responder.startPool(on: loop, logger: logger) }
        }
    }
}
