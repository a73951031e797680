internal import ApusLoop

/// One HTTP/2 connection (RFC 9113): h2 chosen by ALPN on TLS, or h2c with the client's prior
/// knowledge (its connection preface). nghttp2 (`HTTP2Session`) reads and writes the frames;
/// this class turns each stream into a request for the same responder, limits and access log
/// as HTTP/1.1, and writes what the session produces to the socket. Loop thread.
///
/// A request goes to the responder once its head is here; its body follows through a
/// `RequestBodyStream` as the client sends it (each stream's window opening as the app reads,
/// so an app that does not read holds one window at most), within `HTTPLimits.maxBodyBytes` and
/// the server's budget for bodies in memory. Responses stream as they are written, paced by the
/// client's flow-control windows.
final class HTTP2Connection: ByteStreamDelegate, HTTP2SessionDelegate, ServerConnection {
    /// Streams the client may open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    static let maxConcurrentStreams: UInt32 = 100
    /// Each stream's receive window: what a client may send of a body before the server has
    /// taken it (nghttp2 grants more as it does).
    static let initialWindowBytes: UInt32 = 256 * 1024

    unowned let core: HTTPServerCore
    let stream: ByteStream
    let session: HTTP2Session
    private var streams: [Int32: HTTP2Stream] = [:]
    private var output: [UInt8] = []
    /// Inside `session.receive`: nghttp2 must not be asked for output until it returns.
    private var receiving = false
    private var draining = false
    private(set) var isClosed = false
    let state = ConnectionState.http2
    private var readingPaused = false
    /// When the connection last had no stream open (for the keep-alive timeout).
    private var idleSince: UInt64
    let client: String
    let server: String
    private lazy var tls: TLSConnectionInfo? = (stream.layer as? TLSLayer)?.connectionInfo

    init?(core: HTTPServerCore, stream: ByteStream) {
        guard let session = HTTP2Session(
            maxConcurrentStreams: Self.maxConcurrentStreams, maxHeaderListBytes: UInt32(core.limits.maxHeadBytes),
            initialWindowBytes: Self.initialWindowBytes)
        else { return nil }
        self.core = core
        self.stream = stream
        self.session = session
        client = stream.peerAddress
        server = stream.localAddress
        idleSince = core.loop.now
        session.delegate = self
    }

    /// Takes over the stream, with the bytes already read from it (the preface, at least).
    func start(with initial: UnsafeRawBufferPointer) {
        stream.delegate = self
        streamDidRead(initial)
        if !isClosed { stream.startReading() }
    }

    // MARK: stream events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        core.metrics?.bytesIn += bytes.count
        receiving = true
        let ok = session.receive(bytes)
        receiving = false
        flush()
        if !ok {
            core.logger.debug("HTTP/2 session with \(client) ended by a protocol error")
            close()
        }
    }

    func streamDidEnd(error: UVError?) {
        close()
    }

    func streamDidDrain() {
        if readingPaused, !isClosed {
            readingPaused = false
            stream.startReading()
        }
        resumeWriters()
        if session.isFinished || (draining && streams.isEmpty) { close() }
    }

    // MARK: HTTP2SessionDelegate

    func streamOpened(_ id: Int32) {
        // Shutting down: a new stream is refused (the client may retry it elsewhere, RFC 9113
        // §8.7); the ones open go on.
        guard !draining else { return session.reset(id, errorCode: HTTP2Session.refusedStream) }
        streams[id] = HTTP2Stream(id: id, connection: self)
    }

    func header(_ id: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        streams[id]?.header(name: name, value: value)
    }

    func headersEnded(_ id: Int32, endStream: Bool) {
        guard let request = streams[id] else { return }
        if request.headTooLarge {
            return refuse(request, HTTPParseError(status: 431, reason: "request header fields too large"))
        }
        dispatch(request, bodyFollows: !endStream)
    }

    func dataArrived(_ id: Int32, _ bytes: UnsafeRawBufferPointer) {
        // (A stream no longer open: the connection's window was reopened by the session.)
        guard let request = streams[id] else { return }
        if let error = request.bodyArrived(bytes) { request.refuseBody(error) }
    }

    func requestEnded(_ id: Int32) {
        streams[id]?.bodyComplete()
    }

    func streamClosed(_ id: Int32, errorCode: UInt32) {
        guard let request = streams.removeValue(forKey: id) else { return }
        request.abandoned()
        guard streams.isEmpty else { return }
        idleSince = core.loop.now
        if draining { session.goAway() }
    }

    // MARK: requests

    private func dispatch(_ request: HTTP2Stream, bodyFollows: Bool) {
        var head = request.makeHead(bodyFollows: bodyFollows)
        if core.timesRequests { request.started = MonotonicClock.nanoseconds() }
        if core.configuration.requestIdentity {
            let (identity, madeHere) = RequestIdentity.of(head.headers, ids: &core.requestIDs)
            if madeHere { head.headers.add("x-request-id", identity.requestID) }
            request.identity = identity
        }
        request.head = head
        request.state = .responding
        let slot = ResponseSlot(loop: core.loop, sink: request)
        request.slot = slot
        guard core.admitRequest() else {
            core.logger.debug("concurrency limit reached: 503 for \(head.method) \(head.target)")
            var busy = HTTPResponse.error(503)
            busy.headers.add("retry-after", "1")
            return request.deliver(busy, from: slot, forceClose: false)
        }
        request.holdsAdmission = true
        var whole = HTTPRequest(head: head, body: [], client: client, server: server)
        whole.tls = tls
        if bodyFollows {
            let body = RequestBodyStream(source: request)
            request.bodyWillFollow(body)
            whole.bodyStream = body
            if !core.responder.streamsRequestBodies {
                return whole.withWholeBody(via: slot) { [core] whole in core.responder.respond(to: whole, via: slot) }
            }
        }
        core.responder.respond(to: whole, via: slot)
    }

    /// Answers a request the server will not take (its head or body past the limits).
    private func refuse(_ request: HTTP2Stream, _ error: HTTPParseError) {
        request.head = request.makeHead(bodyFollows: false)
        request.state = .responding
        let slot = ResponseSlot(loop: core.loop, sink: request)
        request.slot = slot
        request.deliver(
            HTTPResponse(status: error.status, headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8")]),
                         body: Array("\(HTTPStatus.reason(error.status)): \(error.reason)\n".utf8)),
            from: slot, forceClose: false)
    }

    /// A request's response is complete (`status`), or it was given up (nil): the access log,
    /// the metrics and the concurrency limit hear of it.
    func requestFinished(_ request: HTTP2Stream, status: Int?) {
        if request.holdsAdmission {
            request.holdsAdmission = false
            core.requestEnded()
        }
        guard let status, let head = request.head else { return }
        core.requestAnswered(
            client: client, method: head.method, target: head.target, version: .http2, status: status,
            started: request.started, identity: request.identity, route: request.slot?.route)
    }

    // MARK: writing

    /// A stream queued something for the session to frame: written now, unless nghttp2 is in
    /// the middle of reading (the read writes when it is done).
    func outputReady() {
        if !receiving { flush() }
    }

    private func flush() {
        guard !isClosed else { return }
        guard session.takeOutput(into: &output) else { return close() }
        if !output.isEmpty {
            core.metrics?.bytesOut += output.count
            let ok = stream.write(output)
            output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
            guard ok else { return close() }
            // A client that does not read its responses stops being read.
            if stream.pendingWriteBytes > core.limits.writeHighWaterBytes, !readingPaused {
                readingPaused = true
                stream.stopReading()
            }
        }
        resumeWriters()
        if session.isFinished || (draining && streams.isEmpty && stream.pendingWriteBytes == 0) { close() }
    }

    /// Whether a streaming writer must wait: its stream holds more than the client's windows
    /// let out, or the socket has more queued than the high-water mark.
    func mustWait(for request: HTTP2Stream) -> Bool {
        session.pendingBodyBytes(request.id) > Int(Self.initialWindowBytes)
            || stream.pendingWriteBytes > core.limits.writeHighWaterBytes
    }

    private func resumeWriters() {
        for request in Array(streams.values) where request.waiter != nil && !mustWait(for: request) {
            request.resumeWriter()
        }
    }

    // MARK: ServerConnection

    func checkDeadline() {
        let now = core.loop.now
        for request in Array(streams.values) {
            if let slot = request.slot, let deadline = slot.responseDeadline, now >= deadline.at {
                slot.responseDeadline = nil
                slot.complete(deadline.response)
            }
            // A body its reader waits for must keep arriving (HTTP/1.1's rule for bodies).
            if let body = request.bodyStream, body.pendingRead != nil,
               now >= request.lastBodyActivity + core.limits.headTimeoutMilliseconds {
                request.refuseBody(HTTPParseError(status: 408, reason: "request body not received in time"))
            }
        }
        if streams.isEmpty, now >= idleSince + core.limits.keepAliveTimeoutMilliseconds {
            drain()
        }
    }

    /// The streams open go on, new ones are refused, and once none is left a GOAWAY ends the
    /// connection. (The GOAWAY waits for them: clients such as httpx's fail the streams they
    /// have in flight on any GOAWAY, though RFC 9113 lets those at or below its last stream id
    /// go on.)
    func drain() {
        guard !draining, !isClosed else { return }
        draining = true
        if streams.isEmpty { session.goAway() }
        flush()
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        let open = streams
        streams = [:]
        for request in open.values { request.abandoned() }
        stream.close()
        core.connectionClosed(self)
    }
}
