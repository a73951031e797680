/// The life of one connection as a state machine: the connection reports what happened (bytes
/// arrived, a response ended, the peer closed, time passed) and gets back what to do. No I/O and
/// no real time (the clock is injected, through `ConnectionTimers`), so every rule is unit-tested
/// without sockets; `HTTPConnection` is the shell that does the I/O.
///
/// `Pending` is what the connection keeps about the request with the responder, `Streaming`
/// about a response being streamed: the machine holds them so that one state says everything.
///
/// The rules:
/// - requests are answered one at a time, in order: while a response is outstanding, pipelined
///   bytes wait, and past `pipelineBufferLimit` of them the connection stops reading;
/// - a response keeps the connection open only if the request allows it, the peer has not
///   closed, and the server is not draining;
/// - after the last response the connection half-closes and lingers (reading and dropping what
///   the client still sends), so the client reads the response instead of a reset;
/// - a peer that closes its side while its request is with the responder, or while its
///   response streams, has left: the connection closes at once, so the responder hears it (an
///   app's `receive()` gets `http.disconnect`, its `send()` fails) and the request's slot is
///   freed, as uvicorn, nginx and Go's server treat a client's EOF; a response already queued
///   whole is still written out;
/// - timeouts are `ConnectionTimers`' rules.
package struct ConnectionStateMachine<Clock: MillisecondClock, Pending, Streaming> {
    package enum State {
        /// Waiting for (more of) a request.
        case reading
        /// A request is with the responder.
        case responding(Pending)
        /// A streamed response is being written.
        case streaming(Streaming)
        /// Final response queued; reading and discarding until the peer closes or time runs out.
        case lingering
        /// The connection speaks WebSocket now (`WebSocketSession` has its bytes and timers).
        case upgraded
        case closed
    }

    /// Pipelined bytes held while a response is outstanding, before reading pauses.
    package static var pipelineBufferLimit: Int { 64 * 1024 }

    package private(set) var state: State = .reading
    private(set) var timers: ConnectionTimers<Clock>
    /// The connection stopped reading the socket (back-pressure).
    package private(set) var readingPaused = false
    package private(set) var peerClosed = false
    /// The server is shutting down: no new request after the one in progress.
    package private(set) var closeRequested = false
    package private(set) var lingerStarted = false
    /// Responses queued so far: a connection that has had none was just opened.
    private(set) var responsesQueued = 0

    package init(clock: Clock, limits: HTTPLimits) {
        timers = ConnectionTimers(clock: clock, limits: limits)
    }

    package var isReading: Bool { if case .reading = state { true } else { false } }
    package var isClosed: Bool { if case .closed = state { true } else { false } }
    package var isLingering: Bool { if case .lingering = state { true } else { false } }
    package var isStreaming: Bool { if case .streaming = state { true } else { false } }

    // MARK: reading

    package enum ReadAction: Equatable {
        /// The connection is done with requests: drop the bytes.
        case ignore
        /// Feed the bytes to the decoder and process what it has.
        case process(pauseReading: Bool)
    }

    /// Request bytes arrived; `buffered`: what the decoder holds with them.
    package mutating func bytesArrived(readingBody: Bool, buffered: Int) -> ReadAction {
        switch state {
        case .lingering, .closed, .upgraded:
            return .ignore
        case .reading, .responding, .streaming:
            // A body may take long to upload; only a body that stops moving times out.
            timers.requestBytesArrived(readingBody: readingBody)
            // The client keeps sending while its earlier request is being answered (or faster
            // than the responder reads its body).
            let overLimit = !isReading && buffered > Self.pipelineBufferLimit
            return .process(pauseReading: overLimit && pauseReading())
        }
    }

    /// Stops reading (the socket's own back-pressure, or too much pipelined); true if it was
    /// reading.
    package mutating func pauseReading() -> Bool {
        guard !readingPaused else { return false }
        readingPaused = true
        timers.readingPaused(true)
        return true
    }

    /// Reads again if reading was paused and the client has taken enough of what is queued;
    /// true if reading should restart.
    package mutating func resumeReading(pendingWrites: Int, highWater: Int) -> Bool {
        guard readingPaused, pendingWrites <= highWater else { return false }
        readingPaused = false
        timers.readingPaused(false)
        return true
    }

    package mutating func headArrived() {
        timers.headArrived()
    }

    /// Whether the decoder's next request may be processed now.
    package var takesRequests: Bool { isReading && !readingPaused }

    // MARK: responding

    /// The request `pending` is with the responder.
    package mutating func dispatched(_ pending: Pending) {
        timers.requestDispatched()
        state = .responding(pending)
    }

    /// The request's answer was a WebSocket accept: HTTP is over on this connection.
    package mutating func upgraded() {
        state = .upgraded
        readingPaused = false
    }

    /// The response to the pending request is being streamed.
    package mutating func streamStarted(_ streaming: Streaming) {
        state = .streaming(streaming)
    }

    /// Whether the connection may stay open after a response to a request that asked for
    /// keep-alive (`requested`); `draining`: the server is shutting down.
    package func mayKeepAlive(requested: Bool, draining: Bool) -> Bool {
        requested && !peerClosed && !closeRequested && !draining
    }

    package enum AfterResponse: Equatable {
        /// Take the next request (the idle timer starts once the response is written).
        case readNext
        /// The connection's last response: half-close and linger once it is written.
        case finish
    }

    /// The last byte of a response is queued (`queued` bytes not yet written).
    package mutating func responseQueued(keepAlive: Bool, queued: Int) -> AfterResponse {
        responsesQueued += 1
        if keepAlive {
            state = .reading
            timers.responseQueued(queued: queued, last: false)
            return .readNext
        }
        timers.responseQueued(queued: queued, last: true)
        state = .lingering
        return .finish
    }

    /// The connection is closing after its last response (a rejected request too).
    package mutating func finishing(queued: Int) {
        timers.responseQueued(queued: queued, last: true)
        state = .lingering
    }

    package enum LingerAction: Equatable {
        case none
        /// Half-close once everything is written; the peer is gone, so nothing to read.
        case shutdown
        /// Half-close once everything is written, and read (dropping it) until the peer closes.
        case shutdownAndRead
    }

    /// Starts lingering, once: after the final response has been queued.
    package mutating func startLinger() -> LingerAction {
        guard isLingering, !lingerStarted else { return .none }
        lingerStarted = true
        if peerClosed { return .shutdown }
        readingPaused = false
        return .shutdownAndRead
    }

    /// Everything queued was written: the idle (or linger) time starts, unless a stream is
    /// still writing. `nextRequestStarted`: bytes of a next request are already here.
    package mutating func writesDrained(queued: Int, nextRequestStarted: Bool) {
        guard !isStreaming, timers.isWaitingForWrites, queued == 0 else { return }
        timers.writesDrained(nextRequestStarted: nextRequestStarted)
    }

    /// The half-close completed: the linger time starts.
    package mutating func shutdownCompleted() {
        timers.writesDrained(nextRequestStarted: false)
    }

    /// A streamed response waits for the client to take what is queued.
    package mutating func streamWaiting(queued: Int) {
        timers.streamWaiting(queued: queued)
    }

    /// The responder waits for more of the request body.
    package mutating func waitingForBody() {
        timers.waitingForBody()
    }

    /// The responder got what it waited for (body bytes, or room to write).
    package mutating func responderResumed() {
        timers.bodyDelivered()
    }

    // MARK: closing

    package enum PeerEndAction: Equatable {
        case close
        /// Keep the connection: the last response is still being written.
        case keepOpen
    }

    /// The peer closed its side: noted first, so that a body read waiting for bytes fails.
    package mutating func peerClosing() {
        peerClosed = true
    }

    /// What to do once the peer closed its side (`failed`: with an error) and what it had sent
    /// was handled. `pendingWrites`: bytes not yet written.
    package mutating func peerEnded(failed: Bool, pendingWrites: Int) -> PeerEndAction {
        peerClosed = true
        if failed { return .close }
        switch state {
        case .lingering where pendingWrites > 0:
            return .keepOpen  // the shutdown completion closes once the last response is out
        default:
            return .close
        }
    }

    /// Server shutdown: true if the connection should close now (idle after a response), else
    /// it closes after the response in progress. A connection just opened has not sent its
    /// request yet (it was accepted as the server stopped accepting): it gets a moment to, and
    /// its response closes it. `betweenRequests`: no part of a request is buffered.
    package mutating func drainRequested(betweenRequests: Bool) -> Bool {
        closeRequested = true
        guard isReading && betweenRequests else { return false }
        if responsesQueued > 0 { return true }
        timers.drainGrace()
        return false
    }

    /// Marks the connection closed; returns the state it was in (whose pending request or
    /// stream must hear of it), or nil if it was closed already.
    package mutating func close() -> State? {
        if isClosed { return nil }
        let previous = state
        state = .closed
        return previous
    }

    package enum DeadlineAction: Equatable {
        case none
        case close
        /// No request head in time: 408 and close.
        case headTimeout
        /// The body being read stopped arriving: 408 to the responder's request, and close.
        case bodyTimeout
    }

    /// What the server's sweep should do now. `queued`: response bytes not yet written;
    /// `betweenRequests`: nothing of a next request has arrived; `streamingBody`: the responder
    /// is reading a body that has stopped.
    package mutating func deadline(queued: Int, betweenRequests: Bool, streamingBody: Bool) -> DeadlineAction {
        if isClosed { return .none }
        if case .upgraded = state { return .none }
        switch timers.expiry(queued: queued) {
        case .none:
            return .none
        case .close:
            return .close
        case .requestTimeout:
            if betweenRequests { return .close }
            return streamingBody ? .bodyTimeout : .headTimeout
        }
    }
}
