/// Answers requests. Called on the loop thread; it must not block. Answer through the slot,
/// at once or later from any thread (an executor thread, a task).
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest, via slot: ResponseSlot)

    /// Called once on the loop thread after the server stopped and closed its connections:
    /// release loop handles and threads.
    func serverDidStop()
}

extension HTTPResponder {
    public func serverDidStop() {}
}

/// The one response a request gets. `complete` may be called from any thread; only the first
/// call counts, and a slot whose connection has gone away drops its response.
public final class ResponseSlot: @unchecked Sendable {
    /// The loop of the connection that waits for this response.
    public let loop: EventLoop
    /// Touched only on the loop thread.
    private weak var connection: HTTPConnection?

    init(loop: EventLoop, connection: HTTPConnection) {
        self.loop = loop
        self.connection = connection
    }

    public func complete(_ response: HTTPResponse) {
        // The common case, a handler on the loop thread, allocates no closure.
        if loop.inLoop {
            connection?.deliver(response, from: self)
        } else {
            loop.execute { self.connection?.deliver(response, from: self) }
        }
    }

    /// Starts a response whose body follows in pieces through the returned writer.
    public func startStream(status: Int = 200, headers: HTTPHeaders = HTTPHeaders()) -> ResponseBodyWriter {
        onConnection({ $0.beginStream(status: status, headers: headers, from: self) }, otherwise: {})
        return ResponseBodyWriter(slot: self)
    }

    /// Runs `body` with the connection on the loop thread (now, if already there), or
    /// `otherwise` if the connection has gone away.
    func onConnection(_ body: @escaping @Sendable (HTTPConnection) -> Void, otherwise: @escaping @Sendable () -> Void) {
        if loop.inLoop {
            if let connection { body(connection) } else { otherwise() }
        } else {
            loop.execute {
                if let connection = self.connection { body(connection) } else { otherwise() }
            }
        }
    }
}
