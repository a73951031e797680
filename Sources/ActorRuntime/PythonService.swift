public import ApusASGI
public import ApusPlans
public import ApusPython
public import Logging

/// A Python ASGI app (`module:attribute`: FastAPI's, Starlette's, any) served by a Swift
/// program, as `apus run` serves it: the embedded interpreter, the app's lifespan, its routes
/// compiled into plans. Put `responder` behind a Swift `Router`
/// (`router.responder(fallback: service.responder)`) to serve Swift handlers and the app on one
/// server; call `shutdown` once the server has stopped.
///
/// One per process (there is one interpreter); made on the main thread, before the server
/// starts.
public final class PythonService: @unchecked Sendable {
    public struct Options: Sendable {
        /// Where the app's module is (first on `sys.path`), and from where its venv is found.
        public var appDirectory = "."
        /// The attribute is a factory to call for the app (`--factory`).
        public var factory = false
        /// Compile the app's routes into plans (`--no-plans`: false, every request through the app).
        public var plans = true
        /// Executor threads for sync Python work.
        public var threads = 40
        /// The scope's root path, lifespan mode, proxy headers, scheme.
        public var application = ASGIApplication.Options()
        /// Count the asyncio thread's time with the GIL (for the metrics: `AsyncioGILClock`).
        public var measuresAsyncioGIL = false

        public init() {}
    }

    public enum Failure: Error, CustomStringConvertible {
        /// The interpreter could not start.
        case interpreter(EmbeddedInterpreter.StartError)
        /// The app could not be imported; `hint` says why in one line when the error tells.
        case load(target: String, PythonApp.LoadError, hint: String?)
        /// The app is not an ASGI app Apus can serve, or its routes could not be compiled.
        case serve(String)
        /// The lifespan's startup failed (the app's message or traceback).
        case startup(String)
        /// No asyncio thread could be started.
        case asyncioThread

        public var description: String {
            switch self {
            case .interpreter(let error): "cannot start Python: \(error)"
            case .load(let target, let error, let hint): "cannot load \(target): \(error)" + (hint.map { "\n(\($0))" } ?? "")
            case .serve(let reason): "cannot serve the app: \(reason)"
            case .startup(let failure): "\(failure)\nApplication startup failed."
            case .asyncioThread: "cannot start the asyncio thread (a tasks or memory limit?)"
            }
        }
    }

    public let environment: PythonEnvironment
    public let application: ASGIApplication
    public let asyncio: AsyncioThread
    /// Every request through the app (its own router and middleware).
    public let asgi: ASGIResponder
    private let logger: Logger

    /// Starts the interpreter, imports the app and runs its lifespan's startup.
    public init(_ target: String, options: Options = Options(), logger: Logger) throws(Failure) {
        do {
            environment = try EmbeddedInterpreter.start(appDirectory: options.appDirectory, logger: logger)
        } catch {
            throw .interpreter(error)
        }
        application = try Self.application(target, factory: options.factory, options: options.application, environment)
        guard let asyncio = AsyncioThread(measuresGIL: options.measuresAsyncioGIL) else { throw .asyncioThread }
        self.asyncio = asyncio
        self.logger = logger
        if let failure = application.runLifespan(.startup, on: asyncio) {
            asyncio.stop()
            throw .startup(failure)
        }
        asgi = ASGIResponder(application: application, asyncio: asyncio, logger: logger)
    }

    /// Imports the app (the interpreter has started) and makes it an ASGI application; its
    /// lifespan does not run.
    public static func application(
        _ target: String, factory: Bool, options: ASGIApplication.Options, _ environment: PythonEnvironment
    ) throws(Failure) -> ASGIApplication {
        let app: PyObjectRef
        do {
            app = try PythonApp.load(target, factory: factory)
        } catch {
            var hint: String?
            if case .python(let traceback) = error { hint = environment.missingModuleHint(traceback) }
            throw .load(target: target, error, hint: hint)
        }
        do {
            return try ASGIApplication.make(app: app, options: options)
        } catch {
            throw .serve("\(error)")
        }
    }

    /// The app's routes compiled into plans, each served by its plan or, failing that, by the
    /// app (`PlanResponder.summary` and `routes` say which).
    public func plans(threads: Int = Options().threads) throws(Failure) -> PlanResponder {
        do {
            return try PlanResponder.make(asgi: asgi, threads: threads, logger: logger)
        } catch {
            throw .serve("cannot compile the app's routes: \(error)")
        }
    }

    /// Start-up is over: Python's cyclic collector resumes, with what start-up made frozen
    /// (`PythonStartUp`). Call before the server listens.
    public func startUpEnded() {
        PythonStartUp.end(logger: logger)
    }

    /// Runs the lifespan's shutdown and stops the asyncio thread; after the server has stopped.
    /// Returns the shutdown's failure, if any (it is logged too).
    @discardableResult
    public func shutdown() -> String? {
        Self.shutdown(application, asyncio: asyncio, logger: logger)
    }

    /// The end of any app served on an asyncio thread (a service's, or a functions tree's):
    /// its lifespan's shutdown, logged if it fails, then the thread stopped.
    @discardableResult
    public static func shutdown(_ application: ASGIApplication, asyncio: AsyncioThread, logger: Logger) -> String? {
        let failure = application.runLifespan(.shutdown, on: asyncio)
        if let failure { logger.error("\(failure)\nApplication shutdown failed.") }
        asyncio.stop()
        return failure
    }
}
