public import ApusLoop

/// What the app's side of a WebSocket receives: a message, or the end of the session with the
/// close code (1006: the connection was lost without a close frame).
public enum WebSocketEvent: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])
    case closed(code: UInt16, reason: String)

    var size: Int {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes.count
        case .closed: 0
        }
    }
}

/// What `WebSocketSession.send` did with a message.
public enum WebSocketSendResult: Sendable {
    /// Queued for the client, which keeps up: the app may send again at once.
    case sent
    /// Queued, but the client is behind: the completion runs once it has room (true), or once
    /// the session is over (false).
    case waiting
    /// The session is over: nothing was sent.
    case closed
}

/// One accepted WebSocket, between the connection (frames in and out, on the loop thread) and
/// the responder (any thread).
///
/// Messages are pushed to the responder's handler as they arrive, each one hop; the responder
/// says when the app has taken each (`consumed`), and past `inboxLimit` messages (or
/// `inboxByteLimit` bytes) delivered and not yet taken, the socket is not read, so an app that
/// does not receive holds its client back. A `send` is queued for the loop thread without
/// waiting for it while the client keeps up; once more than the write limit is queued, the app
/// waits until the client has taken it. Each message crosses threads once, both ways.
///
/// The closing handshake (RFC 6455 §7): a close frame from the client is answered with the same
/// code and the connection closes; a close from the app is sent, and the connection closes when
/// the client answers (or `closeTimeoutMilliseconds` pass). A client that breaks the protocol
/// gets a close frame with the reason's code (1002, 1007, 1009) and the connection closes.
public final class WebSocketSession: Sendable {
    public let loop: EventLoop
    /// The subprotocol the app chose, if any.
    public let subprotocol: String?
    /// What the session shares with the responder's thread.
    fileprivate struct Shared {
        var unconsumedMessages = 0
        var unconsumedBytes = 0
        /// More than the write limit is queued for the client.
        var clientBehind = false
        /// The session is over for sending (a close was sent, or the connection closed).
        var closed = false
        /// The socket is not read because the app is behind (set by the loop thread); the
        /// thread of the app's `consumed` asks the loop to read again, once.
        var pausedForApp = false
    }
    private let shared: PThreadMutex<Shared>
    /// The connection's side: frames in and out, the closing handshake, the deadlines.
    private let side: LoopBound<WebSocketConnectionSide>

    /// Messages (or bytes) delivered and not yet taken by the app past which the socket is not
    /// read; reading resumes at half.
    static let inboxLimit = 32
    static let inboxByteLimit = 1 << 20
    static let closeTimeoutMilliseconds: UInt64 = 5_000

    init(loop: EventLoop, subprotocol: String?, maxMessageBytes: Int, deflate: PerMessageDeflate? = nil,
         handler: @escaping @Sendable (WebSocketEvent) -> Void) {
        self.loop = loop
        self.subprotocol = subprotocol
        let shared = PThreadMutex(Shared())
        self.shared = shared
        side = LoopBound(
            sending: WebSocketConnectionSide(
                loop: loop, shared: shared, maxMessageBytes: maxMessageBytes, deflate: deflate, handler: handler),
            to: loop)
    }

    // MARK: the responder's side, from any thread

    /// The app has taken a message of `bytes` bytes (any thread): reading resumes once enough
    /// are taken.
    public func consumed(bytes: Int) {
        let resume = shared.withLock { state -> Bool in
            state.unconsumedMessages -= 1
            state.unconsumedBytes -= bytes
            guard state.pausedForApp, state.unconsumedMessages <= Self.inboxLimit / 2,
                  state.unconsumedBytes <= Self.inboxByteLimit / 2 else { return false }
            state.pausedForApp = false
            return true
        }
        if resume { onLoop { [side] in side.value.updateReading() } }
    }

    /// Sends a text (UTF-8) or binary message. `then` runs only for `.waiting`.
    public func send(_ payload: [UInt8], text: Bool, then: @escaping @Sendable (Bool) -> Void) -> WebSocketSendResult {
        let (closed, behind) = shared.withLock { ($0.closed, $0.clientBehind) }
        if closed { return .closed }
        if behind {
            onLoop { [side, shared] in
                side.value.write(payload, text: text)
                if shared.withLock({ $0.closed }) { return then(false) }
                if shared.withLock({ $0.clientBehind }) { side.value.waitingSends.append(then) } else { then(true) }
            }
            return .waiting
        }
        onLoop { [side] in side.value.write(payload, text: text) }
        return .sent
    }

    /// The app closes the session: a close frame with `code` and `reason`; the connection
    /// closes when the client answers.
    public func close(code: UInt16, reason: String) {
        onLoop { [side] in side.value.close(code: code, reason: reason) }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inLoop { body() } else { loop.execute(body) }
    }

    // MARK: the connection's side, on the loop thread

    /// The connection it runs on, once the 101 is out.
    var connection: HTTPConnection? {
        get { side.value.connection }
        set { side.value.connection = newValue }
    }

    /// Bytes from the client (those that followed the handshake first).
    func bytesArrived(_ bytes: UnsafeRawBufferPointer) { side.value.bytesArrived(bytes) }

    func bytesArrived(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bytesArrived($0) }
    }

    /// The socket took what was queued: a waiting send may go on.
    func writesDrained() { side.value.noteWriteQueue() }

    /// The server's sweep: a client that never answers our close frame is cut off; one silent
    /// for the ping interval gets a ping, and one that does not answer it in time is closed
    /// with 1011, as websockets (uvicorn's backend) does.
    func checkDeadline(now: UInt64) { side.value.checkDeadline(now: now) }

    /// Server shutdown: 1012 (service restart), as uvicorn sends; the client's answer or the
    /// graceful timeout ends the connection.
    func serverDraining() { side.value.serverDraining() }

    /// The connection closed: an app still in the session hears 1006 (no close frame came).
    func connectionClosed() { side.value.connectionClosed() }
}

/// A WebSocket session's state and work on the loop thread (it lives in the session's
/// `LoopBound`): the frame decoder and message reader, the writes, the closing handshake, the
/// back-pressure decisions and the idle ping.
private final class WebSocketConnectionSide {
    weak var connection: HTTPConnection?
    /// Sends waiting for the client to take what is queued.
    var waitingSends: [(Bool) -> Void] = []
    private let loop: EventLoop
    private let shared: PThreadMutex<WebSocketSession.Shared>
    private var handler: (@Sendable (WebSocketEvent) -> Void)?
    private var decoder: WebSocketFrameDecoder
    private var reader: WebSocketMessageReader
    /// What the app was told when the session ended.
    private var ending: WebSocketEvent?
    private var closeSent = false
    /// The client's close frame came, or it broke the protocol: nothing more is read.
    private var inputDone = false
    /// When the client's answer to our close frame is due (ms, the loop's clock).
    private var closeDeadline: UInt64?
    private var readingPaused = false
    /// When the client last sent anything, and when the answer to our idle ping is due.
    private var lastHeard: UInt64 = 0
    private var pingDeadline: UInt64?
    /// The session's zlib streams, when permessage-deflate was agreed on.
    private let compression: MessageCompression?

    private static var inboxLimit: Int { WebSocketSession.inboxLimit }
    private static var inboxByteLimit: Int { WebSocketSession.inboxByteLimit }
    private static var closeTimeoutMilliseconds: UInt64 { WebSocketSession.closeTimeoutMilliseconds }

    init(loop: EventLoop, shared: PThreadMutex<WebSocketSession.Shared>, maxMessageBytes: Int, deflate: PerMessageDeflate?,
         handler: @escaping @Sendable (WebSocketEvent) -> Void) {
        self.loop = loop
        self.shared = shared
        self.handler = handler
        compression = deflate.map(MessageCompression.init)
        decoder = WebSocketFrameDecoder(maxMessageBytes: maxMessageBytes, compressionAllowed: deflate != nil)
        reader = WebSocketMessageReader(maxMessageBytes: maxMessageBytes, compression: compression)
    }

    func close(code: UInt16, reason: String) {
        guard !closeSent else { return }
        sendClose(code: code, reason: reason)
        end(with: .closed(code: code, reason: reason))
        closeDeadline = loop.now + Self.closeTimeoutMilliseconds
    }

    func write(_ payload: [UInt8], text: Bool) {
        guard let connection, !closeSent, !connection.isClosed else { return }
        let opcode: WebSocketFrame.Opcode = text ? .text : .binary
        if let compressed = compression?.compress(payload) {
            compressed.withUnsafeBytes {
                WebSocketFrameEncoder.append(opcode: opcode, rsv1: true, payload: $0, to: &connection.output)
            }
        } else {
            WebSocketFrameEncoder.append(opcode: opcode, payload: payload, to: &connection.output)
        }
        if !connection.batching { connection.flush() }
        noteWriteQueue()
    }

    func bytesArrived(_ bytes: UnsafeRawBufferPointer) {
        guard !inputDone else { return }
        lastHeard = loop.now
        pingDeadline = nil  // anything from the client shows it is there
        decoder.feed(bytes)
        processFrames()
    }

    private func processFrames() {
        // While the app's inbox is full, frames wait in the decoder (and the socket is not read).
        while !inputDone, !readingPaused, connection?.isClosed == false {
            let inbound: WebSocketMessageReader.Inbound?
            do {
                guard let frame = try decoder.next() else { return }
                inbound = try reader.take(frame)
            } catch {
                return fail(error)
            }
            guard let inbound else { continue }
            switch inbound {
            case .text(let bytes):
                if !closeSent { deliver(.text(bytes)) }
            case .binary(let bytes):
                if !closeSent { deliver(.binary(bytes)) }
            case .ping(let payload):
                if !closeSent, let connection {
                    WebSocketFrameEncoder.append(opcode: .pong, payload: payload, to: &connection.output)
                    if !connection.batching { connection.flush() }
                    noteWriteQueue()
                }
            case .pong:
                break
            case .close(let code, let reason):
                return peerClosed(code: code, reason: reason)
            }
        }
    }

    /// The client's close frame: answered (unless we closed first), the app told, and the
    /// connection closed once the answer is written.
    private func peerClosed(code: UInt16?, reason: String) {
        inputDone = true
        if !closeSent { sendClose(code: code, reason: "") }
        end(with: .closed(code: code ?? WebSocketCloseCode.noStatus, reason: reason))
        connection?.closeAfterWrites()
    }

    /// The client broke the protocol: a close frame with the failure's code, and the connection
    /// closes without waiting for an answer (§7.1.7).
    private func fail(_ failure: WebSocketFailure) {
        inputDone = true
        connection?.core.logger.debug("WebSocket from \(connection?.client ?? "-") failed: \(failure.reason)")
        if !closeSent { sendClose(code: failure.code, reason: "") }
        end(with: .closed(code: failure.code, reason: ""))
        connection?.closeAfterWrites()
    }

    private func sendClose(code: UInt16?, reason: String) {
        closeSent = true
        shared.withLock { $0.closed = true }
        if let connection {
            WebSocketFrameEncoder.appendClose(code: code, reason: reason, to: &connection.output)
            if !connection.batching { connection.flush() }
        }
        releaseWaitingSends(false)
    }

    private func deliver(_ event: WebSocketEvent) {
        shared.withLock {
            $0.unconsumedMessages += 1
            $0.unconsumedBytes += event.size
        }
        handler?(event)
        updateReading()
    }

    /// The client is behind when more than the write limit is queued for it.
    func noteWriteQueue() {
        guard let connection else { return }
        let behind = connection.stream.pendingWriteBytes > connection.core.limits.writeHighWaterBytes
        let changed = shared.withLock { state -> Bool in
            defer { state.clientBehind = behind }
            return state.clientBehind != behind
        }
        if changed { updateReading() }
        if !behind { releaseWaitingSends(true) }
    }

    private func releaseWaitingSends(_ ok: Bool) {
        guard !waitingSends.isEmpty else { return }
        let waiting = waitingSends
        waitingSends = []
        for send in waiting { send(ok) }
    }

    /// Reads the socket only while the app keeps up with what arrives (resumed at half the
    /// limit) and the client with what is written to it (a client that sends pings without
    /// reading the pongs would otherwise grow the queue).
    func updateReading() {
        guard let connection, !connection.isClosed, !inputDone else { return }
        let wasPaused = readingPaused
        // Decided and noted under one lock, so that a `consumed` on another thread either
        // counts in this decision or sees the pause and asks for a read.
        let (inboxFull, behind) = shared.withLock { state -> (Bool, Bool) in
            let messages = state.unconsumedMessages, bytes = state.unconsumedBytes
            let full = wasPaused
                ? messages > Self.inboxLimit / 2 || bytes > Self.inboxByteLimit / 2
                : messages >= Self.inboxLimit || bytes >= Self.inboxByteLimit
            state.pausedForApp = full
            return (full, state.clientBehind)
        }
        let pause = inboxFull || behind
        guard pause != readingPaused else { return }
        readingPaused = pause
        if pause {
            connection.stream.stopReading()
        } else {
            connection.stream.startReading()
            processFrames()
        }
    }

    /// The session is over for the app: it hears `event`, once, after the messages before it.
    private func end(with event: WebSocketEvent) {
        guard ending == nil else { return }
        ending = event
        shared.withLock { $0.closed = true }
        let handler = self.handler
        self.handler = nil
        handler?(event)
    }

    func checkDeadline(now: UInt64) {
        if let closeDeadline, now >= closeDeadline { return connection?.close() ?? () }
        guard !closeSent, let connection else { return }
        let limits = connection.core.limits
        if let pingDeadline, now >= pingDeadline {
            connection.core.logger.debug("WebSocket from \(connection.client): no answer to a ping; closing")
            sendClose(code: WebSocketCloseCode.internalError, reason: "keepalive ping timeout")
            end(with: .closed(code: WebSocketCloseCode.abnormal, reason: ""))
            inputDone = true
            return connection.closeAfterWrites()
        }
        if lastHeard == 0 { lastHeard = now }
        guard pingDeadline == nil, let interval = limits.webSocketPingIntervalMilliseconds, now >= lastHeard + interval else {
            return
        }
        WebSocketFrameEncoder.append(opcode: .ping, payload: [], to: &connection.output)
        connection.flush()
        lastHeard = now
        if let timeout = limits.webSocketPingTimeoutMilliseconds { pingDeadline = now + timeout }
    }

    func serverDraining() {
        guard !closeSent else { return }
        sendClose(code: WebSocketCloseCode.serviceRestart, reason: "")
        end(with: .closed(code: WebSocketCloseCode.serviceRestart, reason: ""))
        closeDeadline = loop.now + Self.closeTimeoutMilliseconds
    }

    func connectionClosed() {
        shared.withLock { $0.closed = true }
        end(with: .closed(code: WebSocketCloseCode.abnormal, reason: ""))
        releaseWaitingSends(false)
    }
}
