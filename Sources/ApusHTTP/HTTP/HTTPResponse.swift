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
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(HTTPBytes.isTokenChar) else {
                return "header name \(JSONText.quoted(field.name)) is not a token"
            }
            guard field.value.unicodeScalars.allSatisfy({ $0.value != 13 && $0.value != 10 && $0.value != 0 && $0.value < 256 }) else {
                return "header \(field.name) has CR, LF, NUL or non-Latin-1 characters in its value"
            }
        }
        return nil
    }
}

extension HTTPResponse {
    /// The server owns framing. A complete response is sent with its own length: an app's
    /// `transfer-encoding` is dropped, and an app's `content-length` must match the body (a HEAD
    /// response, or a status without a body, may announce another length). A 1xx status cannot
    /// be a final response. Returns why the response cannot be sent, or nil.
    mutating func normalizeFraming(for head: HTTPRequestHead) -> String? {
        guard status >= 200 else { return "status \(status) cannot be a final response" }
        guard headers.contains(where: { $0.name.equalsIgnoringASCIICase("transfer-encoding") || $0.name.equalsIgnoringASCIICase("content-length") }) else {
            return nil
        }
        headers.removeAll { $0.name.equalsIgnoringASCIICase("transfer-encoding") }
        let lengths = headers.values(for: "content-length")
        guard !lengths.isEmpty else { return nil }
        guard lengths.count == 1, let declared = Int(lengths[0]), declared >= 0 else {
            return "invalid content-length \(lengths.joined(separator: ", "))"
        }
        let sendsBody = head.method != "HEAD" && HTTPStatus.allowsBody(status)
        if sendsBody && declared != body.count {
            return "content-length \(declared) does not match the body's \(body.count) bytes"
        }
        return nil
    }
}

enum JSONText {
    /// A JSON string literal for `text`.
    static func quoted(_ text: String) -> String {
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
