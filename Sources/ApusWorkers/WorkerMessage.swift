internal import FoundationEssentials

/// What a worker sends: once, after loading its function, whether it is ready; then one reply
/// per request, with the request's id. The language wrappers turn whatever a handler returns
/// into this shape, so the server reads one format for every language.
struct WorkerMessage: Decodable {
    /// Set on the first message only.
    var ready: Bool?
    var id: Int?
    var status: Int?
    var headers: [String: HeaderValue]?
    var body: String?
    /// `body` is base64 (binary content).
    var isBase64: Bool?
    /// The handler failed: its error and stack, for the log; the client gets a 500.
    var error: String?

    enum CodingKeys: String, CodingKey {
        case ready, id, status, headers, body, error
        case isBase64 = "is_base64"
    }

    /// A header's value: a string, or several (`set-cookie`), or a number.
    enum HeaderValue: Decodable {
        case one(String)
        case many([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .one(text)
            } else if let list = try? container.decode([String].self) {
                self = .many(list)
            } else if let number = try? container.decode(Double.self) {
                self = .one(number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number))
            } else {
                self = .one(String(try container.decode(Bool.self)))
            }
        }

        var values: [String] {
            switch self {
            case .one(let value): [value]
            case .many(let values): values
            }
        }
    }

    static func decode(_ payload: [UInt8]) throws(FrameError) -> WorkerMessage {
        do {
            return try JSONDecoder().decode(WorkerMessage.self, from: Data(payload))
        } catch {
            throw FrameError(description: "a frame that is not a worker message (\(error))")
        }
    }
}

/// A function's answer, as the worker gave it.
public struct WorkerReply: Sendable {
    public var status: Int
    /// In the order the handler gave them; a name may repeat.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
}

/// How a request to a worker pool ended.
public enum WorkerOutcome: Sendable {
    case reply(WorkerReply)
    /// No reply: the status the client gets (500 a handler that failed, 502 a worker that died
    /// or broke the protocol, 504 one that took longer than the function's timeout, 503 a pool
    /// that cannot start workers, the overflow status a full queue) and the error for its
    /// `{"error": ...}` body.
    case failed(status: Int, error: String)
}

extension WorkerMessage {
    /// The reply this message carries (a handler error is a 500 with no details for the client).
    func reply() throws(FrameError) -> WorkerOutcome {
        if let error {
            return .failed(status: 500, error: String(error.split(separator: "\n", maxSplits: 1).first ?? "handler failed"))
        }
        let status = self.status ?? 200
        guard (100...999).contains(status) else { throw FrameError(description: "status \(status)") }
        var bytes: [UInt8] = []
        if let body {
            if isBase64 == true {
                guard let decoded = Data(base64Encoded: body) else { throw FrameError(description: "a body that is not base64") }
                bytes = Array(decoded)
            } else {
                bytes = Array(body.utf8)
            }
        }
        let pairs = (headers ?? [:]).sorted { $0.key < $1.key }.flatMap { name, value in value.values.map { (name: name, value: $0) } }
        return .reply(WorkerReply(status: status, headers: pairs, body: bytes))
    }
}
