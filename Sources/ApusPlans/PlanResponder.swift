public import ApusASGI
public import ApusPython
public import ApusHTTP
internal import ApusMiddleware
public import Logging

/// Serves a FastAPI app with native plans: the route table is built from the app's own routes
/// in declaration order; a request whose first matching route has a plan runs it (on an
/// executor thread or the asyncio thread), anything else (no match, 405, a mount, a route
/// without a plan) goes to the app as ASGI, which answers exactly as it would under any server.
public final class PlanResponder: HTTPResponder {
    public let routes: [PlannedRoute]
    private let redirectSlash: PlanEntry?
    /// The app's middleware that the runtime runs around plans (empty: none, or the app has
    /// none); a request it would answer itself goes to the app.
    private let middleware: MiddlewareChain
    private let table: RouteTable<Int>
    private let asgi: ASGIResponder
    private let application: ASGIApplication
    private let asyncio: AsyncioThread
    private let pool: PythonExecutorPool
    /// A pool of the CLI's own is shut down with the server; a hosted runtime's is shared.
    private let ownsPool: Bool
    private let logger: Logger
    private let exceptionSink: PyObjectRef?
    private let stats: RouteStats?
    private let handOff: PythonHandOff
    /// What serves the `.worker` rows, by key (a functions tree's worker pools).
    private let workers: [String: any HTTPResponder]
    /// Label each request with its route template (`ResponseSlot.route`) for the server's
    /// metrics: `<app>` for what the app routes itself. Off, no label is made.
    nonisolated(unsafe) public var labelsRoutes = false

    package init(asgi: ASGIResponder, compiled: CompiledRoutes, pool: PythonExecutorPool, ownsPool: Bool, logger: Logger,
         workers: [String: any HTTPResponder] = [:]) {
        self.workers = workers
        self.asgi = asgi
        let routes = compiled.routes
        self.routes = routes
        redirectSlash = compiled.redirectSlash
        middleware = compiled.middleware
        application = asgi.application
        asyncio = asgi.asyncio
        exceptionSink = asgi.exceptionSink
        stats = asgi.stats
        self.logger = logger
        var builder = RouteTableBuilder<Int>()
        builder.reserveCapacity(routes.count)
        for (index, route) in routes.enumerated() where route.kind != .websocket {
            do {
                try builder.add(methods: route.methods, path: route.path, value: index)
            } catch {
                // The compiler only emits paths the table accepts; one it refuses still must
                // not shadow later routes wrongly, so the app decides from here on.
                logger.warning("route \(route.path) (\(route.location)): \(error); routing the rest through the app")
                try? builder.add(methods: nil, path: "/{path:path}", value: -1)
                break
            }
        }
        table = builder.freeze()
        self.pool = pool
        self.ownsPool = ownsPool
        handOff = PythonHandOff(pool: pool, asyncio: asyncio)
    }

    /// Compiles the app's routes (after lifespan startup) and builds the responder, with an
    /// executor pool of its own.
    public static func make(asgi: ASGIResponder, threads: Int, logger: Logger) throws -> PlanResponder {
        let pool = PythonExecutorPool(maxThreads: threads)
        let compiled: CompiledRoutes
        do {
            compiled = try compile(asgi.application, executor: pool)
        } catch {
            pool.shutdown()
            throw error
        }
        return PlanResponder(asgi: asgi, compiled: compiled, pool: pool, ownsPool: true, logger: logger)
    }

    /// Compiles the app's routes with an executor pool the caller owns and shares (a functions
    /// tree keeps one pool across reloads). `workers` serve the `.worker` rows, by key; a row
    /// without one answers 503.
    public static func make(
        asgi: ASGIResponder, sharing pool: PythonExecutorPool, logger: Logger, workers: [String: any HTTPResponder]
    ) throws -> PlanResponder {
        PlanResponder(
            asgi: asgi, compiled: try compile(asgi.application, executor: pool), pool: pool, ownsPool: false, logger: logger,
            workers: workers)
    }

    /// `executor`: where plans send sync work from the asyncio thread (nil: a listing, which
    /// serves nothing).
    private static func compile(_ application: ASGIApplication, executor: PythonExecutorPool?) throws(PythonError)
        -> CompiledRoutes {
        try Python.withGIL { gil in
            Result { () throws(PythonError) in try PlannedRoute.compile(application, executor: executor, gil) }
        }.get()
    }

    /// Requests the app serves as ASGI get their bodies as they arrive; a plan gets the whole
    /// body, collected here on the loop thread first.
    public var streamsRequestBodies: Bool { true }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        // A WebSocket runs through the app itself: its router, middleware and dependencies.
        if request.webSocket != nil { return asgi.respond(to: request, via: slot) }
        if !middleware.layers.isEmpty && !middleware.passes(request.head, scheme: application.scheme(of: request.head)) {
            // A preflight, an untrusted host, a redirect to https: the middleware's own answer.
            return asgi.respond(to: request, via: slot)
        }
        switch table.lookup(method: request.method, path: request.path) {
        case .matched(let index, let parameters) where index >= 0 && routes[index].worker != nil:
            if labelsRoutes { slot.route = routes[index].path }
            let key = routes[index].worker!
            stats?.record("worker \(request.method) \(routes[index].path)")
            var request = request
            request.pathParameters = parameters
            guard let worker = workers[key] else { return slot.complete(.error(503, detail: "no worker pool for \(key)")) }
            worker.respond(to: request, via: slot)
        case .matched(let index, let parameters) where index >= 0 && routes[index].entry != nil:
            let route = routes[index]
            if labelsRoutes { slot.route = route.path }
            stats?.record("\(route.kind.rawValue) \(request.method) \(route.path)")
            if let timeout = route.timeoutMilliseconds {
                slot.deadline(after: timeout, answer: Self.timedOut)
            }
            guard let stream = request.bodyStream else {
                return run(route.entry!, async: route.runsAsync, request, parameters, slot, event: route.eventSource)
            }
            stream.collect(request.body) { [self] collected in
                switch collected {
                case .failed:
                    return  // the connection has answered
                case .overBudget:
                    logger.warning("request bodies in memory reached the limit: 503 for \(request.method) \(request.head.target)")
                    slot.complete(.bodiesOverBudget)
                case .body(let body, let reservation):
                    var whole = request
                    whole.body = body
                    whole.bodyStream = nil
                    run(route.entry!, async: route.runsAsync, whole, parameters, slot, event: route.eventSource,
                        holding: reservation)
                }
            }
        case .notFound where redirectSlash != nil && request.path != "/":
            // The router's redirect_slashes: only when no route matches the path at all, and a
            // planned route matches its other spelling.
            let other = request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path + "/"
            switch table.lookup(method: request.method, path: other) {
            case .matched(let index, _) where index >= 0 && routes[index].entry != nil:
                stats?.record("redirect \(request.method) \(routes[index].path)")
                run(redirectSlash!, async: false, request, nil, slot)
            case .methodNotAllowed:
                stats?.record("redirect \(request.method) \(other)")
                run(redirectSlash!, async: false, request, nil, slot)
            default:
                asgi.respond(to: request, via: slot)
            }
        default:
            asgi.respond(to: request, via: slot)
        }
    }

    /// `event`: the route is a Python function's, whose plan is called with its event, built
    /// here on the loop thread. `reservation`: the body's hold on the server's budget, given
    /// back once the body is in Python's hands.
    private func run(
        _ entry: PlanEntry, async runsAsync: Bool, _ request: HTTPRequest, _ parameters: [String: String]?,
        _ slot: ResponseSlot, event source: FunctionEventSource? = nil, holding reservation: BodyReservation? = nil
    ) {
        let channel = ASGIChannel(
            slot: slot, application: application, entry: entry, asyncio: asyncio, logger: logger,
            exceptionSink: exceptionSink, head: request.head,
            rewriter: middleware.layers.isEmpty ? nil : middleware.rewriter(for: request.head))
        let start: @Sendable (borrowing GIL) -> Void
        if let source {
            var routed = request
            routed.pathParameters = parameters ?? [:]
            // A body over the function's limit is refused by its plan (413, through the app's
            // middleware like any answer) before the handler runs: the event leaves it out.
            if request.body.count > source.maxBodyBytes { routed.body = [] }
            let event = FunctionEvent(request: routed)
            let size = request.body.count
            start = { gil in channel.start(event, source, bodySize: size, gil) }
        } else {
            start = { gil in channel.start(request, pathParameters: parameters, gil) }
        }
        if runsAsync {
            slot.onDisconnect { channel.clientDisconnected() }
            handOff.submitAsync(on: slot.loop) { gil in withExtendedLifetime(reservation) { start(gil) } }
        } else {
            handOff.submitBlocking(on: slot.loop) { gil in withExtendedLifetime(reservation) { start(gil) } }
        }
    }

    /// The routes and what serves each, and the executor threads (`--metrics-port`).
    public func collectMetrics(into text: inout MetricsText) {
        text.family("apus_route_info", .gauge,
                    "The app's routes (1 each): the plan that serves it (injected, direct, endpoint, fastapi-handler, stacked, asgi, ...).")
        for route in routes {
            let methods = (route.methods ?? ["*"]).joined(separator: ",")
            text.sample("apus_route_info", ["route": route.path, "methods": methods, "kind": route.kind.rawValue], 1)
        }
        let executors = pool.snapshot
        text.family("apus_executor_threads", .gauge, "Python executor threads started.")
        text.sample("apus_executor_threads", executors.threads)
        text.family("apus_executor_threads_busy", .gauge, "Python executor threads running jobs.")
        text.sample("apus_executor_threads_busy", executors.running)
        text.family("apus_executor_queued_jobs", .gauge, "Jobs waiting for a Python executor thread.")
        text.sample("apus_executor_queued_jobs", executors.queued)
        text.family("apus_executor_jobs_total", .counter, "Jobs the Python executor threads ran.")
        text.sample("apus_executor_jobs_total", executors.jobsRun)
        text.family("apus_executor_gil_wait_seconds_total", .counter, "Time executor threads waited to take the GIL.")
        text.sample("apus_executor_gil_wait_seconds_total", executors.gilWaitSeconds)
        text.family("apus_executor_gil_held_seconds_total", .counter,
                    "Time executor threads held the GIL for their jobs (what Python itself releases inside a job included).")
        text.sample("apus_executor_gil_held_seconds_total", executors.gilHeldSeconds)
        if let clock = asgi.asyncio.gilClock {
            let (held, wait) = clock.seconds
            text.family("apus_asyncio_gil_wait_seconds_total", .counter,
                        "Time the asyncio thread waited to take the GIL back after waiting for events.")
            text.sample("apus_asyncio_gil_wait_seconds_total", wait)
            text.family("apus_asyncio_gil_held_seconds_total", .counter,
                        "Time the asyncio thread held the GIL between its waits for events (the loop's callbacks and the requests on it).")
            text.sample("apus_asyncio_gil_held_seconds_total", held)
        }
    }

    /// A functions tree's answer to a Python function past its `timeout_ms`.
    private static let timedOut = HTTPResponse.json(#"{"error":"runtime timeout"}"#, status: 504)

    /// A responder replaced by another (a reload) lets its loop hooks go; its workers and pool
    /// are its successor's. On the loop thread.
    public func retire() {
        handOff.close()
        asgi.serverDidStop()
    }

    public func serverDidStop() {
        for worker in workers.values { worker.serverDidStop() }
        handOff.close()
        if ownsPool { pool.shutdown() }
        asgi.serverDidStop()
    }

    /// "routes: 30 injected, 9 direct, 2 fastapi-handler, 2 asgi", for the start-up log (with
    /// the middleware Apus runs).
    public var summary: String {
        let layers = middleware.layers.isEmpty ? "" : "; middleware run natively: \(middleware.names)"
        return "routes: \(Self.countsByKind(routes))\(layers)"
    }

    /// "30 injected, 9 direct, 2 asgi": the routes of each kind, in the order of `Kind`.
    public static func countsByKind(_ routes: [PlannedRoute]) -> String {
        var counts: [PlannedRoute.Kind: Int] = [:]
        for route in routes { counts[route.kind, default: 0] += 1 }
        let kinds: [PlannedRoute.Kind] = [.injected, .direct, .endpoint, .function, .worker, .handler, .stacked, .asgi, .websocket]
        let parts = kinds.compactMap { kind in counts[kind].map { "\($0) \(kind.rawValue)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}

extension PlanResponder {
    /// An app's routes as the plan compiler sees them, for listings (`apus routes`).
    public static func compileRoutes(_ application: ASGIApplication) throws(PythonError) -> [PlannedRoute] {
        try compile(application, executor: nil).routes
    }
}
