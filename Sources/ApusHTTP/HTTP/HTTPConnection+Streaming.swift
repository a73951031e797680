public import ApusLoop

/// A response whose body is written in pieces: with the app's own `content-length` if it gave
/// one, else `transfer-encoding: chunked` on HTTP/1.1 and a body that ends with the connection
/// on HTTP/1.0. A writer that gets ahead of a slow client waits (its write completes later)
/// until the queued bytes drain, so memory stays bounded.
final class ResponseStreamState {
    enum Framing {
        case chunked
        /// The app declared the length; `remaining` bytes are still due.
        case length(remaining: Int)
        case untilClose
    }

    let slot: ResponseSlot
    let head: HTTPRequestHead
    let status: Int
    var framing: Framing
    let sendsBody: Bool
    let keepAlive: Bool
    /// A writer waiting until the client catches up: called with true to go on, false if the
    /// client is gone.
    var waiter: ((Bool) -> Void)?

    init(slot: ResponseSlot, head: HTTPRequestHead, status: Int, framing: Framing, sendsBody: Bool, keepAlive: Bool) {
        self.slot = slot
        self.head = head
        self.status = status
        self.framing = framing
        self.sendsBody = sendsBody
        self.keepAlive = keepAlive
    }

    func cancelWaiter() {
        let waiter = self.waiter
        self.waiter = nil
        waiter?(false)
    }
}

extension HTTPConnection {
    func beginStream(status: Int, headers: HTTPHeaders, from slot: ResponseSlot) {
        guard case .responding(let pending) = machine.state, pending.slot === slot else { return }
        let head = pending.head
        // The server owns framing (see `HTTPResponse.takeFraming`): a declared content-length
        // is held to, else the body is chunked (or ends with the connection on HTTP/1.0).
        guard let (given, declared) = streamedHead(status: status, headers: headers, for: head) else {
            return deliver(.text("Internal Server Error", status: 500), from: slot, forceClose: false)
        }
        let sendsBody = given.sendsBody(to: head)
        let framing: ResponseStreamState.Framing
        let encoded: ResponseEncoder.Framing
        if let declaredLength = declared.length {
            framing = .length(remaining: sendsBody ? declaredLength : 0)
            encoded = .length(declaredLength)
        } else if head.version == .http1_1 {
            framing = .chunked
            encoded = .chunked
        } else {
            framing = .untilClose
            encoded = .untilClose
        }
        let keepAlive: Bool
        let bodyNeverAsked = responseStartsWithoutContinue()
        if case .untilClose = framing {
            keepAlive = false
        } else {
            keepAlive = !bodyNeverAsked && !declared.closeAsked && mayKeepAlive(head)
        }
        let state = ResponseStreamState(
            slot: slot, head: head, status: status, framing: framing, sendsBody: sendsBody, keepAlive: keepAlive)
        core.encoder.encodeHead(
            status: status, headers: identified(given.headers), framing: encoded,
            version: head.version, connection: keepAlive ? .keepAlive : .close, into: &output)
        machine.streamStarted(state)
        if !batching { flush() }
    }

    /// Queues a piece of the body; `then(true)` when the writer may go on, `then(false)` if the
    /// client is gone.
    func streamWrite(_ piece: BodyPiece, from slot: ResponseSlot, then: @escaping (Bool) -> Void) {
        guard case .streaming(let state) = machine.state, state.slot === slot else { return then(false) }
        if state.sendsBody && piece.count > 0 {
            switch state.framing {
            case .chunked:
                output.append(contentsOf: String(piece.count, radix: 16).utf8)
                output.append(contentsOf: Self.crlf)
                queue(piece)
                output.append(contentsOf: Self.crlf)
            case .length(let remaining):
                guard piece.count <= remaining else {
                    core.logger.error("response to \(state.head.method) \(state.head.target) is longer than its content-length; connection closed")
                    // What fits is sent, so the client sees where the response broke off.
                    if case .copied(let bytes) = piece { output.append(contentsOf: bytes[..<remaining]) }
                    then(false)
                    return abortResponse(from: slot)
                }
                state.framing = .length(remaining: remaining - piece.count)
                queue(piece)
            case .untilClose:
                queue(piece)
            }
            if !batching { flush() }
        }
        guard !isClosed else { return then(false) }
        if stream.pendingWriteBytes > core.limits.writeHighWaterBytes {
            state.waiter = then
            machine.streamWaiting(queued: output.count + stream.unwrittenBytes)
        } else {
            then(true)
        }
    }

    /// Bytes to copy go to the output; bytes written in place go to the socket behind it.
    private func queue(_ piece: BodyPiece) {
        switch piece {
        case .copied(let bytes):
            output.append(contentsOf: bytes)
        case .inPlace(let owner):
            flush()
            guard !isClosed else { return }
            core.metrics?.bytesOut += owner.bytes.count
            if !stream.write(owner) { close() }
        }
    }

    func endStream(from slot: ResponseSlot) {
        guard case .streaming(let state) = machine.state, state.slot === slot else { return }
        state.cancelWaiter()
        switch state.framing {
        case .chunked where state.sendsBody:
            output.append(contentsOf: Self.lastChunk)
        case .length(let remaining) where remaining > 0:
            core.logger.error("response to \(state.head.method) \(state.head.target) is shorter than its content-length; connection closed")
            return abortResponse(from: slot)
        default:
            break
        }
        slot.responseCompleted()
        responseFinished(head: state.head, status: state.status, keepAlive: state.keepAlive, route: state.slot.route)
    }

    /// A response that cannot be completed: a 500 if nothing was sent yet, else what was queued
    /// is flushed and the connection closed, so the client sees a truncated response rather than
    /// a complete-looking one.
    func abortResponse(from slot: ResponseSlot) {
        switch machine.state {
        case .responding(let pending) where pending.slot === slot:
            deliver(.text("Internal Server Error", status: 500), from: slot, forceClose: true)
        case .streaming(let state) where state.slot === slot:
            state.cancelWaiter()
            answered(head: state.head, status: state.status, route: slot.route)
            slot.connectionClosed()
            flush()
            close()
        default:
            break
        }
    }

    /// The socket drained: a suspended writer may continue.
    func resumeStreamWriter() {
        guard case .streaming(let state) = machine.state, let waiter = state.waiter else { return }
        state.waiter = nil
        machine.responderResumed()
        waiter(true)
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let lastChunk = Array("0\r\n\r\n".utf8)
}

/// A piece of a streamed body.
enum BodyPiece {
    case copied([UInt8])
    case inPlace(any StableBytes)

    var count: Int {
        switch self {
        case .copied(let bytes): bytes.count
        case .inPlace(let owner): owner.bytes.count
        }
    }
}

/// Writes the body of a streamed response from any thread or task.
public final class ResponseBodyWriter: Sendable {
    private let slot: ResponseSlot

    init(slot: ResponseSlot) {
        self.slot = slot
    }

    /// Sends `bytes`; suspends while too much is queued for a slow client. Returns false once the
    /// client is gone (stop producing then).
    @discardableResult
    public func write(_ bytes: [UInt8]) async -> Bool {
        await withCheckedContinuation { writer in
            write(bytes) { writer.resume(returning: $0) }
        }
    }

    /// Sends `bytes`; `then` runs on the loop thread once the writer may go on (true) or the
    /// client is gone (false).
    public func write(_ bytes: [UInt8], then: @escaping @Sendable (Bool) -> Void) {
        slot.onConnection({ $0.streamWrite(.copied(bytes), from: self.slot, then: then) }, otherwise: { then(false) })
    }

    /// Sends `owner`'s bytes from where they are, keeping `owner` until they are written (for a
    /// large body that would otherwise be copied on its way to the socket).
    public func write(inPlace owner: any StableBytes, then: @escaping @Sendable (Bool) -> Void) {
        slot.onConnection({ $0.streamWrite(.inPlace(owner), from: self.slot, then: then) }, otherwise: { then(false) })
    }

    /// Ends the body.
    public func finish() {
        slot.onConnection({ $0.endStream(from: self.slot) }, otherwise: {})
    }
}
