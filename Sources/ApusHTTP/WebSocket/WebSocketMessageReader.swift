/// Puts frames together into what the app receives (RFC 6455 §5.4-5.5): messages from their
/// fragments, with control frames allowed in between, text checked as UTF-8 frame by frame,
/// the size limit kept across fragments, and close frames' codes and reasons checked.
struct WebSocketMessageReader {
    enum Inbound: Equatable {
        case text([UInt8])
        case binary([UInt8])
        case ping([UInt8])
        case pong
        /// The peer's close frame: its code (nil: it gave none) and reason.
        case close(code: UInt16?, reason: String)
    }

    let maxMessageBytes: Int
    /// Inflates compressed messages (permessage-deflate), if the session agreed on it.
    let compression: MessageCompression?
    /// The message being assembled from fragments: its opcode and bytes so far, and whether
    /// they are compressed (RSV1 on its first frame).
    private var fragmented: WebSocketFrame.Opcode?
    private var compressed = false
    private var bytes: [UInt8] = []
    private var validator = UTF8Validator()

    init(maxMessageBytes: Int, compression: MessageCompression? = nil) {
        self.maxMessageBytes = maxMessageBytes
        self.compression = compression
    }

    /// What `frame` completes, if anything.
    mutating func take(_ frame: WebSocketFrame) throws(WebSocketFailure) -> Inbound? {
        switch frame.opcode {
        case .ping:
            return .ping(frame.payload)
        case .pong:
            return .pong
        case .close:
            return try Self.close(frame.payload)
        case .text, .binary:
            guard fragmented == nil else { throw .protocolError("a new message began before the last one ended") }
            if frame.rsv1 {
                // Compressed: the whole message is inflated, then checked, at its end.
                fragmented = frame.opcode
                compressed = true
                bytes = []
                return try append(frame)
            }
            if frame.fin {
                if frame.opcode == .text {
                    guard UTF8Validator.isValid(frame.payload) else { throw .invalidText("text message is not UTF-8") }
                    return .text(frame.payload)
                }
                return .binary(frame.payload)
            }
            fragmented = frame.opcode
            bytes = []
            validator = UTF8Validator()
            return try append(frame)
        case .continuation:
            guard fragmented != nil else { throw .protocolError("continuation frame outside a message") }
            guard !frame.rsv1 else { throw .protocolError("RSV1 set on a continuation frame") }
            return try append(frame)
        }
    }

    private mutating func append(_ frame: WebSocketFrame) throws(WebSocketFailure) -> Inbound? {
        guard bytes.count + frame.payload.count <= maxMessageBytes else {
            throw .tooBig("message past the limit of \(maxMessageBytes) bytes")
        }
        if fragmented == .text && !compressed {
            guard validator.feed(frame.payload) else { throw .invalidText("text message is not UTF-8") }
        }
        bytes.append(contentsOf: frame.payload)
        guard frame.fin else { return nil }
        let opcode = fragmented
        fragmented = nil
        var message = bytes
        bytes = []
        if compressed {
            compressed = false
            guard let compression else { throw .protocolError("a compressed message without compression") }
            message = try compression.decompress(message, limit: maxMessageBytes)
            if opcode == .text {
                guard UTF8Validator.isValid(message) else { throw .invalidText("text message is not UTF-8") }
                return .text(message)
            }
            return .binary(message)
        }
        if opcode == .text {
            guard validator.isComplete else { throw .invalidText("text message ends inside a character") }
            return .text(message)
        }
        return .binary(message)
    }

    private static func close(_ payload: [UInt8]) throws(WebSocketFailure) -> Inbound {
        if payload.isEmpty { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { throw .protocolError("close frame with a one-byte payload") }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketCloseCode.isSendable(code) else { throw .protocolError("close code \(code) may not be sent") }
        let reason = Array(payload[2...])
        guard UTF8Validator.isValid(reason) else { throw .invalidText("close reason is not UTF-8") }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }
}
