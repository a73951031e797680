public import ApusHTTP
internal import FoundationEssentials
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// The event of one request to a function, built on the loop thread: the same fields, with the
/// same values and in the same order, as `apus.functions.event.make_event` builds (see there for
/// each one). A Python function gets it as a dict (`GIL.eventDict`), a worker as JSON.
public struct FunctionEvent: Sendable {
    /// A value that may repeat: a query parameter or a header.
    public enum Repeatable: Sendable {
        case one(String)
        /// A query parameter without `=` (`true`; an empty value once it repeats).
        case flag
        case many([String])

        mutating func add(_ value: String) {
            switch self {
            case .one(let first): self = .many([first, value])
            case .flag: self = .many(["", value])
            case .many(let values): self = .many(values + [value])
            }
        }
    }

    /// Names in the order they first came, as a Python dict keeps them.
    public struct Fields<Value: Sendable>: Sendable {
        public private(set) var entries: [(name: String, value: Value)] = []
        private var positions: [String: Int] = [:]

        public subscript(name: String) -> Value? {
            positions[name].map { entries[$0].value }
        }

        /// Sets `name`'s value, or changes the one it has (keeping its place).
        mutating func update(_ name: String, _ value: Value, merging: (inout Value, Value) -> Void) {
            if let position = positions[name] {
                merging(&entries[position].value, value)
            } else {
                positions[name] = entries.count
                entries.append((name, value))
            }
        }
    }

    public struct Session: Sendable {
        public let id: String?
        public let raw: String
        public let cookies: Fields<String>
    }

    public let id: String
    public let ts: Int
    public let method: String
    public let path: String
    public let rawPath: String
    public let query: Fields<Repeatable>
    public let params: [String: String]
    public let headers: Fields<Repeatable>
    /// The body as text; base64 when it is not UTF-8 (`isBase64`); nil without a body.
    public let body: String?
    public let isBase64: Bool
    public let session: Session?
    public let clientIP: String
    /// `event.context` members of an invocation the server made itself (`HTTPRequest.invocationContext`).
    public let invocationContext: [UInt8]?

    /// `user-agent`, as the headers hold it (a list when it repeats).
    public var userAgent: Repeatable? { headers["user-agent"] }
}

extension FunctionEvent {
    /// The event of `request`, whose `pathParameters` are the route's.
    public init(request: HTTPRequest) {
        let now = Self.epochMilliseconds()
        id = Self.requestID(at: now)
        ts = now
        method = request.method
        path = request.path
        rawPath = request.query.isEmpty ? request.rawPath : request.rawPath + "?" + request.query
        query = Self.queryValues(request.query)
        params = request.pathParameters
        var headers = Fields<Repeatable>()
        for field in request.headers {  // names come lower-cased
            headers.update(field.name, .one(field.value)) { current, _ in current.add(field.value) }
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
        let client = request.client.utf8
        clientIP = client.lastIndex(of: UInt8(ascii: ":")).map { String(Substring(client[..<$0])) } ?? request.client
        invocationContext = request.invocationContext
    }

    private static let processID = Int(getpid())
    private static let sequence = Atomic<Int>(0)

    /// `req-<epoch ms>-<pid>-<six digits>`, as FastFN's ids; a counter keeps them distinct within
    /// a millisecond (and costs no random-number system call per request). Written digit by
    /// digit: string interpolation cost more than the rest of the event.
    static func requestID(at milliseconds: Int) -> String {
        let sequence = Self.sequence.add(1, ordering: .relaxed).oldValue % 1_000_000
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var count = 0
            func append(_ byte: UInt8) {
                buffer[count] = byte
                count += 1
            }
            /// `value` (not negative) in decimal, with leading zeros up to `width` digits.
            func append(_ value: Int, width: Int = 1) {
                var digits = 1
                var probe = value
                while probe >= 10 {
                    probe /= 10
                    digits += 1
                }
                let length = max(digits, width)
                var rest = value
                for index in stride(from: count + length - 1, through: count, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                count += length
            }
            for byte in "req-".utf8 { append(byte) }
            append(milliseconds)
            append(UInt8(ascii: "-"))
            append(processID)
            append(UInt8(ascii: "-"))
            append(sequence, width: 6)
            return count
        }
    }

    /// `a=1&a=2&flag` as `{"a": ["1", "2"], "flag": true}`, `+` and `%xx` decoded.
    static func queryValues(_ query: String) -> Fields<Repeatable> {
        var values = Fields<Repeatable>()
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value: Repeatable = pieces.count == 2 ? .one(formDecoded(pieces[1])) : .flag
            values.update(formDecoded(pieces[0]), value) { current, value in
                if case .one(let text) = value { current.add(text) } else { current.add("") }
            }
        }
        return values
    }

    private static func formDecoded(_ text: Substring) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(text) }
        return RequestTarget.percentDecoded(Substring(String(text.map { $0 == "+" ? " " : $0 })))
    }

    private static func session(_ cookie: Repeatable?) -> Session? {
        let raw: String
        switch cookie {
        case nil, .flag?: return nil
        case .one(let value)?: raw = value
        case .many(let values)?: raw = values.joined(separator: "; ")
        }
        var cookies = Fields<String>()
        for part in raw.split(separator: ";") {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = trimmed(pieces[0])
            if pieces.count == 2, !name.isEmpty { cookies.update(name, trimmed(pieces[1])) { current, new in current = new } }
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
