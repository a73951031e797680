package import ApusASGI
package import ApusPython
internal import ApusMiddleware
/// One route of an app as the plan compiler (`apus.plans.compile_app`) left it: where it sits in
/// the route table and how its requests run. Read once, checked when read: an entry that does
/// not have the shape this runtime expects fails the start, naming the field.
public struct PlannedRoute: Sendable {
    public enum Kind: String, Sendable {
        /// Apus executes every step (parameters, body, endpoint, serialization).
        case direct
        /// Apus executes the route's dependency tree, compiled once, and every other step.
        case injected
        /// FastAPI's compiled request handler for the route, without middleware and router
        /// (its dependencies solved by FastAPI per request); the row says why.
        case handler = "fastapi-handler"
        /// A plain Starlette route's endpoint, called with a Request.
        case endpoint
        /// The route's own ASGI app inside the app's middleware stack, routed by Apus.
        case stacked
        /// A functions tree's Python event handler (`apus.functions`).
        case function
        /// A functions tree's function in another language, served by a worker pool.
        case worker
        /// Through the app, as ASGI.
        case asgi
        /// A WebSocket route: listed, never in the HTTP route table (a handshake goes to the
        /// app, which routes it itself).
        case websocket
    }

    /// What only some rows have, kept apart so that the rows of an app of many routes stay small.
    final class Details: Sendable {
        /// Why the route runs as ASGI.
        let reason: String?
        /// For `.worker`: the function's key, which names its pool.
        let worker: String?
        /// For `.function`: past this, the request is answered 504 (the function's `timeout_ms`).
        let timeoutMilliseconds: UInt64?
        /// For `.function`: what its events share; the runtime builds each event, and the plan
        /// is called with it instead of the request's parts.
        let eventSource: FunctionEventSource?

        init(reason: String?, worker: String?, timeoutMilliseconds: UInt64?, eventSource: FunctionEventSource?) {
            self.reason = reason
            self.worker = worker
            self.timeoutMilliseconds = timeoutMilliseconds
            self.eventSource = eventSource
        }
    }

    /// Shared by the rows of the same methods.
    public let methods: [String]?
    /// `plan.run` (executor thread) or `plan.start` (asyncio thread), maybe built on first use;
    /// nil for ASGI.
    let entry: PlanEntry?
    /// The app's paths and files, in one buffer: a row names its path's bytes there and its file
    /// by index, rather than holding strings (a path over 15 bytes would be an allocation).
    private let text: RouteText
    private let pathStart: Int32
    private let pathCount: Int32
    private let details: Details?
    /// The endpoint's file (an index into `text`'s files) and line (0: none).
    private let file: Int32
    private let line: Int32
    public let kind: Kind
    /// Whether `entry` runs on the asyncio thread.
    let runsAsync: Bool

    public var path: String { text.string(pathStart, pathCount) }
    /// The endpoint's `file:line`.
    public var location: String { line > 0 ? "\(text.files[Int(file)]):\(line)" : text.files[Int(file)] }
    /// Why the route runs as ASGI (nil for a plan).
    public var reason: String? { details?.reason }
    public var worker: String? { details?.worker }
    var timeoutMilliseconds: UInt64? { details?.timeoutMilliseconds }
    var eventSource: FunctionEventSource? { details?.eventSource }

    public var isNative: Bool { entry != nil || worker != nil }

    /// How the route runs, as `apus routes`, the start-up log and `APUS_ROUTE_STATS` name it:
    /// the kind, with the reason where it is not Apus's own plan (`fastapi-handler: a form
    /// body`, `stacked: middleware TimingMiddleware`, `asgi: mount /static`).
    public var label: String {
        switch kind {
        case .asgi, .handler, .stacked, .websocket:
            guard let reason, !reason.isEmpty else { return kind.rawValue }
            return "\(kind.rawValue): \(reason)"
        default:
            return kind.rawValue
        }
    }
}

/// The paths and files of an app's rows, in one buffer. Filled while the rows are read (on one
/// thread, before the rows are shared), read-only after.
final class RouteText: @unchecked Sendable {
    private var bytes: [UInt8] = []
    private(set) var files: [String] = []
    private var fileIndex: [String: Int32] = [:]

    func append(_ string: String) -> (start: Int32, count: Int32) {
        let start = Int32(bytes.count)
        bytes.append(contentsOf: string.utf8)
        return (start, Int32(bytes.count) - start)
    }

    func file(_ name: String) -> Int32 {
        if let known = fileIndex[name] { return known }
        files.append(name)
        fileIndex[name] = Int32(files.count - 1)
        return Int32(files.count - 1)
    }

    /// Done adding: gives back the room growing left, and the index of files.
    func seal() {
        bytes = bytes.withUnsafeBufferPointer { Array($0) }
        fileIndex = [:]
    }

    func string(_ start: Int32, _ count: Int32) -> String {
        String(decoding: bytes[Int(start)..<Int(start + count)], as: UTF8.self)
    }
}

/// What the rows of one app share, made once while they are read: their method lists, their
/// paths and files, the function events' shape, their deferred plans.
private struct SharedParts {
    var methods: [[String]: [String]] = [:]
    let text = RouteText()
    var eventShape: FunctionEventShape?
    var deferred: [DeferredPlans] = []

    /// The plans `factory` builds (an app has one factory).
    mutating func deferredPlans(_ factory: consuming PyOwned, _ gil: borrowing GIL) -> DeferredPlans {
        for plans in deferred where plans.isMade(by: factory, gil) { return plans }
        let plans = DeferredPlans(factory: factory.share())
        deferred.append(plans)
        return plans
    }

    mutating func methods(_ names: [String]) -> [String] {
        if let known = methods[names] { return known }
        methods[names] = names
        return names
    }

    /// `where` as (file, line): "app.py:12" is ("app.py", 12); anything else is all file.
    func location(_ place: String) -> (file: Int32, line: Int32) {
        if let colon = place.utf8.lastIndex(of: UInt8(ascii: ":")), let number = Int32(place[place.index(after: colon)...]),
           number > 0 {
            return (text.file(String(place[..<colon])), number)
        }
        return (text.file(place), 0)
    }
}

/// An app's compiled routes, its `redirect_slashes` answer (`plan.run`-shaped) if it has one,
/// and the middleware the runtime runs around its plans.
package struct CompiledRoutes: Sendable {
    let routes: [PlannedRoute]
    let redirectSlash: PlanEntry?
    let middleware: MiddlewareChain
}

extension PlannedRoute {
    /// The version of the compiler's output this runtime reads (`PLAN_FORMAT` in
    /// `apus/plans/rows.py`).
    static let planFormat = 8

    /// Compiles `application`'s routes (`apus.plans.compile_app`) and reads them. `executor`:
    /// the pool the plans' sync work from the asyncio thread goes to (`run_on_executor`).
    package static func compile(_ application: ASGIApplication, executor: PythonExecutorPool?, _ gil: borrowing GIL)
        throws(PythonError) -> CompiledRoutes {
        let compiler = try gil.importModule("apus.plans")
        var arguments = CallArguments(capacity: 3)
        arguments.append(application.app)
        arguments.append(application.server)
        if let executor { arguments.append(try runOnExecutor(executor, gil)) } else { arguments.append(gil.none()) }
        let compiled = try gil.call(try gil.attribute(compiler, "compile_app").share(), positional: arguments).share()
        let format = gil.swiftInt(try gil.attribute(compiled, "format"))
        guard format == Self.planFormat else {
            throw .runtime("the plan compiler wrote plan format \(format.map(String.init) ?? "?"), this runtime reads \(Self.planFormat)")
        }
        let entries = try gil.items(try gil.attribute(compiled, "entries"))
        var routes: [PlannedRoute] = []
        routes.reserveCapacity(entries.count)
        var shared = SharedParts()
        for entry in entries {
            routes.append(try read(entry, &shared, gil))
        }
        for plans in shared.deferred { plans.compact() }
        shared.text.seal()
        let redirect = try gil.attribute(compiled, "redirect")
        var layers: [NativeMiddleware] = []
        for spec in try gil.items(try gil.attribute(compiled, "middleware")) {
            layers.append(try MiddlewareSpecReader(spec: spec).read(gil))
        }
        return CompiledRoutes(
            routes: routes, redirectSlash: gil.isNone(redirect) ? nil : PlanEntry(ready: redirect.share()), middleware: MiddlewareChain(layers))
    }

    /// `run_on_executor(job)`: `job()` on one of the pool's threads. The job reports its own
    /// outcome (see `apus.plans.executor.to_executor`); what escapes it is dropped.
    private static func runOnExecutor(_ pool: PythonExecutorPool, _ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        try gil.makeFunction { [pool] gil, job throws(PythonError) in
            let callable = job.share()
            pool.submit { gil in _ = try? gil.call(callable) }
            return gil.none()
        }
    }

    private static func read(_ entry: PyObjectRef, _ shared: inout SharedParts, _ gil: borrowing GIL) throws(PythonError) -> PlannedRoute {
        func text(_ name: String) throws(PythonError) -> String? {
            let value = try gil.attribute(entry, name)
            if gil.isNone(value) { return nil }
            guard let string = gil.swiftString(value) else { throw .runtime("plan entry field \(name) is not a str") }
            return string
        }
        guard let path = try text("path") else { throw .runtime("plan entry without a path") }
        guard let kindName = try text("kind"), let kind = Kind(rawValue: kindName) else {
            throw .runtime("plan entry for \(path) has an unknown kind")
        }
        let methodsObject = try gil.attribute(entry, "methods")
        var methods: [String]?
        if !gil.isNone(methodsObject) {
            var names: [String] = []
            for item in try gil.items(methodsObject) {
                guard let method = gil.swiftString(item) else { throw .runtime("plan entry for \(path) has a non-str method") }
                names.append(method)
            }
            methods = shared.methods(names)
        }
        let plan = try gil.attribute(entry, "plan")
        let runsAsync = gil.isTrue(try gil.attribute(entry, "runs_async"))
        let worker = try text("worker")
        let timeout = try gil.attribute(entry, "timeout_ms")
        let timeoutMilliseconds = gil.isNone(timeout) ? nil : gil.swiftInt(timeout).map { UInt64(max(1, $0)) }
        guard (kind == .worker) == (worker != nil) else {
            throw .runtime("plan entry for \(path): only a worker row names a worker")
        }
        let factory = try gil.attribute(entry, "factory")
        let method = runsAsync ? "start" : "run"
        var planEntry: PlanEntry?
        if !gil.isNone(plan) || !gil.isNone(factory) {
            guard kind != .asgi, kind != .worker, kind != .websocket else {
                throw .runtime("plan entry for \(path) is \(kindName) but has a plan")
            }
            guard gil.isNone(plan) || gil.isNone(factory) else { throw .runtime("plan entry for \(path) has a plan and a factory") }
            if gil.isNone(plan) {
                guard let index = gil.swiftInt(try gil.attribute(entry, "argument")), let index = Int32(exactly: index) else {
                    throw .runtime("plan entry for \(path): a deferred plan's argument must be an int index")
                }
                let plans = shared.deferredPlans(factory, gil)
                plans.reserve(index)
                planEntry = PlanEntry(deferred: plans, index: index, async: runsAsync)
            } else {
                planEntry = PlanEntry(ready: try gil.attribute(plan, method).share())
            }
        } else if kind != .asgi && kind != .worker && kind != .websocket {
            throw .runtime("plan entry for \(path) of kind \(kindName) has no plan")
        }
        var eventSource: FunctionEventSource?
        if kind == .function {
            guard !gil.isNone(plan) else { throw .runtime("plan entry for \(path): a function's plan is built at start") }
            let context = try gil.attribute(plan, "event_context")
            let env = try gil.attribute(plan, "event_env")
            guard gil.isDict(context), gil.isDict(env), let maxBodyBytes = gil.swiftInt(try gil.attribute(plan, "max_body_bytes"))
            else {
                throw .runtime("plan entry for \(path): a function's event_context and event_env must be dicts, max_body_bytes an int")
            }
            if shared.eventShape == nil { shared.eventShape = try FunctionEventShape(gil) }
            eventSource = FunctionEventSource(context: context.share(), env: env.share(), shape: shared.eventShape!, maxBodyBytes: maxBodyBytes)
        }
        let reason = try text("reason")
        let details = reason == nil && worker == nil && timeoutMilliseconds == nil && eventSource == nil ? nil
            : Details(reason: reason, worker: worker, timeoutMilliseconds: timeoutMilliseconds, eventSource: eventSource)
        let (file, line) = shared.location(try text("where") ?? "")
        let pathText = shared.text.append(path)
        return PlannedRoute(
            methods: methods, entry: planEntry, text: shared.text, pathStart: pathText.start, pathCount: pathText.count,
            details: details, file: file, line: line, kind: kind, runsAsync: runsAsync)
    }
}
