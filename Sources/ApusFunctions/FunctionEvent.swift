internal import ApusHTTP
internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
#endif

/// The event a worker's handler gets, built from the request on the loop thread: the same
/// fields, with the same values, as `apus.functions.event.make_event` builds for a Python
/// function (see there for each one).
struct FunctionEvent: Encodable {
    /// A value that may repeat: a query parameter or a header.
    enum Repeatable: Encodable {
        case one(String)
        case flag
        case many([String])

        mutating func add(_ value: String) {
            switch self {
            case .one(let first): self = .many([first, value])
            case .flag: self = .many(["", value])
            case .many(let values): self = .many(values + [value])
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .one(let value): try container.encode(value)
            case .flag: try container.encode(true)
            case .many(let values): try container.encode(values)
            }
        }
    }

    struct Session: Encodable {
        let id: String?
        let raw: String
        let cookies: [String: String]

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(raw, forKey: .raw)
            try container.encode(cookies, forKey: .cookies)
        }

        enum CodingKeys: String, CodingKey { case id, raw, cookies }
    }

    struct Client: Encodable {
        let ip: String
        let ua: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(ip, forKey: .ip)
            try container.encode(ua, forKey: .ua)
        }

        enum CodingKeys: String, CodingKey { case ip, ua }
    }

    let id: String
    let ts: Int
    let method: String
    let path: String
    let rawPath: String
    let query: [String: Repeatable]
    let params: [String: String]
    let headers: [String: Repeatable]
    let body: String?
    let isBase64: Bool
    let session: Session?
    let client: Client
    let context: [String: JSONValue]
    let env: [String: String]

    enum CodingKeys: String, CodingKey {
        case id, ts, method, path, query, params, headers, body, session, client, context, env
        case rawPath = "raw_path", pathParams = "path_params", isBase64 = "is_base64"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(ts, forKey: .ts)
        try container.encode(method, forKey: .method)
        try container.encode(path, forKey: .path)
        try container.encode(rawPath, forKey: .rawPath)
        try container.encode(query, forKey: .query)
        try container.encode(params, forKey: .params)
        try container.encode(params, forKey: .pathParams)
        try container.encode(headers, forKey: .headers)
        try container.encode(body, forKey: .body)
        if isBase64 { try container.encode(true, forKey: .isBase64) }
        try container.encode(session, forKey: .session)
        try container.encode(client, forKey: .client)
        try container.encode(context, forKey: .context)
        try container.encode(env, forKey: .env)
    }
}

extension FunctionEvent {
    init(request: HTTPRequest, function: FunctionsManifest.Worker) {
        let now = Self.epochMilliseconds()
        id = "req-\(now)-\(getpid())-\(String(Int.random(in: 0...999_999)).leftPadded(to: 6))"
        ts = now
        method = request.method
        path = request.path
        rawPath = request.query.isEmpty ? request.rawPath : request.rawPath + "?" + request.query
        query = Self.queryValues(request.query)
        params = request.pathParameters
        var headers: [String: Repeatable] = [:]
        for field in request.headers {
            let name = field.name.lowercased()
            if headers[name] != nil { headers[name]!.add(field.value) } else { headers[name] = .one(field.value) }
        }
        self.headers = headers
        if request.body.isEmpty {
            body = nil
            isBase64 = false
        } else if let text = String(validating: request.body, as: UTF8.self) {
            body = text
            isBase64 = false
        } else {
            body = Data(request.body).base64EncodedString()
            isBase64 = true
        }
        session = Self.session(headers["cookie"])
        let ip = request.client.lastIndex(of: ":").map { String(request.client[..<$0]) } ?? request.client
        if case .one(let agent)? = headers["user-agent"] { client = Client(ip: ip, ua: agent) } else { client = Client(ip: ip, ua: nil) }
        var context = function.context
        context["request_id"] = .string(id)
        self.context = context
        env = function.env
    }

    /// `a=1&a=2&flag` as `{"a": ["1", "2"], "flag": true}`, `+` and `%xx` decoded.
    static func queryValues(_ query: String) -> [String: Repeatable] {
        var values: [String: Repeatable] = [:]
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = formDecoded(pieces[0])
            let value: Repeatable = pieces.count == 2 ? .one(formDecoded(pieces[1])) : .flag
            if values[name] == nil {
                values[name] = value
            } else if case .one(let text) = value {
                values[name]!.add(text)
            } else {
                values[name]!.add("")
            }
        }
        return values
    }

    private static func formDecoded(_ text: Substring) -> String {
        RequestTarget.percentDecoded(Substring(String(text.map { $0 == "+" ? " " : $0 })))
    }

    private static func session(_ cookie: Repeatable?) -> Session? {
        let raw: String
        switch cookie {
        case nil, .flag?: return nil
        case .one(let value)?: raw = value
        case .many(let values)?: raw = values.joined(separator: "; ")
        }
        var cookies: [String: String] = [:]
        for part in raw.split(separator: ";") {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = trimmed(pieces[0])
            if pieces.count == 2, !name.isEmpty { cookies[name] = trimmed(pieces[1]) }
        }
        let id = ["session_id", "sessionid", "sid"].lazy.compactMap { cookies[$0] }.first
        return Session(id: id, raw: raw, cookies: cookies)
    }

    /// `text` without spaces and tabs at either end.
    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    private static func epochMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now.tv_sec * 1_000 + now.tv_nsec / 1_000_000
    }

    func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? Array("{}".utf8)
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
