internal import CCrypto

/// A request to open a WebSocket (RFC 6455 §4.2.1), checked: what the responder needs to
/// accept it (the key, the subprotocols offered) and what the 101 answer says.
public struct WebSocketUpgrade: Sendable {
    public let key: String
    /// `Sec-WebSocket-Protocol`'s values, in the client's order.
    public let subprotocols: [String]
    /// The server's limit on a message (`HTTPLimits.webSocketMaxMessageBytes`).
    let maxMessageBytes: Int
    /// The compression agreed on, if the client offered one the server accepts.
    public let deflate: PerMessageDeflate?

    /// Whether `head` asks for a WebSocket: `Upgrade: websocket` with `Connection: upgrade`.
    /// Such a request is then either a valid handshake or refused (400, or 426 for another
    /// version), never served as plain HTTP.
    static func isRequested(_ head: HTTPRequestHead) -> Bool {
        guard let upgrade = head.headers["upgrade"], tokens(upgrade).contains("websocket") else { return false }
        return head.headers.values(for: "connection").contains { tokens($0).contains("upgrade") }
    }

    /// The handshake of `head`, or why it is refused: the status and the headers to answer with.
    static func parse(_ head: HTTPRequestHead, limits: HTTPLimits) -> Result<WebSocketUpgrade, WebSocketRefusal> {
        guard head.method == "GET" else { return .failure(.init(status: 400, reason: "a WebSocket handshake must be a GET")) }
        guard head.version == .http1_1 else { return .failure(.init(status: 400, reason: "a WebSocket handshake needs HTTP/1.1")) }
        guard head.framing == .none else { return .failure(.init(status: 400, reason: "a WebSocket handshake has no body")) }
        guard head.headers.values(for: "sec-websocket-version").count == 1,
              head.headers["sec-websocket-version"]?.trimmed == "13" else {
            return .failure(.init(status: 426, reason: "unsupported WebSocket version", headers: [("sec-websocket-version", "13")]))
        }
        let keys = head.headers.values(for: "sec-websocket-key")
        guard keys.count == 1, let key = keys.first?.trimmed, Self.isValidKey(key) else {
            return .failure(.init(status: 400, reason: "missing or invalid Sec-WebSocket-Key"))
        }
        let subprotocols = head.headers.values(for: "sec-websocket-protocol").flatMap { value in
            value.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        }
        let deflate = limits.webSocketPerMessageDeflate
            ? PerMessageDeflate.negotiate(head.headers.values(for: "sec-websocket-extensions")) : nil
        return .success(WebSocketUpgrade(
            key: key, subprotocols: subprotocols, maxMessageBytes: limits.webSocketMaxMessageBytes, deflate: deflate))
    }

    /// `Sec-WebSocket-Accept`: base64 of the SHA-1 of the key and the protocol's GUID.
    var acceptValue: String {
        let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        _ = input.withUnsafeBufferPointer { SHA1($0.baseAddress, $0.count, &digest) }
        var encoded = [UInt8](repeating: 0, count: 32)
        let length = EVP_EncodeBlock(&encoded, digest, Int32(digest.count))
        return String(decoding: encoded[..<Int(length)], as: UTF8.self)
    }

    /// The key is 16 bytes, base64-encoded (§4.1): 24 characters that decode.
    private static func isValidKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes.hasSuffix("==") else { return false }
        var decoded = [UInt8](repeating: 0, count: 24)
        return EVP_DecodeBlock(&decoded, bytes, Int32(bytes.count)) == 18
    }

    private static func tokens(_ value: String) -> [String] {
        value.split(separator: ",").map { String($0).trimmed.lowercased() }
    }
}

/// A WebSocket handshake refused before the app sees it.
public struct WebSocketRefusal: Error, Sendable {
    public let status: Int
    public let reason: String
    public var headers: [(name: String, value: String)] = []
}

private extension Array where Element == UInt8 {
    func hasSuffix(_ text: String) -> Bool {
        let suffix = Array(text.utf8)
        return count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

private extension String {
    var trimmed: String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
