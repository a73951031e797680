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

    public init(app: PyObjectRef, threads: Int, logger: Logger) throws(PythonError) {
        let (runtime, plans) = try PlanRuntime.load(app: app, logger: logger)
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
    }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        switch table.lookup(method: request.method, path: request.path) {
        case .matched(let plan, let parameters):
            let input = PlanInput(pathParameters: parameters, query: request.query, body: request.body)
            let runtime = runtime
            if plan.isCoroutine, let asyncio {
                asyncio.submit { gil in
                    plan.start(input, runtime, gil) { output in slot.complete(HTTPResponse(output)) }
                }
            } else {
                pool.submit { gil in
                    slot.complete(HTTPResponse(plan.execute(input, runtime, gil)))
                }
            }
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.error(405)
            response.headers.add("allow", allowed.joined(separator: ", "))
            slot.complete(response)
        case .notFound:
            slot.complete(redirectForSlash(request) ?? .error(404))
        }
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
