public import ApusLoop
public import Logging

/// A request the server makes to its own responder, in memory (a schedule's run): the same
/// routes, plans and worker pools as a client's request, with the answer collected instead of
/// written to a socket.
public enum LocalExchange {
    /// What came back. `status` 0: the responder broke the response off (`abort`).
    public struct Answer: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: [UInt8]
        /// The body went past the collector's limit and was cut there.
        public var truncated: Bool

        /// The headers by name, repeated ones joined with ", " (as JSON reports show them).
        public var joinedHeaders: [String: String] {
            var joined: [String: String] = [:]
            for field in headers { joined[field.name] = joined[field.name].map { $0 + ", " + field.value } ?? field.value }
            return joined
        }
    }

    /// A request as a client on this machine would send it: `headers` (lower-case names) after
    /// `host` and `user-agent`, a `content-length` for a body, and `invocationContext` for the
    /// function's `event.context`.
    public static func request(
        method: String, target: String, userAgent: String, headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], invocationContext: [UInt8]? = nil
    ) -> HTTPRequest {
        var fields: [(name: String, value: String)] = [("host", "localhost"), ("user-agent", userAgent)]
        fields += headers.filter { $0.name != "host" && $0.name != "content-length" && $0.name != "transfer-encoding" }
        if !body.isEmpty { fields.append(("content-length", String(body.count))) }
        let head = HTTPRequestHead(
            method: method, target: target, version: .http1_1, headers: HTTPHeaders(fields),
            framing: body.isEmpty ? .none : .length(body.count), keepAlive: true, expectsContinue: false)
        var request = HTTPRequest(head: head, body: body, client: "127.0.0.1:0", server: "127.0.0.1:0")
        request.invocationContext = invocationContext
        return request
    }

    /// Sends `request` to `responder` on `loop` (call on the loop thread), and calls `then` there
    /// once with its answer, whose body is kept up to `maxBodyBytes`. A responder that set a
    /// deadline (`ResponseSlot.deadline`) is answered by it, as on a connection.
    public static func send(
        _ request: HTTPRequest, to responder: any HTTPResponder, on loop: EventLoop, logger: Logger,
        maxBodyBytes: Int = 1 << 20, then: @escaping (Answer) -> Void
    ) {
        loop.preconditionInLoop()
        let sink = CollectingSink(logger: logger, maxBodyBytes: maxBodyBytes, then: then)
        let slot = ResponseSlot(loop: loop, sink: sink)
        sink.slot = slot
        responder.respond(to: request, via: slot)
        if let deadline = slot.responseDeadline, !sink.finished {
            let timer = LoopTimer(loop: loop)
            sink.deadlineTimer = timer
            timer.start(after: deadline.at > loop.now ? deadline.at - loop.now : 0) { [weak sink] in
                sink?.deliver(deadline.response, from: slot, forceClose: false)
            }
        }
    }
}

/// Collects one response on the loop thread; keeps itself alive until it has.
private final class CollectingSink: ResponseSink {
    let logger: Logger
    private let maxBodyBytes: Int
    private var then: ((LocalExchange.Answer) -> Void)?
    private var answer = LocalExchange.Answer(status: 0, headers: HTTPHeaders(), body: [], truncated: false)
    /// The slot of the exchange; holding it holds this sink (the slot's reference is weak).
    var slot: ResponseSlot?
    var deadlineTimer: LoopTimer?
    private(set) var finished = false
    private var keptAlive: CollectingSink?

    init(logger: Logger, maxBodyBytes: Int, then: @escaping (LocalExchange.Answer) -> Void) {
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
        self.then = then
        keptAlive = self
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        deadlineTimer?.close()
        deadlineTimer = nil
        slot?.responseCompleted()
        slot = nil
        let then = self.then
        self.then = nil
        let answer = self.answer
        keptAlive = nil
        then?(answer)
    }

    private func append(_ bytes: some Collection<UInt8>) {
        let room = maxBodyBytes - answer.body.count
        if bytes.count > room { answer.truncated = true }
        answer.body.append(contentsOf: bytes.prefix(max(0, room)))
    }

    private func isCurrent(_ slot: ResponseSlot) -> Bool { !finished && slot === self.slot }

    func deliver(_ response: HTTPResponse, from slot: ResponseSlot, forceClose: Bool) {
        guard isCurrent(slot), answer.status == 0 else { return }
        answer.status = response.status
        answer.headers = response.headers
        append(response.body)
        finish()
    }

    func beginStream(status: Int, headers: HTTPHeaders, from slot: ResponseSlot) {
        guard isCurrent(slot), answer.status == 0 else { return }
        answer.status = status
        answer.headers = headers
    }

    func streamWrite(_ piece: BodyPiece, from slot: ResponseSlot, then: @escaping (Bool) -> Void) {
        guard isCurrent(slot) else { return then(false) }
        switch piece {
        case .copied(let bytes): append(bytes)
        case .inPlace(let owner): append(owner.bytes)
        }
        then(true)
    }

    func endStream(from slot: ResponseSlot) {
        guard isCurrent(slot) else { return }
        finish()
    }

    func abortResponse(from slot: ResponseSlot) {
        guard isCurrent(slot) else { return }
        if answer.status == 0 { answer.status = 500 } else { answer.status = 0 }
        finish()
    }

    func acceptWebSocket(_ session: WebSocketSession, upgrade: WebSocketUpgrade, headers: HTTPHeaders, from slot: ResponseSlot) {
        session.connectionClosed()
    }
}
