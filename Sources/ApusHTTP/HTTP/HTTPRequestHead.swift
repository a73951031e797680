public enum HTTPVersion: Sendable, Equatable {
    case http1_0, http1_1, http2

    public var text: String { "HTTP/" + number }

    /// As the ASGI scope's `http_version` says it.
    public var number: String {
        switch self {
        case .http1_0: "1.0"
        case .http1_1: "1.1"
        case .http2: "2"
        }
    }
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
