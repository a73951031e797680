/// A complete response. `content-length` is added by the server; `date` and `server` too.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int = 200, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("content-type", "text/plain; charset=utf-8")]), body: Array(text.utf8))
    }

    /// `json` must already be serialized JSON.
    public static func json(_ json: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("content-type", "application/json")]), body: Array(json.utf8))
    }

    /// 405 with the methods the path does allow, as FastAPI answers.
    public static func methodNotAllowed(allowed: [String]) -> HTTPResponse {
        var response = HTTPResponse.error(405)
        response.headers.add("allow", allowed.joined(separator: ", "))
        return response
    }

    /// The answer to a request whose body would pass the server's budget for bodies in memory
    /// (`HTTPLimits.maxBufferedBodyBytes`): 503, try again; the connection closes, since the
    /// rest of the body is not read.
    public static var bodiesOverBudget: HTTPResponse {
        var busy = HTTPResponse.error(503)
        busy.headers.add("retry-after", "1")
        busy.headers.add("connection", "close")
        return busy
    }

    /// A JSON `{"detail": ...}` error body, as FastAPI sends for HTTP errors.
    public static func error(_ status: Int, detail: String? = nil) -> HTTPResponse {
        let text = detail ?? HTTPStatus.reason(status)
        return .json("{\"detail\":\(JSONText.quoted(text))}", status: status)
    }
}

extension HTTPResponse {
    /// Why this response cannot be sent as it is, or nil. A status outside 100...999 or a header
    /// that is not a token, or whose value holds CR, LF or NUL, would let a handler split the
    /// response or inject headers.
    var problem: String? {
        guard (100...999).contains(status) else { return "status \(status) is not a valid HTTP status" }
        for field in headers {
            guard !field.name.isEmpty, field.name.withUTF8Bytes({ $0.allSatisfy(HTTPBytes.isTokenChar) }) else {
                return "header name \(JSONText.quoted(field.name)) is not a token"
            }
            // In UTF-8, characters past U+00FF start with a byte of 0xC4 or more.
            guard field.value.withUTF8Bytes({ $0.allSatisfy { $0 != 13 && $0 != 10 && $0 != 0 && $0 < 0xC4 } }) else {
                return "header \(field.name) has CR, LF, NUL or non-Latin-1 characters in its value"
            }
        }
        return nil
    }
}

/// What a handler's own framing headers said, once the server has taken them over.
struct DeclaredFraming {
    /// The handler's `content-length`, held to.
    var length: Int?
    /// The handler's `connection: close`.
    var closeAsked: Bool
}

/// Why a handler's response cannot be sent as it is.
struct FramingProblem: Error {
    let reason: String
}

extension HTTPResponse {
    /// The server owns framing, for complete and streamed responses alike: a response with a
    /// `problem` is refused; a 1xx status cannot be a final response; an app's
    /// `transfer-encoding` and `connection` are taken out (the
    /// server writes its own); one valid `content-length` is kept and held to — for a complete
    /// response (`complete`), it must match the body, unless the response has no body (HEAD,
    /// 204, 304), which may announce another length.
    mutating func takeFraming(for head: HTTPRequestHead, complete: Bool) throws(FramingProblem) -> DeclaredFraming {
        if let problem { throw FramingProblem(reason: problem) }
        guard status >= 200 else { throw FramingProblem(reason: "status \(status) cannot be a final response") }
        let (lengths, closeAsked) = headers.takeFramingFields()
        guard !lengths.isEmpty else { return DeclaredFraming(length: nil, closeAsked: closeAsked) }
        guard lengths.count == 1, let declared = Int(lengths[0]), declared >= 0 else {
            throw FramingProblem(reason: "invalid content-length \(lengths.joined(separator: ", "))")
        }
        if complete && sendsBody(to: head) && declared != body.count {
            throw FramingProblem(reason: "content-length \(declared) does not match the body's \(body.count) bytes")
        }
        return DeclaredFraming(length: declared, closeAsked: closeAsked)
    }

    /// Whether the body goes out at all (not for HEAD, 1xx, 204, 304).
    func sendsBody(to head: HTTPRequestHead) -> Bool {
        head.method != "HEAD" && HTTPStatus.allowsBody(status)
    }
}

package enum JSONText {
    /// A JSON string literal for `text`.
    package static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
