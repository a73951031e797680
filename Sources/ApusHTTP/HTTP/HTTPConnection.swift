internal import ApusLoop
/// One client connection: reads requests, hands each to the responder, writes responses in
/// request order. Confined to the loop thread.
///
/// Requests on a connection are answered one at a time: while a response is outstanding, the
/// bytes of pipelined requests wait in the decoder, which keeps responses in order without a
/// reorder queue. Responses produced during one read are written with one socket write.
final class HTTPConnection: TCPStreamDelegate {
    enum Phase {
        /// Waiting for (more of) a request.
        case reading
        /// A request is with the responder.
        case responding(ResponseSlot, HTTPRequestHead)
        /// A streamed response is being written (see HTTPConnection+Streaming).
        case streaming(ResponseStreamState)
        /// Final response sent; reading and discarding until the peer closes or time runs out.
        case lingering
        case closed
    }

    unowned let core: HTTPServerCore
    let stream: TCPStream
    var decoder: HTTPRequestDecoder
    var phase = Phase.reading
    /// The body of the request with the responder, while some of it has not been read.
    var bodyStream: RequestBodyStream?
    /// The request with the responder counts against the concurrency limit.
    private var holdsAdmission = false
    /// Head, body, write, idle and linger timeouts (see `ConnectionTimers`).
    var timers: ConnectionTimers<LoopClock>
    var output: [UInt8] = []
    /// True while inside a read callback: writes are batched and flushed at its end.
    var batching = false
    private var paused = false
    private(set) var peerClosed = false
    private var closeRequested = false
    let client: String
    let server: String

    init(core: HTTPServerCore, stream: TCPStream) {
        self.core = core
        self.stream = stream
        decoder = HTTPRequestDecoder(limits: core.limits)
        client = stream.peerAddress
        server = stream.localAddress
        timers = ConnectionTimers(clock: LoopClock(loop: core.loop), limits: core.limits)
        output.reserveCapacity(4096)
    }

    func start() {
        stream.delegate = self
        stream.setNoDelay(true)
        stream.startReading()
    }

    var isIdle: Bool {
        if case .reading = phase { return decoder.isBetweenRequests }
        return false
    }

    // MARK: stream events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .lingering, .closed:
            return
        case .reading, .responding, .streaming:
            // A body may take long to upload; only a body that stops moving times out.
            timers.requestBytesArrived(readingBody: decoder.isReadingBody)
            decoder.feed(bytes)
            if !isReading, decoder.bufferedByteCount > Self.pipelineBufferLimit {
                // The client keeps sending while its earlier request is being answered (or
                // faster than the responder reads its body).
                pause()
            }
            bodyBytesArrived()
            runBatch()
        }
    }

    /// Pipelined bytes held while a response is outstanding, before reading pauses.
    private static let pipelineBufferLimit = 64 * 1024

    /// Processes buffered requests and writes every response they produced at once.
    private func runBatch() {
        batching = true
        processRequests()
        batching = false
        flush()
        if case .lingering = phase, !lingerStarted { shutdownAndLinger() }
    }

    private func pause() {
        guard !paused else { return }
        paused = true
        timers.readingPaused(true)
        stream.stopReading()
    }

    /// A body reader took bytes: read the socket again if that is what stopped it.
    func resumeReadingForBody() {
        guard decoder.bufferedByteCount <= Self.pipelineBufferLimit else { return }
        resumeIfPossible()
    }

    private func resumeIfPossible() {
        guard paused, stream.pendingWriteBytes <= core.limits.writeHighWaterBytes else { return }
        paused = false
        timers.readingPaused(false)
        stream.startReading()
    }

    func streamDidEnd(error: UVError?) {
        peerClosed = true
        guard error == nil else { return close() }
        bodyBytesArrived()
        switch phase {
        case .responding, .streaming:
            break  // a half-closed client still gets its response
        case .lingering where stream.pendingWriteBytes > 0:
            break  // the shutdown completion closes once the last response is out
        default:
            close()
        }
    }

    func streamDidDrain() {
        checkWritesDrained()
        resumeStreamWriter()
        guard paused, case .reading = phase else { return }
        resumeIfPossible()
        runBatch()
    }

    // MARK: requests

    private func processRequests() {
        // The previous request's body, unread when its response ended, is dropped first.
        if case .reading = phase, !discardUnreadBody() { return }
        while case .reading = phase, !paused {
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
            case .head(let head):
                timers.headArrived()
                if head.expectsContinue, decoder.isReadingBody, decoder.bufferedByteCount == 0 {
                    output.append(contentsOf: Self.continueLine)
                }
                if core.responder.streamsRequestBodies {
                    dispatchStreaming(head)
                } else {
                    pendingHead = head
                }
            case .body(let body):
                guard let head = pendingHead else { return }
                pendingHead = nil
                dispatch(HTTPRequest(head: head, body: body, client: client, server: server))
            }
        }
    }

    private var pendingHead: HTTPRequestHead?
    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    func dispatch(_ request: HTTPRequest) {
        timers.requestDispatched()
        let slot = ResponseSlot(loop: core.loop, connection: self)
        phase = .responding(slot, request.head)
        // Past the concurrency limit the server answers for the responder: 503, at once.
        guard core.admitRequest() else {
            core.logger.debug("concurrency limit reached: 503 for \(request.method) \(request.head.target)")
            var busy = HTTPResponse.error(503)
            busy.headers.add("retry-after", "1")
            return deliver(busy, from: slot)
        }
        holdsAdmission = true
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
    func deliver(_ response: HTTPResponse, from slot: ResponseSlot, forceClose: Bool = false) {
        guard case .responding(let current, let head) = phase, current === slot else { return }
        var response = response
        var closeAsked = false
        do throws(FramingProblem) {
            if let problem = response.problem { throw FramingProblem(reason: problem) }
            // A handler's `connection: close` is honoured (the server writes the header itself).
            closeAsked = try response.takeFraming(for: head, complete: true).closeAsked
        } catch {
            core.logger.error("invalid response for \(head.method) \(head.target): \(error.reason); sent 500 instead")
            response = .text("Internal Server Error", status: 500)
        }
        slot.responseCompleted()
        let keepAlive = !forceClose && !closeAsked && mayKeepAlive(head)
        write(response, head: head, keepAlive: keepAlive)
        responseFinished(head: head, status: response.status, keepAlive: keepAlive)
    }

    /// Whether the connection stays open after the response to `head`.
    func mayKeepAlive(_ head: HTTPRequestHead) -> Bool {
        head.keepAlive && !peerClosed && !closeRequested && !core.isDraining
    }

    /// After the last byte of a response is queued: next request, or close.
    func responseFinished(head: HTTPRequestHead, status: Int, keepAlive: Bool) {
        releaseAdmission()
        core.logAccess(client: client, head: head, status: status)
        if keepAlive {
            phase = .reading
            // The idle timer starts once the client has taken the response (see flush).
            timers.responseQueued(queued: output.count + stream.unwrittenBytes, last: false)
            resumeIfPossible()
            if !batching { runBatch() }
        } else {
            finish()
        }
    }

    private func write(_ response: HTTPResponse, head: HTTPRequestHead, keepAlive: Bool) {
        let sendsBody = response.sendsBody(to: head)
        core.encoder.encodeHead(
            status: response.status, headers: response.headers, framing: .length(response.body.count),
            version: head.version, connection: keepAlive ? .keepAlive : .close, into: &output)
        if sendsBody { output.append(contentsOf: response.body) }
    }

    /// A body that turned out malformed or too large while its request is with the responder:
    /// the error's status if no response has started (the responder hears the client is gone),
    /// else the connection closes.
    func rejectDuringResponse(_ error: HTTPParseError) {
        switch phase {
        case .responding(let slot, _):
            slot.connectionClosed()
            reject(error)
        case .streaming:
            close()
        default:
            reject(error)
        }
    }

    /// A request the parser refused: answer with its status, then close.
    func reject(_ error: HTTPParseError) {
        core.logger.debug("rejected request from \(client): \(error)")
        let response = HTTPResponse(
            status: error.status, headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8")]),
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
        let ok = stream.write(output)
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        if !ok {
            close()
            return
        }
        if stream.pendingWriteBytes > core.limits.writeHighWaterBytes {
            // A slow reader: stop taking requests until it has read what is queued.
            pause()
        }
        checkWritesDrained()
    }

    /// The client has taken every byte of the response: its idle or linger time starts.
    func checkWritesDrained() {
        if case .streaming = phase { return }  // the stream's writer resumes instead
        guard timers.isWaitingForWrites, output.isEmpty, stream.pendingWriteBytes == 0 else { return }
        timers.writesDrained(nextRequestStarted: !decoder.isBetweenRequests)
    }

    /// Sends what is queued, half-closes, and lingers so the client reads the last response
    /// instead of a reset caused by unread request bytes.
    private func finish() {
        endBody(failed: true)
        timers.responseQueued(queued: output.count + stream.unwrittenBytes, last: true)
        phase = .lingering
        decoder = HTTPRequestDecoder(limits: core.limits)
        // Inside a batch, the end of the batch flushes and then shuts down.
        if !batching {
            flush()
            shutdownAndLinger()
        }
    }

    private var lingerStarted = false

    private func shutdownAndLinger() {
        guard case .lingering = phase, !lingerStarted else { return }
        lingerStarted = true
        // The shutdown completes once every queued byte is written; the linger starts then.
        stream.shutdownWrite { [unowned self] in
            timers.writesDrained(nextRequestStarted: false)
            if peerClosed { close() }
        }
        if peerClosed { return }
        paused = false
        stream.startReading()
    }

    /// Server shutdown: close now if idle, else after the response in progress.
    func drain() {
        closeRequested = true
        if isIdle { close() }
    }

    func close() {
        guard !isClosed else { return }
        switch phase {
        case .responding(let slot, _):
            slot.connectionClosed()
        case .streaming(let state):
            state.cancelWaiter()
            state.slot.connectionClosed()
        default:
            break
        }
        phase = .closed
        releaseAdmission()
        endBody(failed: true)
        stream.close()
        core.connectionClosed(self)
    }

    var isClosed: Bool { if case .closed = phase { true } else { false } }
    private var isReading: Bool { if case .reading = phase { true } else { false } }

    /// Called by the server's sweep timer.
    func checkDeadline() {
        guard !isClosed else { return }
        switch timers.expiry(queued: output.count + stream.unwrittenBytes) {
        case .none:
            return
        case .close:
            close()
        case .requestTimeout:
            if decoder.isBetweenRequests {
                close()
            } else if bodyStream != nil {
                core.logger.debug("request body timeout from \(client)")
                rejectDuringResponse(HTTPParseError(status: 408, reason: "request body not received in time"))
            } else {
                core.logger.debug("request head timeout from \(client)")
                reject(HTTPParseError(status: 408, reason: "request not received in time"))
            }
        }
    }
}
