public import ApusHTTP
public import Logging

/// The Swift handler API: `router.get("/ping") { request in .text("pong") }`.
///
/// Register routes, then hand `responder()` to an `HTTPServer`. Handlers run on the loop
/// thread (the synchronous form, for quick work) or as tasks (the `async` form). Routes keep
/// FastAPI semantics: first declared match wins, GET routes answer HEAD, 405 lists `Allow`.
public final class Router {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    public typealias AsyncHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    private var builder = RouteTableBuilder<RoutedHandler>()
    /// (methods, path) of each route, in order, for listings.
    private var listing: [(methods: [String]?, path: String)] = []
    private let logger: Logger

    public init(logger: Logger = Logger(label: "apus")) {
        self.logger = logger
    }

    public func route(_ methods: [String], _ path: String, _ handler: @escaping Handler) throws(RouteError) {
        try add(methods, path, .sync(handler))
    }

    public func route(_ methods: [String], _ path: String, _ handler: @escaping AsyncHandler) throws(RouteError) {
        try add(methods, path, .async(handler))
    }

    /// A handler that answers through the slot whenever it likes, from any thread.
    public func route(
        _ methods: [String], _ path: String, deferred handler: @escaping @Sendable (HTTPRequest, ResponseSlot) -> Void
    ) throws(RouteError) {
        try add(methods, path, .deferred(handler))
    }

    public func get(_ path: String, _ handler: @escaping Handler) throws(RouteError) { try route(["GET"], path, handler) }
    public func get(_ path: String, _ handler: @escaping AsyncHandler) throws(RouteError) { try route(["GET"], path, handler) }
    public func post(_ path: String, _ handler: @escaping Handler) throws(RouteError) { try route(["POST"], path, handler) }
    public func post(_ path: String, _ handler: @escaping AsyncHandler) throws(RouteError) { try route(["POST"], path, handler) }
    public func put(_ path: String, _ handler: @escaping Handler) throws(RouteError) { try route(["PUT"], path, handler) }
    public func patch(_ path: String, _ handler: @escaping Handler) throws(RouteError) { try route(["PATCH"], path, handler) }
    public func delete(_ path: String, _ handler: @escaping Handler) throws(RouteError) { try route(["DELETE"], path, handler) }

    /// Freezes the routes registered so far. With `fallback` (a Python app's responder, say),
    /// a request no Swift route has, by path or by method, goes to it instead, which then
    /// answers 404 or 405 as it would alone: Swift routes first, one server, one port.
    public func responder(fallback: (any HTTPResponder)? = nil) -> RouterResponder {
        RouterResponder(table: builder.freeze(), routes: listing, fallback: fallback, logger: logger)
    }

    private func add(_ methods: [String], _ path: String, _ handler: RouteHandler) throws(RouteError) {
        let methods = Self.withHead(methods)
        try builder.add(methods: methods, path: path, value: RoutedHandler(handler: handler, path: path))
        listing.append((methods, path))
    }

    private static func withHead(_ methods: [String]) -> [String] {
        methods.contains("GET") && !methods.contains("HEAD") ? methods + ["HEAD"] : methods
    }
}

enum RouteHandler: Sendable {
    case sync(Router.Handler)
    case async(Router.AsyncHandler)
    case deferred(@Sendable (HTTPRequest, ResponseSlot) -> Void)
}

/// A route's handler and its path template (the request's label in the server's metrics).
struct RoutedHandler: Sendable {
    let handler: RouteHandler
    let path: String
}

/// Dispatches requests through a frozen route table.
public struct RouterResponder: HTTPResponder {
    let table: RouteTable<RoutedHandler>
    /// Declared routes as (methods, path), in order; for listings such as `apus routes`.
    public let routes: [(methods: [String]?, path: String)]
    /// Where requests no route has go (`Router.responder(fallback:)`).
    let fallback: (any HTTPResponder)?
    let logger: Logger

    /// Bodies come as streams when the fallback takes them so; the Swift handlers still get
    /// theirs whole.
    public var streamsRequestBodies: Bool { fallback?.streamsRequestBodies ?? false }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        switch table.lookup(method: request.method, path: request.path) {
        case .notFound:
            guard let fallback else { return slot.complete(.error(404)) }
            fallback.respond(to: request, via: slot)
        case .methodNotAllowed(let allowed):
            guard let fallback else { return slot.complete(.methodNotAllowed(allowed: allowed)) }
            fallback.respond(to: request, via: slot)
        case .matched(let routed, let parameters):
            var request = request
            request.pathParameters = parameters
            slot.route = routed.path
            // (No closure is made for a request whose body is already whole: the common case.)
            guard request.bodyStream != nil else { return run(routed.handler, request, slot) }
            request.withWholeBody(via: slot) { [self] whole in run(routed.handler, whole, slot) }
        }
    }

    public func serverWillDrain() { fallback?.serverWillDrain() }

    public func collectMetrics(into text: inout MetricsText) { fallback?.collectMetrics(into: &text) }

    public func serverDidStop() { fallback?.serverDidStop() }

    private func run(_ handler: RouteHandler, _ request: HTTPRequest, _ slot: ResponseSlot) {
        switch handler {
        case .sync(let body):
            do {
                slot.complete(try body(request))
            } catch {
                slot.complete(failure(error, request))
            }
        case .async(let body):
            Task {
                do {
                    slot.complete(try await body(request))
                } catch {
                    slot.complete(failure(error, request))
                }
            }
        case .deferred(let body):
            body(request, slot)
        }
    }

    private func failure(_ error: any Error, _ request: HTTPRequest) -> HTTPResponse {
        logger.error("handler for \(request.method) \(request.path) failed: \(error)")
        return .text("Internal Server Error", status: 500)
    }
}
