internal import ApusLoop
internal import ApusHTTP
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// The `_apus` module, the one door from the Python package into the runtime. The CLI
/// registers it as a built-in before the interpreter starts; the extension library exports it
/// as `PyInit__apus` for Python hosts.
public enum ApusNativeModule {
    /// For `apus run`: makes `import _apus` find the built-in module.
    public static func registerBuiltin() {
        NativeModule.registerBuiltin(definition)
    }

    /// For the extension library's `PyInit__apus`.
    public static func initialize() -> OpaquePointer? {
        NativeModule.initialize(definition)
    }

    private static var definition: NativeModule.Definition {
        NativeModule.Definition(name: "_apus", doc: "The Apus runtime.", functions: [
            ("serve", serve),
            ("version", { gil, _ throws(PythonError) in try gil.str("0.1.0") }),
        ])
    }

    /// `serve({"app": app, "host": ..., "port": ..., "access_log": ..., "graceful_timeout": ...,
    /// "root_path": ..., "testing": bool, "state": dict or None, "on_exception": callable or None,
    /// "plans": bool})`
    /// starts serving the ASGI app on the process's hosted runtime and returns `(port, stop)`.
    /// Lifespan is the caller's (the TestClient runs it when entered).
    private static func serve(_ gil: borrowing GIL, _ options: consuming PyOwned) throws(PythonError) -> PyOwned {
        guard let app = gil.item(options, "app") else { throw .runtime("serve() needs an app") }
        var configuration = HTTPServerConfiguration()
        if let host = gil.item(options, "host") { configuration.host = gil.swiftString(host) ?? configuration.host }
        if let port = gil.item(options, "port") { configuration.port = gil.swiftInt(port) ?? 0 }
        if let flag = gil.item(options, "access_log") { configuration.accessLog = gil.isTrue(flag) }
        if let seconds = gil.item(options, "graceful_timeout"), let value = gil.swiftDouble(seconds) {
            configuration.gracefulTimeoutMilliseconds = UInt64(value * 1000)
        }
        var applicationOptions = ASGIApplication.Options()
        applicationOptions.lifespan = "off"
        if let rootPath = gil.item(options, "root_path") { applicationOptions.rootPath = gil.swiftString(rootPath) ?? "" }
        if let testing = gil.item(options, "testing") { applicationOptions.testing = gil.isTrue(testing) }
        var state: PyObjectRef?
        if let value = gil.item(options, "state"), !gil.isNone(value) { state = value.share() }
        var sink: PyObjectRef?
        if let value = gil.item(options, "on_exception"), !gil.isNone(value) { sink = value.share() }
        var logger = Logger(label: "apus")
        logger.logLevel = .warning

        let runtime: HostedRuntime
        do {
            runtime = try HostedRuntime.shared()
        } catch {
            throw .runtime("cannot start the event loop: \(error)")
        }
        let application = try ASGIApplication(app: app.share(), options: applicationOptions, state: state, gil)
        let asgi = ASGIResponder(application: application, asyncio: runtime.asyncio, logger: logger, exceptionSink: sink)
        var responder: any HTTPResponder = asgi
        if let flag = gil.item(options, "plans"), gil.isTrue(flag) {
            let compiled = try PlannedRoute.compile(application, executor: runtime.pool, gil)
            responder = PlanResponder(asgi: asgi, compiled: compiled, pool: runtime.pool, ownsPool: false, logger: logger)
        }
        let server = HTTPServer(loop: runtime.loop, configuration: configuration, responder: responder, logger: logger)
        let started = Python.withoutGIL(gil) { () -> Result<Int, UVError> in
            blockingWait { () async -> Result<Int, UVError> in
                do throws(UVError) { return .success(try await server.start()) } catch { return .failure(error) }
            }
        }
        let port: Int
        switch started {
        case .success(let bound):
            port = bound
        case .failure(let error):
            throw .runtime("cannot listen on \(configuration.host):\(configuration.port): \(error.message)")
        }
        let stop = try gil.makeFunction { gil, _ throws(PythonError) in
            Python.withoutGIL(gil) { blockingWait { await server.shutdown() } }
            return gil.none()
        }
        var result = CallArguments(capacity: 2)
        result.append(try gil.int(port))
        result.append(stop)
        return try gil.tuple(result)
    }
}

/// Runs async work from a thread that is not a Swift task (a Python thread), and waits.
func blockingWait<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let done = Semaphore()
    let result = PThreadMutex<T?>(nil)
    Task {
        let value = await work()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}
