public import ApusLoop

/// What the app's side of a WebSocket receives: a message, or the end of the session with the
/// close code (1006: the connection was lost without a close frame).
public enum WebSocketEvent: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])
    case closed(code: UInt16, reason: String)
}

/// One accepted WebSocket, between the connection (frames in and out, on the loop thread) and
/// the responder (`receive`, `send`, `close`, from any thread). Messages are pulled: the app's
/// `receive` takes the next one, and past `inboxLimit` of unread messages the socket is not
/// read, so an app that does not receive holds the client back. A `send` completes once the
/// client has room, so a slow client holds the app back.
///
/// The closing handshake (RFC 6455 §7): a close frame from the client is answered with the same
/// code and the connection closes; a close from the app is sent, and the connection closes when
/// the client answers (or `closeTimeoutMilliseconds` pass). A client that breaks the protocol
/// gets a close frame with the reason's code (1002, 1007, 1009) and the connection closes.
public final class WebSocketSession: @unchecked Sendable {
    public let loop: EventLoop
    /// The subprotocol the app chose, if any.
    public let subprotocol: String?
    /// Loop thread only, from here on.
    weak var connection: HTTPConnection?
    private var decoder: WebSocketFrameDecoder
    private var reader: WebSocketMessageReader
    private var inbox: [WebSocketEvent] = []
    private var inboxBytes = 0
    private var pendingReceive: ((WebSocketEvent) -> Void)?
    /// The app's send waiting for the client to take what is queued.
    private var pendingSendCompletion: ((Bool) -> Void)?
    /// What the app was told when the session ended (every later `receive` gets it again).
    private var ending: WebSocketEvent?
    private var closeSent = false
    /// The client's close frame came, or it broke the protocol: nothing more is read.
    private var inputDone = false
    /// When the client's answer to our close frame is due (ms, the loop's clock).
    private var closeDeadline: UInt64?
    private var readingPaused = false
    /// When the client last sent anything, and when the answer to our idle ping is due
    /// (ms, the loop's clock).
    private var lastHeard: UInt64 = 0
    private var pingDeadline: UInt64?

    /// Unread messages (or bytes) past which the socket is not read.
    static let inboxLimit = 32
    static let inboxByteLimit = 1 << 20
    static let closeTimeoutMilliseconds: UInt64 = 5_000

    /// The session's zlib streams, when permessage-deflate was agreed on.
    private let compression: MessageCompression?

    init(loop: EventLoop, subprotocol: String?, maxMessageBytes: Int, deflate: PerMessageDeflate? = nil) {
        self.loop = loop
        self.subprotocol = subprotocol
        compression = deflate.map(MessageCompression.init)
        decoder = WebSocketFrameDecoder(maxMessageBytes: maxMessageBytes, compressionAllowed: deflate != nil)
        reader = WebSocketMessageReader(maxMessageBytes: maxMessageBytes, compression: compression)
    }

    // MARK: the app's side, from any thread

    /// Calls `then` with the next message, or with `.closed` once the session has ended.
    public func receive(then: @escaping @Sendable (WebSocketEvent) -> Void) {
        onLoop { [self] in
            precondition(pendingReceive == nil, "WebSocketSession.receive called while a receive is pending")
            if !inbox.isEmpty {
                let event = inbox.removeFirst()
                inboxBytes -= event.size
                then(event)
                return updateReading()
            }
            if let ending { return then(ending) }
            pendingReceive = then
        }
    }

    /// Sends a text (UTF-8) or binary message; `then(true)` once the app may send again,
    /// `then(false)` if the session is closing or closed (nothing was sent).
    public func send(_ payload: [UInt8], text: Bool, then: @escaping @Sendable (Bool) -> Void) {
        onLoop { [self] in
            guard let connection, !closeSent else { return then(false) }
            let opcode: WebSocketFrame.Opcode = text ? .text : .binary
            if let compressed = compression?.compress(payload) {
                compressed.withUnsafeBytes {
                    WebSocketFrameEncoder.append(opcode: opcode, rsv1: true, payload: $0, to: &connection.output)
                }
            } else {
                WebSocketFrameEncoder.append(opcode: opcode, payload: payload, to: &connection.output)
            }
            if !connection.batching { connection.flush() }
            if connection.isClosed { return then(false) }
            if clientIsBehind {
                pendingSendCompletion = then
                updateReading()
            } else {
                then(true)
            }
        }
    }

    /// The app closes the session: a close frame with `code` and `reason`; the connection
    /// closes when the client answers.
    public func close(code: UInt16, reason: String) {
        onLoop { [self] in
            guard !closeSent else { return }
            sendClose(code: code, reason: reason)
            end(with: .closed(code: code, reason: reason))
            closeDeadline = loop.now + Self.closeTimeoutMilliseconds
        }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if loop.inLoop { body() } else { loop.execute(body) }
    }

    // MARK: the connection's side, on the loop thread

    /// Bytes from the client (those that followed the handshake first).
    func bytesArrived(_ bytes: UnsafeRawBufferPointer) {
        guard !inputDone else { return }
        lastHeard = loop.now
        pingDeadline = nil  // anything from the client shows it is there
        decoder.feed(bytes)
        processFrames()
    }

    func bytesArrived(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bytesArrived($0) }
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
                    updateReading()
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
        guard let connection else { return }
        WebSocketFrameEncoder.appendClose(code: code, reason: reason, to: &connection.output)
        if !connection.batching { connection.flush() }
        let waiting = pendingSendCompletion
        pendingSendCompletion = nil
        waiting?(false)
    }

    private func deliver(_ event: WebSocketEvent) {
        if let receiver = pendingReceive {
            pendingReceive = nil
            return receiver(event)
        }
        inbox.append(event)
        inboxBytes += event.size
        updateReading()
    }

    /// More than the write limit is queued for the client.
    private var clientIsBehind: Bool {
        guard let connection else { return false }
        return connection.stream.pendingWriteBytes > connection.core.limits.writeHighWaterBytes
    }

    /// Reads the socket only while the app keeps up with what arrives (its inbox below the
    /// limit; resumed at half of it) and the client with what is written to it (a client that
    /// sends pings without reading the pongs would otherwise grow the queue).
    private func updateReading() {
        guard let connection, !connection.isClosed, !inputDone else { return }
        let inboxFull = readingPaused
            ? inbox.count >= Self.inboxLimit / 2 || inboxBytes >= Self.inboxByteLimit / 2
            : inbox.count >= Self.inboxLimit || inboxBytes >= Self.inboxByteLimit
        let pause = inboxFull || clientIsBehind
        guard pause != readingPaused else { return }
        readingPaused = pause
        if pause {
            connection.stream.stopReading()
        } else {
            connection.stream.startReading()
            processFrames()
        }
    }

    /// The session is over for the app: `event` is what its receives get from now on (after any
    /// messages still unread).
    private func end(with event: WebSocketEvent) {
        guard ending == nil else { return }
        ending = event
        if let receiver = pendingReceive {
            pendingReceive = nil
            receiver(event)
        }
    }

    /// The socket took what was queued: a waiting send may go on.
    func writesDrained() {
        guard !clientIsBehind else { return }
        updateReading()
        guard let waiting = pendingSendCompletion else { return }
        pendingSendCompletion = nil
        waiting(true)
    }

    /// The server's sweep: a client that never answers our close frame is cut off; one silent
    /// for the ping interval gets a ping, and one that does not answer it in time is closed
    /// with 1011, as websockets (uvicorn's backend) does.
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

    /// Server shutdown: 1012 (service restart), as uvicorn sends; the client's answer or the
    /// graceful timeout ends the connection.
    func serverDraining() {
        guard !closeSent else { return }
        sendClose(code: WebSocketCloseCode.serviceRestart, reason: "")
        end(with: .closed(code: WebSocketCloseCode.serviceRestart, reason: ""))
        closeDeadline = loop.now + Self.closeTimeoutMilliseconds
    }

    /// The connection closed: an app still in the session hears 1006 (no close frame came).
    func connectionClosed() {
        end(with: .closed(code: WebSocketCloseCode.abnormal, reason: ""))
        let waiting = pendingSendCompletion
        pendingSendCompletion = nil
        waiting?(false)
        inbox.removeAll()
        inboxBytes = 0
    }
}

private extension WebSocketEvent {
    var size: Int {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes.count
        case .closed: 0
        }
    }
}
