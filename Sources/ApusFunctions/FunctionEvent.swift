internal import ApusHTTP
internal import FoundationEssentials
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// The event a worker's handler gets, built from the request on the loop thread: the same
/// fields, with the same values, as `apus.functions.event.make_event` builds for a Python
/// function (see there for each one). Written as JSON by hand: the parts that are the same for
/// every request of a function (`context`, `env`) are encoded once (`FunctionEvent.Constant`).
struct FunctionEvent {
    /// A value that may repeat: a query parameter or a header.
    enum Repeatable {
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

        func write(to json: inout JSONWriter) {
            switch self {
            case .one(let value): json.string(value)
            case .flag: json.raw("true")
            case .many(let values): json.array(values) { json, value in json.string(value) }
            }
        }
    }

    struct Session {
        let id: String?
        let raw: String
        let cookies: [String: String]
    }

    /// A function's fields of every event, encoded once.
    struct Constant: Sendable {
        /// `context` without its braces and without `request_id`.
        let contextFields: [UInt8]
        let env: [UInt8]

        init(_ function: FunctionsManifest.Worker) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var context = function.context
            context["request_id"] = nil
            let encoded = (try? Array(encoder.encode(context))) ?? Array("{}".utf8)
            contextFields = Array(encoded.dropFirst().dropLast())
            env = (try? Array(encoder.encode(function.env))) ?? Array("{}".utf8)
        }
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
    let clientIP: String
    let userAgent: String?

    func json(_ constant: Constant) -> [UInt8] {
        var json = JSONWriter(capacity: 512 + constant.contextFields.count + constant.env.count)
        json.raw("{\"id\":"); json.string(id)
        json.raw(",\"ts\":"); json.raw(String(ts))
        json.raw(",\"method\":"); json.string(method)
        json.raw(",\"path\":"); json.string(path)
        json.raw(",\"raw_path\":"); json.string(rawPath)
        json.raw(",\"query\":"); json.object(query) { json, value in value.write(to: &json) }
        json.raw(",\"params\":"); json.object(params) { json, value in json.string(value) }
        json.raw(",\"path_params\":"); json.object(params) { json, value in json.string(value) }
        json.raw(",\"headers\":"); json.object(headers) { json, value in value.write(to: &json) }
        json.raw(",\"body\":"); json.optionalString(body)
        if isBase64 { json.raw(",\"is_base64\":true") }
        json.raw(",\"session\":")
        if let session {
            json.raw("{\"id\":"); json.optionalString(session.id)
            json.raw(",\"raw\":"); json.string(session.raw)
            json.raw(",\"cookies\":"); json.object(session.cookies) { json, value in json.string(value) }
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw(",\"client\":{\"ip\":"); json.string(clientIP)
        json.raw(",\"ua\":"); json.optionalString(userAgent)
        json.raw("},\"context\":{\"request_id\":"); json.string(id)
        if !constant.contextFields.isEmpty { json.raw(","); json.bytes(constant.contextFields) }
        json.raw("},\"env\":"); json.bytes(constant.env)
        json.raw("}")
        return json.output
    }
}

extension FunctionEvent {
    init(request: HTTPRequest) {
        let now = Self.epochMilliseconds()
        // FastFN's ids end in six digits; a counter keeps them distinct within a millisecond
        // (and costs no random-number system call per request).
        let sequence = Self.sequence.add(1, ordering: .relaxed).oldValue % 1_000_000
        id = "req-\(now)-\(Self.processID)-\(String(sequence).leftPadded(to: 6))"
        ts = now
        method = request.method
        path = request.path
        rawPath = request.query.isEmpty ? request.rawPath : request.rawPath + "?" + request.query
        query = Self.queryValues(request.query)
        params = request.pathParameters
        var headers: [String: Repeatable] = [:]
        for field in request.headers where headers[field.name]?.add(field.value) == nil {  // names come lower-cased
            headers[field.name] = .one(field.value)
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
        clientIP = request.client.lastIndex(of: ":").map { String(request.client[..<$0]) } ?? request.client
        if case .one(let agent)? = headers["user-agent"] { userAgent = agent } else { userAgent = nil }
    }

    private static let processID = getpid()
    private static let sequence = Atomic<Int>(0)

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

}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
