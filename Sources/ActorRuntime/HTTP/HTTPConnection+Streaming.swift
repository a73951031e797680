/// A response whose body is written in pieces: `transfer-encoding: chunked` on HTTP/1.1, a body
/// that ends with the connection on HTTP/1.0. A writer that gets ahead of a slow client waits
/// (its `write` suspends) until the queued bytes drain, so memory stays bounded.
final class ResponseStreamState {
    let slot: ResponseSlot
    let head: HTTPRequestHead
    let status: Int
    let chunked: Bool
    let sendsBody: Bool
    let keepAlive: Bool
    /// A writer suspended until the client catches up.
    var waiter: CheckedContinuation<Bool, Never>?

    init(slot: ResponseSlot, head: HTTPRequestHead, status: Int, chunked: Bool, sendsBody: Bool, keepAlive: Bool) {
        self.slot = slot
        self.head = head
        self.status = status
        self.chunked = chunked
        self.sendsBody = sendsBody
        self.keepAlive = keepAlive
    }

    func cancelWaiter() {
        waiter?.resume(returning: false)
        waiter = nil
    }
}

extension HTTPConnection {
    func beginStream(status: Int, headers: HTTPHeaders, from slot: ResponseSlot) {
        guard case .responding(let current, let head) = phase, current === slot else { return }
        if let problem = HTTPResponse(status: status, headers: headers).problem {
            core.logger.error("invalid streamed response for \(head.method) \(head.target): \(problem); sent 500 instead")
            return deliver(.text("Internal Server Error", status: 500), from: slot)
        }
        let chunked = head.version == .http1_1
        let sendsBody = head.method != "HEAD" && HTTPStatus.allowsBody(status)
        let state = ResponseStreamState(
            slot: slot, head: head, status: status, chunked: chunked, sendsBody: sendsBody,
            keepAlive: chunked && mayKeepAlive(head))
        core.encoder.encodeHead(
            status: status, headers: headers, framing: chunked ? .chunked : .untilClose,
            version: head.version, connection: state.keepAlive ? .keepAlive : .close, into: &output)
        phase = .streaming(state)
        if !batching { flush() }
    }

    /// Queues a piece of the body; `resume(true)` when the writer may go on, `false` if the
    /// client is gone.
    func streamWrite(_ bytes: [UInt8], from slot: ResponseSlot, _ writer: CheckedContinuation<Bool, Never>) {
        guard case .streaming(let state) = phase, state.slot === slot else { return writer.resume(returning: false) }
        if state.sendsBody && !bytes.isEmpty {
            if state.chunked {
                output.append(contentsOf: String(bytes.count, radix: 16).utf8)
                output.append(contentsOf: Self.crlf)
                output.append(contentsOf: bytes)
                output.append(contentsOf: Self.crlf)
            } else {
                output.append(contentsOf: bytes)
            }
            if !batching { flush() }
        }
        guard !isClosed else { return writer.resume(returning: false) }
        if stream.pendingWriteBytes > core.limits.writeHighWaterBytes {
            state.waiter = writer
        } else {
            writer.resume(returning: true)
        }
    }

    func endStream(from slot: ResponseSlot) {
        guard case .streaming(let state) = phase, state.slot === slot else { return }
        state.cancelWaiter()
        if state.chunked && state.sendsBody { output.append(contentsOf: Self.lastChunk) }
        responseFinished(head: state.head, status: state.status, keepAlive: state.keepAlive)
    }

    /// The socket drained: a suspended writer may continue.
    func resumeStreamWriter() {
        guard case .streaming(let state) = phase, let waiter = state.waiter else { return }
        state.waiter = nil
        waiter.resume(returning: true)
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let lastChunk = Array("0\r\n\r\n".utf8)
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
            slot.onConnection({ $0.streamWrite(bytes, from: self.slot, writer) }, otherwise: { writer.resume(returning: false) })
        }
    }

    /// Ends the body.
    public func finish() {
        slot.onConnection({ $0.endStream(from: self.slot) }, otherwise: {})
    }
}
