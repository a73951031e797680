internal import ApusLoop
internal import Logging
/// The request with the responder: its slot and head.
struct PendingResponse {
    let slot: ResponseSlot
    let head: HTTPRequestHead
}

/// One client connection: reads requests, hands each to the responder, writes responses in
/// request order. Confined to the loop thread.
///
/// The shell of a `ConnectionStateMachine`, which decides; this class does the I/O. Requests on
/// a connection are answered one at a time: while a response is outstanding, the bytes of
/// pipelined requests wait in the decoder, which keeps responses in order without a reorder
/// queue. Responses produced during one read are written with one socket write.
final class HTTPConnection: ByteStreamDelegate, ResponseSink, ServerConnection, RequestBodySource {
    typealias Machine = ConnectionStateMachine<LoopClock, PendingResponse, ResponseStreamState>

    unowned let core: HTTPServerCore
    var logger: Logger { core.logger }
    let stream: ByteStream
    var decoder: HTTPRequestDecoder
    var machine: Machine
    /// The body of the request with the responder, while some of it has not been read.
    var bodyStream: RequestBodyStream?
    /// The request with the responder counts against the concurrency limit.
    private var holdsAdmission = false
    /// The session once a WebSocket handshake was accepted: it takes the connection's bytes.
    var webSocket: WebSocketSession?
    /// The request with the responder asked `Expect: 100-continue` and its body has not been
    /// asked for yet: `100 Continue` goes out on the responder's first read (as uvicorn sends
    /// it), so a request refused without reading its body gets the refusal without the body
    /// ever being sent, and the connection then closes.
    var continueOwed = false
    var output: [UInt8] = []
    /// True while inside a read callback: writes are batched and flushed at its end.
    var batching = false
    let client: String
    let server: String
    /// When the request being answered arrived (monotonic nanoseconds, for the access log) and
    /// its identity (with `requestIdentity`): one request at a time per connection.
    var requestStarted: UInt64 = 0
    var identity: RequestIdentity?
    /// The first bytes have been read, and with them the HTTP version chosen.
    private var versionChosen = false

    init(core: HTTPServerCore, stream: ByteStream) {
        self.core = core
        self.stream = stream
        decoder = HTTPRequestDecoder(limits: core.limits)
        client = stream.peerAddress
        server = stream.localAddress
        machine = Machine(clock: LoopClock(loop: core.loop), limits: core.limits)
        output.reserveCapacity(4096)
    }

    func start() {
        stream.delegate = self
        stream.setNoDelay(true)
        stream.startReading()
    }

    var isIdle: Bool { machine.isReading && decoder.isBetweenRequests }

    var state: ConnectionState { webSocket != nil ? .websocket : isIdle ? .idle : .active }

    /// The connection's TLS as its requests carry it, read once (its handshake is done by the
    /// first request).
    private lazy var tls: TLSConnectionInfo? = (stream.layer as? TLSLayer)?.connectionInfo

    /// A request of this connection: its addresses and TLS with `head` and the body so far.
    func request(_ head: HTTPRequestHead, body: [UInt8]) -> HTTPRequest {
        var request = HTTPRequest(head: head, body: body, client: client, server: server)
        request.tls = tls
        return request
    }

    // MARK: stream events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        if !versionChosen {
            versionChosen = true
            if core.configuration.http != .http1, startsHTTP2(bytes) { return becomeHTTP2(bytes) }
            if core.configuration.http == .http2 {
                return reject(HTTPParseError(status: 505, reason: "this server speaks HTTP/2 only"))
            }
        }
        core.metrics?.bytesIn += bytes.count
        if let webSocket {
            batching = true
            webSocket.bytesArrived(bytes)
            batching = false
            return flush()
        }
        let action = machine.bytesArrived(
            readingBody: decoder.isReadingBody, buffered: decoder.bufferedByteCount + bytes.count)
        guard case .process(let pauseReading) = action else { return }
        decoder.feed(bytes)
        if pauseReading { stream.stopReading() }
        bodyBytesArrived()
        runBatch()
    }

    private static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// Whether the connection speaks HTTP/2: ALPN chose h2, or the client's first bytes are
    /// HTTP/2's connection preface (h2c with prior knowledge; "PRI" is no HTTP/1.1 method).
    private func startsHTTP2(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if let tls = stream.layer as? TLSLayer { return tls.choseHTTP2 }
        let count = min(bytes.count, Self.http2Preface.count)
        return count >= 3 && bytes.prefix(count).elementsEqual(Self.http2Preface.prefix(count))
    }

    /// Hands the stream, and the bytes read, to an HTTP/2 connection.
    private func becomeHTTP2(_ bytes: UnsafeRawBufferPointer) {
        guard let http2 = HTTP2Connection(core: core, stream: stream) else {
            core.logger.error("cannot start an HTTP/2 session (out of memory?)")
            return close()
        }
        withExtendedLifetime(self) {
            _ = machine.close()
            core.connection(self, becomes: http2)
            http2.start(with: bytes)
        }
    }

    /// Processes buffered requests and writes every response they produced at once.
    private func runBatch() {
        batching = true
        processRequests()
        batching = false
        flush()
        startLinger()
        readSocketIfRoom()
    }

    private func pause() {
        if machine.pauseReading() { stream.stopReading() }
    }

    /// A body reader took bytes: read the socket again if that is what stopped it.
    func resumeReadingForBody() {
        guard decoder.bufferedByteCount <= Machine.pipelineBufferLimit else { return }
        resumeIfPossible()
    }

    private func resumeIfPossible() {
        if machine.resumeReading(pendingWrites: stream.pendingWriteBytes, highWater: core.limits.writeHighWaterBytes) {
            readSocketIfRoom()
        }
    }

    /// Reads the socket while the connection takes requests and holds no more than the pipeline
    /// limit of unhandled input. Past it, the requests held are handled first (`runBatch` reads
    /// again once they are down to the limit): reading on every answer would add a whole socket
    /// read per request answered, and a client that pipelines faster than its requests are
    /// served would grow the connection's input without bound.
    private func readSocketIfRoom() {
        guard !machine.readingPaused, !machine.isLingering, !machine.isClosed, webSocket == nil,
              decoder.bufferedByteCount <= Machine.pipelineBufferLimit else { return }
        stream.startReading()
    }

    func streamDidEnd(error: UVError?) {
        if webSocket != nil { return close() }
        machine.peerClosing()
        if error == nil { bodyBytesArrived() }
        if machine.peerEnded(failed: error != nil, pendingWrites: stream.pendingWriteBytes) == .close { close() }
    }

    func streamDidDrain() {
        if let webSocket { return webSocket.writesDrained() }
        checkWritesDrained()
        resumeStreamWriter()
        guard machine.readingPaused, machine.isReading else { return }
        resumeIfPossible()
        runBatch()
    }

    // MARK: requests

    private func processRequests() {
        // The previous request's body, unread when its response ended, is dropped first.
        if machine.isReading, !discardUnreadBody() { return }
        while machine.takesRequests {
            let event: HTTPRequestDecoder.Event?
            do {
                event = try decoder.next()
            } catch {
                reject(error)
                return
            }
            switch event {
            case nil:
                return
            case .head(var head):
                machine.headArrived()
                if core.timesRequests { requestStarted = MonotonicClock.nanoseconds() }
                if core.configuration.requestIdentity { identify(&head) }
                if WebSocketUpgrade.isRequested(head) {
                    dispatchWebSocket(head)
                    continue
                }
                continueOwed = head.expectsContinue && decoder.isReadingBody && decoder.bufferedByteCount == 0
                dispatchStreaming(head)
            case .body:
                // A head's body is taken with `nextBodyPart` as soon as the head is.
                preconditionFailure("the decoder gave a whole body to a connection that streams bodies")
            }
        }
    }

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// The responder reads the body for the first time: the client may send it now.
    func sendContinueIfOwed() {
        guard continueOwed else { return }
        continueOwed = false
        // A client that sent its body without waiting needs no invitation.
        guard decoder.bufferedByteCount == 0 else { return }
        output.append(contentsOf: Self.continueLine)
        if !batching { flush() }
    }

    /// A response is starting: if the body was never asked for, the client may still be
    /// waiting to send it, so the connection cannot carry another request.
    func responseStartsWithoutContinue() -> Bool {
        defer { continueOwed = false }
        return continueOwed
    }

    func dispatch(_ request: HTTPRequest) {
        let slot = ResponseSlot(loop: core.loop, sink: self)
        machine.dispatched(PendingResponse(slot: slot, head: request.head))
        // Past the concurrency limit the server answers for the responder: 503, at once.
        guard core.admitRequest() else {
            core.logger.debug("concurrency limit reached: 503 for \(request.method) \(request.head.target)")
            var busy = HTTPResponse.error(503)
            busy.headers.add("retry-after", "1")
            return deliver(busy, from: slot, forceClose: false)
        }
        holdsAdmission = true
        if request.bodyStream != nil, !core.responder.streamsRequestBodies {
            return respondWhenComplete(request, slot)
        }
        core.responder.respond(to: request, via: slot)
    }

    /// The request with the responder counts against the server's concurrency limit until its
    /// response ends or the connection closes.
    private func releaseAdmission() {
        guard holdsAdmission else { return }
        holdsAdmission = false
        core.requestEnded()
    }

    /// The responder's answer, on the loop thread.
    func deliver(_ response: HTTPResponse, from slot: ResponseSlot, forceClose: Bool) {
        guard case .responding(let pending) = machine.state, pending.slot === slot else { return }
        let head = pending.head
        var response = response
        var closeAsked = false
        do throws(FramingProblem) {
            // A handler's `connection: close` is honoured (the server writes the header itself).
            closeAsked = try response.takeFraming(for: head, complete: true).closeAsked
        } catch {
            core.logger.error("invalid response for \(head.method) \(head.target): \(error.reason); sent 500 instead")
            response = .text("Internal Server Error", status: 500)
        }
        slot.responseCompleted()
        let keepAlive = !responseStartsWithoutContinue() && !forceClose && !closeAsked && mayKeepAlive(head)
        write(response, head: head, keepAlive: keepAlive)
        responseFinished(head: head, status: response.status, keepAlive: keepAlive, route: slot.route)
    }

    /// Whether the connection stays open after the response to `head`.
    func mayKeepAlive(_ head: HTTPRequestHead) -> Bool {
        machine.mayKeepAlive(requested: head.keepAlive, draining: core.isDraining)
    }

    /// After the last byte of a response is queued: next request, or close.
    func responseFinished(head: HTTPRequestHead, status: Int, keepAlive: Bool, route: String?) {
        releaseAdmission()
        answered(head: head, status: status, route: route)
        // The idle timer starts once the client has taken the response (see flush).
        switch machine.responseQueued(keepAlive: keepAlive, queued: output.count + stream.unwrittenBytes) {
        case .readNext:
            resumeIfPossible()
            if !batching { runBatch() }
        case .finish:
            finishQueued()
        }
    }

    private func write(_ response: HTTPResponse, head: HTTPRequestHead, keepAlive: Bool) {
        let sendsBody = response.sendsBody(to: head)
        core.encoder.encodeHead(
            status: response.status, headers: identified(response.headers), framing: .length(response.body.count),
            version: head.version, connection: keepAlive ? .keepAlive : .close, into: &output)
        if sendsBody { output.append(contentsOf: response.body) }
    }

    /// A body that turned out malformed or too large while its request is with the responder:
    /// the error's status if no response has started (the responder hears the client is gone),
    /// else the connection closes.
    func rejectDuringResponse(_ error: HTTPParseError) {
        switch machine.state {
        case .responding(let pending):
            pending.slot.connectionClosed()
            reject(error)
        case .streaming:
            close()
        default:
            reject(error)
        }
    }

    /// A request the parser refused: answer with its status, then close. The access log has it
    /// when its head was read (a body too large, a body that broke off).
    func reject(_ error: HTTPParseError, headers extra: [(name: String, value: String)] = []) {
        core.logger.debug("rejected request from \(client): \(error)")
        switch machine.state {
        case .responding(let pending): answered(head: pending.head, status: error.status, route: pending.slot.route)
        case .streaming(let state): answered(head: state.head, status: error.status, route: state.slot.route)
        default:
            core.metrics?.refused[error.status, default: 0] += 1
            if let line = error.requestLine {
                core.logAccess(
                    client: client, method: line.method, target: line.target, version: line.version, status: error.status,
                    started: MonotonicClock.nanoseconds(), identity: nil)
            }
        }
        let response = HTTPResponse(
            status: error.status, headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8")] + extra),
            body: Array("\(HTTPStatus.reason(error.status)): \(error.reason)\n".utf8))
        core.encoder.encodeHead(
            status: response.status, headers: response.headers, framing: .length(response.body.count),
            version: .http1_1, connection: .close, into: &output)
        output.append(contentsOf: response.body)
        finish()
    }

    // MARK: writing and closing

    func flush() {
        guard !output.isEmpty else { return checkWritesDrained() }
        core.metrics?.bytesOut += output.count
        let ok = stream.write(output)
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        if !ok {
            close()
            return
        }
        if webSocket == nil, stream.pendingWriteBytes > core.limits.writeHighWaterBytes {
            // A slow reader: stop taking requests until it has read what is queued. (A
            // WebSocket session decides its own reading.)
            pause()
        }
        checkWritesDrained()
    }

    /// The client has taken every byte of the response: its idle or linger time starts.
    func checkWritesDrained() {
        machine.writesDrained(
            queued: output.count + stream.pendingWriteBytes, nextRequestStarted: !decoder.isBetweenRequests)
    }

    /// Sends what is queued, half-closes, and lingers so the client reads the last response
    /// instead of a reset caused by unread request bytes.
    private func finish() {
        machine.finishing(queued: output.count + stream.unwrittenBytes)
        finishQueued()
    }

    /// The last response is queued (the machine is lingering): the rest of the request is
    /// dropped, and the connection half-closes once it is written.
    private func finishQueued() {
        endBody(failed: true)
        decoder = HTTPRequestDecoder(limits: core.limits)
        // Inside a batch, the end of the batch flushes and then shuts down.
        if !batching {
            flush()
            startLinger()
        }
    }

    private func startLinger() {
        let action = machine.startLinger()
        guard action != .none else { return }
        // The shutdown completes once every queued byte is written; the linger starts then.
        stream.shutdownWrite { [unowned self] in
            machine.shutdownCompleted()
            if machine.peerClosed { close() }
        }
        if action == .shutdownAndRead { stream.startReading() }
    }

    /// Server shutdown: close now if idle, else after the response in progress.
    func drain() {
        if let webSocket { return webSocket.serverDraining() }
        if machine.drainRequested(betweenRequests: decoder.isBetweenRequests) { close() }
    }

    func close() {
        guard let previous = machine.close() else { return }
        switch previous {
        case .responding(let pending):
            pending.slot.connectionClosed()
        case .streaming(let state):
            state.cancelWaiter()
            state.slot.connectionClosed()
        case .upgraded:
            webSocket?.connectionClosed()
        default:
            break
        }
        releaseAdmission()
        endBody(failed: true)
        stream.close()
        core.connectionClosed(self)
    }

    var isClosed: Bool { machine.isClosed }

    /// Called by the server's sweep timer.
    func checkDeadline() {
        if let webSocket { return webSocket.checkDeadline(now: core.loop.now) }
        // A responder's deadline for its response (`ResponseSlot.deadline`).
        if case .responding(let pending) = machine.state, let deadline = pending.slot.responseDeadline,
           core.loop.now >= deadline.at {
            pending.slot.responseDeadline = nil
            pending.slot.complete(deadline.response)
            return
        }
        let action = machine.deadline(
            queued: output.count + stream.unwrittenBytes, betweenRequests: decoder.isBetweenRequests,
            streamingBody: bodyStream != nil)
        switch action {
        case .none:
            return
        case .close:
            close()
        case .bodyTimeout:
            core.logger.debug("request body timeout from \(client)")
            rejectDuringResponse(HTTPParseError(status: 408, reason: "request body not received in time"))
        case .headTimeout:
            core.logger.debug("request head timeout from \(client)")
            reject(HTTPParseError(status: 408, reason: "request not received in time"))
        }
    }
}

extension HTTPConnection {
    /// Gives the request its identity: the client's `X-Request-ID`, or one made here and added
    /// to the head so that the app sees it too.
    func identify(_ head: inout HTTPRequestHead) {
        let (identity, madeHere) = RequestIdentity.of(head.headers, ids: &core.requestIDs)
        if madeHere { head.headers.add("x-request-id", identity.requestID) }
        self.identity = identity
    }

    /// A response's headers with the request's id echoed (unless the app set one).
    func identified(_ headers: HTTPHeaders) -> HTTPHeaders {
        guard let identity, !headers.contains("x-request-id") else { return headers }
        var headers = headers
        headers.add("x-request-id", identity.requestID)
        return headers
    }

    /// The request of `head` was answered with `status` (metrics, access log).
    func answered(head: HTTPRequestHead, status: Int, route: String?) {
        core.requestAnswered(
            client: client, method: head.method, target: head.target, version: head.version, status: status,
            started: requestStarted, identity: identity, route: route)
    }
}
