public import Logging

/// Serves a FastAPI-style app: routes from its plans, `def` handlers on the executor pool,
/// `async def` handlers on the asyncio thread. Routing and parameter extraction happen here,
/// on the loop thread, which never takes the GIL.
public final class PythonAppResponder: HTTPResponder {
    private let table: RouteTable<RoutePlan>
    private let runtime: PlanRuntime
    private let pool: PythonExecutorPool
    private let asyncio: AsyncioThread?
    public let plans: [RoutePlan]

    /// `exceptionSink`, if given, is called with each unhandled handler exception.
    public init(app: PyObjectRef, threads: Int, logger: Logger, exceptionSink: PyObjectRef? = nil) throws(PythonError) {
        let (runtime, plans) = try PlanRuntime.load(app: app, logger: logger, exceptionSink: exceptionSink)
        var builder = RouteTableBuilder<RoutePlan>()
        for plan in plans {
            do {
                try builder.add(methods: plan.methods, path: plan.path, value: plan)
            } catch {
                throw PythonError.runtime("route \(plan.name): \(error)")
            }
        }
        table = builder.freeze()
        self.runtime = runtime
        self.plans = plans
        pool = PythonExecutorPool(maxThreads: threads)
        asyncio = plans.contains(where: \.isCoroutine) ? AsyncioThread() : nil
        handOff = HandOff(pool: pool, asyncio: asyncio)
    }

    private let handOff: HandOff

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        switch table.lookup(method: request.method, path: request.path) {
        case .matched(let plan, let parameters):
            let input = PlanInput(
                pathParameters: parameters, query: request.query, body: request.body,
                contentType: plan.takesBody && !request.body.isEmpty ? request.headers["content-type"] : nil)
            let runtime = runtime
            let batch = handOff.batch(on: slot.loop)
            if plan.isCoroutine {
                batch.coroutines.append { gil in
                    plan.start(input, runtime, gil) { output in slot.complete(HTTPResponse(output)) }
                }
            } else {
                batch.calls.append { gil in
                    slot.complete(HTTPResponse(plan.execute(input, runtime, gil)))
                }
            }
        case .methodNotAllowed(let allowed):
            slot.complete(.methodNotAllowed(allowed: allowed))
        case .notFound:
            slot.complete(redirectForSlash(request) ?? .error(404))
        }
    }

    public func serverDidStop() {
        handOff.close()
        pool.shutdown()
        asyncio?.stop()
    }

    /// FastAPI's `redirect_slashes`: "/items/" for a route "/items" (or the reverse) is a 307
    /// to the other spelling.
    private func redirectForSlash(_ request: HTTPRequest) -> HTTPResponse? {
        guard request.path != "/" else { return nil }
        let other = request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path + "/"
        if case .notFound = table.lookup(method: request.method, path: other) { return nil }
        let host = request.headers["host"] ?? "localhost"
        let rawPath = RequestTarget.rawPath(request.head.target)
        let location = "http://\(host)\(rawPath.hasSuffix("/") ? String(rawPath.dropLast()) : rawPath + "/")"
            + (request.query.isEmpty ? "" : "?\(request.query)")
        return HTTPResponse(status: 307, headers: HTTPHeaders([("location", location)]))
    }
}

extension HTTPResponse {
    init(_ output: PlanOutput) {
        self.init(status: output.status, headers: HTTPHeaders(output.headers), body: output.body)
    }
}

/// Requests gathered during one loop iteration, handed to the Python threads together when the
/// iteration ends: one lock and one wake-up per batch instead of per request (on a busy core,
/// each wake-up is a context switch).
private final class HandOff: @unchecked Sendable {
    final class Batch {
        var calls: [PythonExecutorPool.Job] = []
        var coroutines: [AsyncioThread.Job] = []
    }

    private let pool: PythonExecutorPool
    private let asyncio: AsyncioThread?
    /// Touched only on the loop thread that serves this responder.
    private let pending = Batch()
    private var hook: LoopPrepareHook?

    init(pool: PythonExecutorPool, asyncio: AsyncioThread?) {
        self.pool = pool
        self.asyncio = asyncio
    }

    /// The batch of the current iteration; called on the loop thread.
    func batch(on loop: EventLoop) -> Batch {
        if hook == nil {
            hook = LoopPrepareHook(loop: loop) { [unowned self] in flush() }
        }
        return pending
    }

    /// On the loop thread, after the server stopped: hands off what is left, drops the hook.
    func close() {
        flush()
        hook?.close()
        hook = nil
    }

    private func flush() {
        if !pending.calls.isEmpty {
            pool.submit(contentsOf: pending.calls)
            pending.calls.removeAll(keepingCapacity: true)
        }
        if !pending.coroutines.isEmpty {
            asyncio?.submit(contentsOf: pending.coroutines)
            pending.coroutines.removeAll(keepingCapacity: true)
        }
    }
}
