internal import ApusMiddleware
/// One route of an app as the plan compiler (`apus.plans.compile_app`) left it: where it sits in
/// the route table and how its requests run. Read once, checked when read: an entry that does
/// not have the shape this runtime expects fails the start, naming the field.
public struct PlannedRoute: Sendable {
    public enum Kind: String, Sendable {
        /// Apus executes every step (parameters, body, endpoint, serialization).
        case direct
        /// FastAPI's compiled request handler for the route, without middleware and router.
        case handler
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
    }

    public let methods: [String]?
    public let path: String
    public let kind: Kind
    /// Why the route runs as ASGI (nil for a plan).
    public let reason: String?
    /// The endpoint's `file:line`.
    public let location: String
    /// `plan.run` (executor thread) or `plan.start` (asyncio thread), maybe built on first use;
    /// nil for ASGI.
    let entry: PlanEntry?
    /// Whether `entry` runs on the asyncio thread.
    let runsAsync: Bool
    /// For `.worker`: the function's key, which names its pool.
    public let worker: String?
    /// For `.function`: past this, the request is answered 504 (the function's `timeout_ms`).
    let timeoutMilliseconds: UInt64?
    /// For `.function`: what its events share; the runtime builds each event, and the plan is
    /// called with it instead of the request's parts.
    let eventSource: FunctionEventSource?

    public var isNative: Bool { entry != nil || worker != nil }
}

/// An app's compiled routes, its `redirect_slashes` answer (`plan.run`-shaped) if it has one,
/// and the middleware the runtime runs around its plans.
struct CompiledRoutes: Sendable {
    let routes: [PlannedRoute]
    let redirectSlash: PlanEntry?
    let middleware: MiddlewareChain
}

extension PlannedRoute {
    /// The version of the compiler's output this runtime reads (`PLAN_FORMAT` in
    /// `apus/plans/compiler.py`).
    static let planFormat = 5

    /// Compiles `application`'s routes (`apus.plans.compile_app`) and reads them.
    static func compile(_ application: ASGIApplication, _ gil: borrowing GIL) throws(PythonError) -> CompiledRoutes {
        let compiler = try gil.importModule("apus.plans")
        var arguments = CallArguments(capacity: 2)
        arguments.append(application.app)
        arguments.append(application.server)
        let compiled = try gil.call(try gil.attribute(compiler, "compile_app").share(), positional: arguments).share()
        let format = gil.swiftInt(try gil.attribute(compiled, "format"))
        guard format == Self.planFormat else {
            throw .runtime("the plan compiler wrote plan format \(format.map(String.init) ?? "?"), this runtime reads \(Self.planFormat)")
        }
        var routes: [PlannedRoute] = []
        var eventShape: FunctionEventShape?
        for entry in try gil.items(try gil.attribute(compiled, "entries")) {
            routes.append(try read(entry, eventShape: &eventShape, gil))
        }
        let redirect = try gil.attribute(compiled, "redirect")
        var layers: [NativeMiddleware] = []
        for spec in try gil.items(try gil.attribute(compiled, "middleware")) {
            layers.append(try MiddlewareSpecReader(spec: spec).read(gil))
        }
        return CompiledRoutes(
            routes: routes, redirectSlash: gil.isNone(redirect) ? nil : PlanEntry(ready: redirect.share()), middleware: MiddlewareChain(layers))
    }

    /// `eventShape`: made for the first function row, shared by the others.
    private static func read(
        _ entry: PyObjectRef, eventShape: inout FunctionEventShape?, _ gil: borrowing GIL
    ) throws(PythonError) -> PlannedRoute {
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
            methods = names
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
            guard kind != .asgi, kind != .worker else { throw .runtime("plan entry for \(path) is \(kindName) but has a plan") }
            guard gil.isNone(plan) || gil.isNone(factory) else { throw .runtime("plan entry for \(path) has a plan and a factory") }
            planEntry = gil.isNone(plan)
                ? PlanEntry(deferred: factory.share(), method: method)
                : PlanEntry(ready: try gil.attribute(plan, method).share())
        } else if kind != .asgi && kind != .worker {
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
            if eventShape == nil { eventShape = try FunctionEventShape(gil) }
            eventSource = FunctionEventSource(context: context.share(), env: env.share(), shape: eventShape!, maxBodyBytes: maxBodyBytes)
        }
        return PlannedRoute(
            methods: methods, path: path, kind: kind, reason: try text("reason"),
            location: try text("where") ?? "", entry: planEntry, runsAsync: runsAsync, worker: worker,
            timeoutMilliseconds: timeoutMilliseconds, eventSource: eventSource)
    }
}
