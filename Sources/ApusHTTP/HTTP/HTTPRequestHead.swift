public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1

    public var text: String { self == .http1_1 ? "HTTP/1.1" : "HTTP/1.0" }
}

/// How the body of a request is delimited.
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case length(Int)
    case chunked
}

/// A parsed and validated request head.
public struct HTTPRequestHead: Sendable {
    public var method: String
    /// The request target exactly as sent ("/a%20b?x=1").
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: HTTPBodyFraming
    /// What the client asked for; the server may still close (errors, shutdown).
    public var keepAlive: Bool
    /// `Expect: 100-continue` on an HTTP/1.1 request.
    public var expectsContinue: Bool
}
