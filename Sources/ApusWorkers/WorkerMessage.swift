internal import FoundationEssentials

/// What a worker sends: once, after loading its function, whether it is ready; then one reply
/// per request, with the request's id. The language wrappers turn whatever a handler returns
/// into this shape, so the server reads one format for every language:
/// `{"id", "status", "headers": {name: value or [values]}, "body", "is_base64"}`, or
/// `{"id", "error"}` for a handler that failed.
///
/// A worker that serves several functions (the Node files of one folder) says which of them
/// did not load in its ready message (`"failed": {file: error}`), and answers a request for one
/// of those with `{"id", "error", "unavailable": true}`.
struct WorkerMessage {
    /// Set on the first message only.
    var ready: Bool?
    /// The functions that did not load (by file), of a worker that serves several.
    var failedMembers: [String: String] = [:]
    /// The request was for a function of the worker that did not load.
    var unavailable = false
    var id: Int?
    var status: Int?
    var headers: [(name: String, value: String)] = []
    var body: String?
    /// `body` is base64 (binary content).
    var isBase64 = false
    /// The handler failed: its error and stack, for the log; the client gets a 500.
    var error: String?

    static func decode(_ payload: [UInt8]) throws(FrameError) -> WorkerMessage {
        guard case .object(let fields) = try JSON.parse(payload) else { throw FrameError(description: "a frame that is not an object") }
        var message = WorkerMessage()
        if case .bool(let ready)? = fields["ready"] { message.ready = ready }
        if case .number(let id)? = fields["id"] { message.id = Int(exactly: id) }
        if case .number(let status)? = fields["status"] ?? fields["statusCode"] {
            guard let status = Int(exactly: status) else { throw FrameError(description: "status \(status)") }
            message.status = status
        }
        if case .string(let body)? = fields["body"] { message.body = body }
        if case .bool(true)? = fields["is_base64"] { message.isBase64 = true }
        if case .string(let error)? = fields["error"] { message.error = error }
        if case .bool(true)? = fields["unavailable"] { message.unavailable = true }
        if case .object(let failed)? = fields["failed"] {
            for case (let file, .string(let error)) in failed { message.failedMembers[file] = error }
        }
        if case .object(let headers)? = fields["headers"] {
            for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
                switch value {
                case .string(let text): message.headers.append((name, text))
                case .array(let values): for case .string(let text) in values { message.headers.append((name, text)) }
                case .number(let number): message.headers.append((name, number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)))
                case .bool(let flag): message.headers.append((name, String(flag)))
                case .null, .object: break
                }
            }
        }
        return message
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
    /// that cannot start workers, the overflow status a full queue), the error for its
    /// `{"error": ...}` body, and what went wrong in detail (the handler's error, why workers
    /// cannot load), which only `apus dev` answers with.
    case failed(status: Int, error: String, detail: String? = nil)

    /// FastFN's words for a handler that failed and a function that cannot run, in every
    /// language.
    public static let internalError = "internal server error"
    public static let unavailable = "function unavailable"
}

extension WorkerMessage {
    /// The reply this message carries (a handler error is a 500, its first line the detail).
    func reply() throws(FrameError) -> WorkerOutcome {
        if let error {
            let firstLine = error.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "handler failed"
            if unavailable { return .failed(status: 503, error: WorkerOutcome.unavailable, detail: firstLine) }
            return .failed(status: 500, error: WorkerOutcome.internalError, detail: firstLine)
        }
        let status = self.status ?? 200
        guard (100...999).contains(status) else { throw FrameError(description: "status \(status)") }
        var bytes: [UInt8] = []
        if let body {
            if isBase64 {
                guard let decoded = Data(base64Encoded: body) else { throw FrameError(description: "a body that is not base64") }
                bytes = Array(decoded)
            } else {
                bytes = Array(body.utf8)
            }
        }
        return .reply(WorkerReply(status: status, headers: headers, body: bytes))
    }
}
