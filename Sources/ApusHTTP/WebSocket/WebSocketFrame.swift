/// One frame of RFC 6455 §5.2, unmasked.
struct WebSocketFrame: Equatable {
    enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA

        var isControl: Bool { rawValue & 0x8 != 0 }
    }

    var fin: Bool
    /// The per-message-compressed bit (RFC 7692), meaningful on a message's first frame.
    var rsv1: Bool
    var opcode: Opcode
    var payload: [UInt8]
}

/// Why the server closes a WebSocket: the close code it sends and the reason logged.
public struct WebSocketFailure: Error, Equatable, Sendable {
    public let code: UInt16
    public let reason: String

    static func protocolError(_ reason: String) -> WebSocketFailure { .init(code: 1002, reason: reason) }
    static func invalidText(_ reason: String) -> WebSocketFailure { .init(code: 1007, reason: reason) }
    static func tooBig(_ reason: String) -> WebSocketFailure { .init(code: 1009, reason: reason) }
}

/// Close codes (RFC 6455 §7.4 and IANA's registry).
public enum WebSocketCloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let noStatus: UInt16 = 1005
    public static let abnormal: UInt16 = 1006
    public static let internalError: UInt16 = 1011
    public static let serviceRestart: UInt16 = 1012

    /// Whether a peer may send `code` in a close frame: the defined codes that mean something on
    /// the wire (not 1004-1006 or 1015) and the ranges for libraries and apps (3000-4999).
    static func isSendable(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

/// Server frames: never masked (§5.1).
enum WebSocketFrameEncoder {
    static func append(opcode: WebSocketFrame.Opcode, fin: Bool = true, rsv1: Bool = false,
                       payload: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        var first = opcode.rawValue
        if fin { first |= 0x80 }
        if rsv1 { first |= 0x40 }
        output.append(first)
        let count = payload.count
        if count < 126 {
            output.append(UInt8(count))
        } else if count <= 0xFFFF {
            output.append(126)
            output.append(UInt8(count >> 8))
            output.append(UInt8(count & 0xFF))
        } else {
            output.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { output.append(UInt8((UInt64(count) >> UInt64(shift)) & 0xFF)) }
        }
        output.append(contentsOf: payload)
    }

    static func append(opcode: WebSocketFrame.Opcode, payload: [UInt8], to output: inout [UInt8]) {
        payload.withUnsafeBytes { append(opcode: opcode, payload: $0, to: &output) }
    }

    /// A close frame: the code, then the reason cut to what fits a control frame (123 bytes,
    /// at a character boundary). No code: an empty close frame.
    static func appendClose(code: UInt16?, reason: String, to output: inout [UInt8]) {
        var payload: [UInt8] = []
        if let code {
            payload = [UInt8(code >> 8), UInt8(code & 0xFF)]
            var text = Array(reason.utf8)
            if text.count > 123 {
                var end = 123
                while end > 0 && text[end] & 0xC0 == 0x80 { end -= 1 }
                text = Array(text[..<end])
            }
            payload += text
        }
        append(opcode: .close, payload: payload, to: &output)
    }
}
