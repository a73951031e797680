internal import Logging

/// Where a `ResponseSlot`'s answer goes: an HTTP/1.1 connection (`HTTPConnection`), or one stream
/// of an HTTP/2 connection (`HTTP2Stream`). Each method is called on the loop thread, and ignores
/// a slot that is not the one it waits for (a late or second answer).
protocol ResponseSink: AnyObject {
    /// Where a response that cannot be sent is reported.
    var logger: Logger { get }
    /// The whole response; `forceClose`: the connection (HTTP/1.1) closes after it.
    func deliver(_ response: HTTPResponse, from slot: ResponseSlot, forceClose: Bool)
    /// The head of a response whose body follows in pieces.
    func beginStream(status: Int, headers: HTTPHeaders, from slot: ResponseSlot)
    /// A piece of that body; `then(true)` when the writer may go on, `then(false)` if the client
    /// is gone.
    func streamWrite(_ piece: BodyPiece, from slot: ResponseSlot, then: @escaping (Bool) -> Void)
    func endStream(from slot: ResponseSlot)
    /// A response that cannot be completed: a 500 if nothing was sent yet, else the client sees
    /// it broken off.
    func abortResponse(from slot: ResponseSlot)
    func acceptWebSocket(_ session: WebSocketSession, upgrade: WebSocketUpgrade, headers: HTTPHeaders, from slot: ResponseSlot)
}

extension ResponseSink {
    /// The head of a streamed response to `head`, its framing taken (`HTTPResponse.takeFraming`);
    /// nil, with the reason logged, when the app's head is invalid: the caller answers 500.
    func streamedHead(
        status: Int, headers: HTTPHeaders, for head: HTTPRequestHead
    ) -> (response: HTTPResponse, declared: DeclaredFraming)? {
        var given = HTTPResponse(status: status, headers: headers)
        do throws(FramingProblem) {
            let declared = try given.takeFraming(for: head, complete: false)
            return (given, declared)
        } catch {
            logger.error("invalid streamed response for \(head.method) \(head.target): \(error.reason); sent 500 instead")
            return nil
        }
    }
}

/// A client connection as the server keeps it, whatever its protocol: checked by the sweep,
/// drained at shutdown, closed at the end. Loop thread.
protocol ServerConnection: AnyObject {
    /// Answers or closes what is past its time (the server's sweep).
    func checkDeadline()
    /// Graceful shutdown: close when idle, else once what is in progress is answered.
    func drain()
    func close()
    /// What it is doing, for the metrics (`apus_http_connections_by_state`).
    var state: ConnectionState { get }
}

/// A connection's state as the metrics count them.
enum ConnectionState: String, CaseIterable {
    /// HTTP/1.1, between requests.
    case idle
    /// HTTP/1.1, with a request in progress (reading it, answering it).
    case active
    /// An HTTP/1.1 connection upgraded to a WebSocket session.
    case websocket
    /// HTTP/2 (any number of streams).
    case http2
}
