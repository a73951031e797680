internal import ApusLoop
internal import Logging

/// One request and its response on an HTTP/2 connection: the request's head as it arrives, its
/// body's source (`RequestBodySource`: DATA frames held until the reader takes them, the
/// stream's flow-control window opening as it does), then the `ResponseSink` its slot answers
/// through. Loop thread.
final class HTTP2Stream: ResponseSink, RequestBodySource {
    enum State {
        /// The head, then the body, are arriving.
        case receiving
        /// With the responder.
        case responding
        /// The head is sent; the body follows in pieces.
        case streaming
        /// Answered (or refused); what the client still sends is dropped.
        case finished
    }

    let id: Int32
    unowned let connection: HTTP2Connection
    var core: HTTPServerCore { connection.core }
    var logger: Logger { core.logger }
    var state = State.receiving
    private(set) var method = ""
    private(set) var path = ""
    private var authority: String?
    private var fields: [(name: String, value: String)] = []
    private var cookies: [String] = []
    private var headerBytes = 0
    private(set) var headTooLarge = false
    /// The body's reader, while the request is with the responder and the body not all read.
    private(set) var bodyStream: RequestBodyStream?
    /// What arrived and the reader has not taken yet (held against the server's budget for
    /// bodies in memory).
    private var unread: [UInt8] = []
    private var bodyReceived = 0
    private var bodyEnded = false
    /// When the body last moved (for the body timeout).
    private(set) var lastBodyActivity: UInt64 = 0
    var slot: ResponseSlot?
    var head: HTTPRequestHead?
    var identity: RequestIdentity?
    var started: UInt64 = 0
    var holdsAdmission = false
    /// Of the response: its status, whether it has a body (not for HEAD, 204, 304), and the
    /// bytes its declared content-length still expects.
    private var status = 0
    private var sendsBody = true
    private var remaining: Int?
    /// A writer waiting for the client to take what is queued.
    var waiter: ((Bool) -> Void)?

    init(id: Int32, connection: HTTP2Connection) {
        self.id = id
        self.connection = connection
    }

    // MARK: the request

    func header(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        // RFC 9113 §6.5.2's measure: each field's bytes plus 32.
        headerBytes += name.count + value.count + 32
        guard !headTooLarge else { return }
        guard headerBytes <= core.limits.maxHeadBytes, fields.count < core.limits.maxHeaderCount else {
            headTooLarge = true
            return
        }
        let text = Latin1.string(value)
        switch Latin1.string(name) {
        case ":method": method = text
        case ":path": path = text
        case ":authority": authority = text
        case ":scheme", ":protocol": break
        case "cookie": cookies.append(text)
        case let field: fields.append((field, text))
        }
    }

    /// The head, once its fields are all here: `host` from `:authority` (as HTTP/1.1 carries
    /// it), and the cookie fields joined as one (RFC 9113 §8.2.3).
    func makeHead(bodyFollows: Bool) -> HTTPRequestHead {
        var headers = fields
        if let authority, !headers.contains(where: { $0.name == "host" }) { headers.insert(("host", authority), at: 0) }
        if !cookies.isEmpty { headers.append(("cookie", cookies.joined(separator: "; "))) }
        return HTTPRequestHead(
            method: method, target: path, version: .http2, headers: HTTPHeaders(headers),
            framing: bodyFollows ? .chunked : .none, keepAlive: true, expectsContinue: false)
    }

    // MARK: the body (RequestBodySource)

    /// The body follows the head: `stream` reads it.
    func bodyWillFollow(_ stream: RequestBodyStream) {
        bodyStream = stream
        lastBodyActivity = core.loop.now
    }

    /// DATA arrived; the error to answer with if the body passes the server's limits.
    func bodyArrived(_ bytes: UnsafeRawBufferPointer) -> HTTPParseError? {
        lastBodyActivity = core.loop.now
        bodyReceived += bytes.count
        guard let stream = bodyStream else {
            // Nobody will read it (answered already, or refused): dropped, the window reopened.
            connection.session.consumed(id, bytes.count)
            return nil
        }
        guard bodyReceived <= core.limits.maxBodyBytes else {
            return HTTPParseError(status: 413, reason: "request body too large")
        }
        guard core.bodyBudget.reserve(bytes.count) else {
            return HTTPParseError(status: 503, reason: "request bodies in memory reached the limit")
        }
        unread.append(contentsOf: bytes)
        if stream.pendingRead != nil { serveBodyRead(stream) }
        return nil
    }

    /// The client sent the body's last byte.
    func bodyComplete() {
        bodyEnded = true
        if let stream = bodyStream, stream.pendingRead != nil { serveBodyRead(stream) }
    }

    func serveBodyRead(_ stream: RequestBodyStream) {
        guard stream === bodyStream, let reader = stream.pendingRead, !unread.isEmpty || bodyEnded else { return }
        let count = min(unread.count, HTTPConnection.bodyPieceBytes)
        let bytes = Array(unread[..<count])
        unread.removeFirst(count)
        core.bodyBudget.release(count)
        connection.session.consumed(id, count)
        connection.outputReady()
        let more = !(bodyEnded && unread.isEmpty)
        stream.pendingRead = nil
        if !more {
            stream.isComplete = true
            bodyStream = nil
        }
        reader(bytes, more)
    }

    /// The body will not be read to its end (too large, timed out, the stream reset, the
    /// response over): its reader hears so, and what was held is dropped.
    func failBody() {
        core.bodyBudget.release(unread.count)
        connection.session.consumed(id, unread.count)
        unread = []
        guard let stream = bodyStream else { return }
        bodyStream = nil
        stream.fail()
    }

    /// The body broke a limit: the reader fails, and the client gets `error`'s status if no
    /// response has started (else the stream is reset).
    func refuseBody(_ error: HTTPParseError) {
        failBody()
        switch state {
        case .responding:
            if let slot {
                deliver(HTTPResponse(status: error.status, headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8")]),
                                     body: Array("\(HTTPStatus.reason(error.status)): \(error.reason)\n".utf8)),
                        from: slot, forceClose: false)
                slot.connectionClosed()  // the app hears the request is gone
            }
        case .streaming:
            if let slot { abortResponse(from: slot) }
        default:
            break
        }
    }

    // MARK: ResponseSink

    func deliver(_ response: HTTPResponse, from slot: ResponseSlot, forceClose: Bool) {
        guard self.slot === slot, state == .responding, let head else { return }
        var response = response
        let declared: DeclaredFraming
        do throws(FramingProblem) {
            declared = try response.takeFraming(for: head, complete: true)
        } catch {
            core.logger.error("invalid response for \(head.method) \(head.target): \(error.reason); sent 500 instead")
            response = .text("Internal Server Error", status: 500)
            declared = DeclaredFraming(length: nil, closeAsked: false)
        }
        let sends = response.sendsBody(to: head)
        let submitted = connection.session.submitResponse(
            id, status: response.status,
            headers: fields(of: response.headers, status: response.status, length: declared.length ?? response.body.count),
            body: sends ? response.body : [], ended: true)
        finish(status: response.status)
        if !submitted { connection.session.reset(id) }
        connection.outputReady()
    }

    func beginStream(status: Int, headers: HTTPHeaders, from slot: ResponseSlot) {
        guard self.slot === slot, state == .responding, let head else { return }
        guard let (given, declared) = streamedHead(status: status, headers: headers, for: head) else {
            return deliver(.text("Internal Server Error", status: 500), from: slot, forceClose: false)
        }
        self.status = status
        sendsBody = given.sendsBody(to: head)
        remaining = declared.length.map { sendsBody ? $0 : 0 }
        state = .streaming
        guard connection.session.submitResponse(
            id, status: status, headers: fields(of: given.headers, status: status, length: declared.length), body: [], ended: false)
        else { return abortResponse(from: slot) }
        connection.outputReady()
    }

    func streamWrite(_ piece: BodyPiece, from slot: ResponseSlot, then: @escaping (Bool) -> Void) {
        guard self.slot === slot, state == .streaming, let head else { return then(false) }
        if sendsBody && piece.count > 0 {
            var bytes: [UInt8]
            switch piece {
            case .copied(let copied): bytes = copied
            case .inPlace(let owner): bytes = Array(owner.bytes)
            }
            if let remaining {
                guard bytes.count <= remaining else {
                    core.logger.error("response to \(head.method) \(head.target) is longer than its content-length; stream reset")
                    then(false)
                    return abortResponse(from: slot)
                }
                self.remaining = remaining - bytes.count
            }
            connection.session.appendBody(id, bytes, ended: false)
            connection.outputReady()
        }
        if connection.isClosed { return then(false) }
        if connection.mustWait(for: self) {
            waiter = then
        } else {
            then(true)
        }
    }

    func endStream(from slot: ResponseSlot) {
        guard self.slot === slot, state == .streaming, let head else { return }
        cancelWaiter()
        if let remaining, remaining > 0 {
            core.logger.error("response to \(head.method) \(head.target) is shorter than its content-length; stream reset")
            return abortResponse(from: slot)
        }
        connection.session.appendBody(id, [], ended: true)
        finish(status: status)
        connection.outputReady()
    }

    func abortResponse(from slot: ResponseSlot) {
        guard self.slot === slot else { return }
        switch state {
        case .responding:
            deliver(.text("Internal Server Error", status: 500), from: slot, forceClose: false)
        case .streaming:
            cancelWaiter()
            connection.session.reset(id)
            finish(status: status)
            slot.connectionClosed()
            connection.outputReady()
        default:
            break
        }
    }

    func acceptWebSocket(_ session: WebSocketSession, upgrade: WebSocketUpgrade, headers: HTTPHeaders, from slot: ResponseSlot) {
        // HTTP/2 carries no WebSocket (no extended CONNECT is offered): clients use HTTP/1.1 for them.
        session.connectionClosed()
    }

    // MARK: the end

    /// The response is complete (or given up): logged, counted, the slot let go, and what is
    /// left of the body dropped (as HTTP/1.1 reads and drops it).
    private func finish(status: Int) {
        state = .finished
        failBody()
        slot?.responseCompleted()
        connection.requestFinished(self, status: status)
    }

    /// The client reset the stream, or the connection closed, with the request unanswered.
    func abandoned() {
        cancelWaiter()
        failBody()
        if state == .responding || state == .streaming {
            slot?.connectionClosed()
            connection.requestFinished(self, status: nil)
        }
        state = .finished
    }

    func resumeWriter() {
        let waiter = self.waiter
        self.waiter = nil
        waiter?(true)
    }

    private func cancelWaiter() {
        let waiter = self.waiter
        self.waiter = nil
        waiter?(false)
    }

    /// The response's header fields for HTTP/2: the server's first, names lowercase, no
    /// connection-specific fields (RFC 9113 §8.2.2), the request's id echoed, and the length
    /// where the status has a body (as HTTP/1.1's framing).
    private func fields(of headers: HTTPHeaders, status: Int, length: Int?) -> [(name: String, value: String)] {
        var result = core.encoder.leadingFields()
        for field in headers {
            let name = field.name.lowercased()
            if Self.connectionSpecific.contains(name) { continue }
            result.append((name, field.value))
        }
        if let identity, !headers.contains("x-request-id") { result.append(("x-request-id", identity.requestID)) }
        if let length, HTTPStatus.allowsBody(status) { result.append(("content-length", String(length))) }
        return result
    }

    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "content-length",
    ]
}
