/// A complete request as handlers see it.
public struct HTTPRequest: Sendable {
    public let head: HTTPRequestHead
    public var body: [UInt8]
    /// The path, percent-decoded (as ASGI's `path`): "/a b" for "/a%20b?x=1".
    public let path: String
    /// The path as sent, still percent-encoded (as ASGI's `raw_path`): "/a%20b".
    public let rawPath: String
    /// The query string as sent, without "?": "x=1".
    public let query: String
    /// "ip:port" of the client.
    public let client: String
    /// "ip:port" the server received the request on.
    public let server: String
    /// Values of `{name}` segments of the matched route, filled in by the router.
    public var pathParameters: [String: String] = [:]
    /// The rest of the body when `body` is only its beginning (for a responder that streams
    /// request bodies); nil when `body` is all of it.
    public var bodyStream: RequestBodyStream?
    /// Set when the request is a valid WebSocket handshake: the responder accepts it through
    /// its slot (`ResponseSlot.acceptWebSocket`) or answers it as an HTTP request (a denial).
    public var webSocket: WebSocketUpgrade?
    /// The connection's TLS (the ASGI `tls` extension), or nil on a plain socket.
    public var tls: TLSConnectionInfo?
    /// Members a function's `event.context` gains when the server invokes it itself (a
    /// schedule's run: `"trigger":{...},"user":...`), as JSON object members without the
    /// braces; nil for every request a client sends (`LocalExchange` alone sets it).
    public var invocationContext: [UInt8]?

    public var method: String { head.method }
    public var headers: HTTPHeaders { head.headers }
    public var version: HTTPVersion { head.version }

    /// The same request sent to another path (a rollout's version of a function): the target,
    /// path and raw path change; the query, headers, body and the rest stay. `rawPath` is
    /// percent-encoded as a target's path is.
    public func rewritten(toPath rawPath: String) -> HTTPRequest {
        var head = self.head
        head.target = query.isEmpty ? rawPath : rawPath + "?" + query
        var request = HTTPRequest(head: head, body: body, client: client, server: server)
        request.pathParameters = pathParameters
        request.bodyStream = bodyStream
        request.webSocket = webSocket
        request.tls = tls
        request.invocationContext = invocationContext
        return request
    }

    public init(head: HTTPRequestHead, body: [UInt8], client: String = "-", server: String = "-") {
        self.head = head
        self.body = body
        self.client = client
        self.server = server
        let (rawPath, query) = RequestTarget.parts(head.target)
        self.rawPath = String(rawPath)
        path = RequestTarget.percentDecoded(rawPath)
        self.query = String(query)
    }
}

/// Splits a request target into path and query.
package enum RequestTarget {
    static func split(_ target: String) -> (path: String, query: String) {
        let (rawPath, query) = parts(target)
        return (percentDecoded(rawPath), String(query))
    }

    /// The path, still percent-encoded, and the query of a target, in one pass over its bytes.
    static func parts(_ target: String) -> (rawPath: Substring, query: Substring) {
        var utf8 = Substring(target).utf8
        // absolute-form ("http://host/p?q"): the path starts at the first "/" after the authority.
        if utf8.first != UInt8(ascii: "/"), let afterScheme = authorityStart(target) {
            let rest = target[afterScheme...]
            utf8 = (rest.firstIndex(of: "/").map { rest[$0...] } ?? "/").utf8
        }
        let fragment = utf8.firstIndex(of: UInt8(ascii: "#")) ?? utf8.endIndex
        utf8 = utf8[..<fragment]
        guard let mark = utf8.firstIndex(of: UInt8(ascii: "?")) else { return (Substring(utf8), "") }
        return (Substring(utf8[..<mark]), Substring(utf8[utf8.index(after: mark)...]))
    }

    private static func authorityStart(_ target: String) -> String.Index? {
        var index = target.startIndex
        while let colon = target[index...].firstIndex(of: ":") {
            let after = target[colon...]
            if after.hasPrefix("://") { return target.index(colon, offsetBy: 3) }
            index = target.index(after: colon)
        }
        return nil
    }

    /// Decodes %XX escapes; malformed escapes stay as they are, invalid UTF-8 becomes U+FFFD.
    package static func percentDecoded(_ text: Substring) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let high = HTTPBytes.hexValue(iterator[iterator.startIndex]),
               let low = HTTPBytes.hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(UInt8(high << 4 | low))
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
