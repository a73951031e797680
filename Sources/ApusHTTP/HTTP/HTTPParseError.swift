/// Why a request was refused before it reached a handler. Each case carries the status the
/// client gets; the connection is closed after that response.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: Int
    public let reason: String
    /// The request line, when the refusal came after it was read (a header, a body too large),
    /// for the access log. Not part of what makes two errors equal.
    public internal(set) var requestLine: (method: String, target: String, version: HTTPVersion)?

    init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public static func == (lhs: HTTPParseError, rhs: HTTPParseError) -> Bool {
        lhs.status == rhs.status && lhs.reason == rhs.reason
    }

    public var description: String { "\(status) \(reason)" }

    static func badRequest(_ reason: String) -> HTTPParseError { .init(status: 400, reason: reason) }
    static func headTooLarge(_ reason: String) -> HTTPParseError { .init(status: 431, reason: reason) }
    static let bodyTooLarge = HTTPParseError(status: 413, reason: "request body exceeds the limit")
    static let versionNotSupported = HTTPParseError(status: 505, reason: "HTTP version not supported")
    static let codingNotImplemented = HTTPParseError(status: 501, reason: "transfer coding not implemented")
    static let expectationFailed = HTTPParseError(status: 417, reason: "unsupported expectation")
}
