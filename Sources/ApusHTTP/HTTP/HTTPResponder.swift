public import ApusLoop
/// Answers requests. Called on the loop thread; it must not block. Answer through the slot,
/// at once or later from any thread (an executor thread, a task).
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, via slot: ResponseSlot)

    /// False (the default): `respond` is called once the whole body has arrived, held within
    /// the server's budget for bodies in memory. True: it is called as soon as the head has,
    /// with the body received so far; the rest, if any, comes through `request.bodyStream`.
    var streamsRequestBodies: Bool { get }

    /// Called once on the loop thread when a graceful shutdown begins: the server takes no new
    /// connections and finishes the requests it has.
    func serverWillDrain()

    /// Adds what the responder knows of itself to the server's metrics (routes and their plans,
    /// executor threads, worker pools), on the loop thread, when they are scraped.
    func collectMetrics(into text: inout MetricsText)

    /// Called once on the loop thread after the server stopped and closed its connections:
    /// release loop handles and threads.
    func serverDidStop()
}

extension HTTPResponder {
    public func serverWillDrain() {}

    public func collectMetrics(into text: inout MetricsText) {}

    public func serverDidStop() {}

    public var streamsRequestBodies: Bool { false }
}

/// The one response a request gets. `complete` may be called from any thread; only the first
/// call counts, and a slot whose connection has gone away drops its response.
public final class ResponseSlot: @unchecked Sendable {
    /// The loop of the connection that waits for this response.
    public let loop: EventLoop
    /// Where the answer goes (an HTTP/1.1 connection, an HTTP/2 stream). Loop thread only.
    private weak var sink: (any ResponseSink)?
    /// Touched only on the loop thread.
    private var disconnectHandler: (() -> Void)?
    /// The whole request body's hold on the server's budget, for a responder that takes whole
    /// bodies: kept until the response ends. Touched only on the loop thread.
    var heldBody: BodyReservation?
    /// The route template the responder matched, the request's label in the server's metrics
    /// (never a raw path: labels must stay few). Set on the loop thread, in `respond`.
    public var route: String?

    init(loop: EventLoop, sink: any ResponseSink) {
        self.loop = loop
        self.sink = sink
    }

    public func complete(_ response: HTTPResponse) {
        // The common case, a handler on the loop thread, allocates no closure.
        if loop.inLoop {
            sink?.deliver(response, from: self, forceClose: false)
        } else {
            loop.execute { self.sink?.deliver(response, from: self, forceClose: false) }
        }
    }

    /// Logs that bodies held in memory reached the server's budget (the 503 that follows).
    func overBudgetWarning(_ request: HTTPRequest) {
        sink?.logger.warning(
            "request bodies in memory reached the limit: 503 for \(request.method) \(request.head.target)")
    }

    /// Starts a response whose body follows in pieces through the returned writer.
    public func startStream(status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> ResponseBodyWriter {
        onConnection({ $0.beginStream(status: status, headers: headers, from: self) }, otherwise: {})
        return ResponseBodyWriter(slot: self)
    }

    /// Runs `handler` once, on the loop thread, if the connection closes before this slot's
    /// response is complete (the client went away, or the server aborted the response).
    /// Call on the loop thread, from `respond`.
    public func onDisconnect(_ handler: @escaping () -> Void) {
        precondition(loop.inLoop, "ResponseSlot.onDisconnect must be called on the loop thread")
        if sink == nil { return handler() }
        disconnectHandler = handler
    }

    /// The response went out whole: nothing to report any more (and the handler, which may
    /// hold whoever holds this slot, is let go). On the loop thread.
    func responseCompleted() {
        disconnectHandler = nil
        heldBody = nil
    }

    /// The connection closed with this slot's response outstanding; on the loop thread.
    func connectionClosed() {
        let handler = disconnectHandler
        disconnectHandler = nil
        heldBody = nil
        handler?()
    }

    /// Answers `response` if no response has started within `milliseconds` (a handler that
    /// cannot be stopped, such as Python code on a thread: its late answer is dropped, as any
    /// second answer is). On the loop thread, from `respond`. No timer is made: the server's
    /// sweep, which already checks every connection's deadlines, answers it, at most one sweep
    /// interval (a quarter second at most) late.
    public func deadline(after milliseconds: UInt64, answer response: HTTPResponse) {
        loop.preconditionInLoop()
        responseDeadline = (loop.now + milliseconds, response)
    }

    /// Set by `deadline`; read by the connection's sweep. Loop thread only.
    var responseDeadline: (at: UInt64, response: HTTPResponse)?

    /// Accepts the WebSocket `request` asked for (`HTTPRequest.webSocket`): the 101 goes out
    /// with `subprotocol` (one the client offered, or none) and the app's extra `headers`, and
    /// the returned session carries the messages, each handed to `handler` on the loop thread
    /// as it arrives, then the session's end. Any thread. If the client has gone, `handler`
    /// hears `.closed` with 1006 at once.
    public func acceptWebSocket(_ upgrade: WebSocketUpgrade, subprotocol: String?, headers: HTTPHeaders = HTTPHeaders(),
                                handler: @escaping @Sendable (WebSocketEvent) -> Void) -> WebSocketSession {
        let session = WebSocketSession(
            loop: loop, subprotocol: subprotocol, maxMessageBytes: upgrade.maxMessageBytes, deflate: upgrade.deflate,
            handler: handler)
        onConnection({ $0.acceptWebSocket(session, upgrade: upgrade, headers: headers, from: self) },
                     otherwise: { session.connectionClosed() })
        return session
    }

    /// Ends the response in progress by closing the connection (a response that cannot be
    /// completed: the app failed after its head was sent). Any thread.
    public func abort() {
        onConnection({ $0.abortResponse(from: self) }, otherwise: {})
    }

    /// Runs `body` with the connection (or stream) on the loop thread (now, if already there),
    /// or `otherwise` if it has gone away.
    func onConnection(_ body: @escaping @Sendable (any ResponseSink) -> Void, otherwise: @escaping @Sendable () -> Void) {
        if loop.inLoop {
            if let sink { body(sink) } else { otherwise() }
        } else {
            loop.execute {
                if let sink = self.sink { body(sink) } else { otherwise() }
            }
        }
    }
}
