internal import FoundationEssentials
#if canImport(Glibc)
internal import Glibc
#endif

/// One job: an invocation asked for with `POST /_fn/jobs`, run in the background.
struct Job: Codable, Sendable {
    enum Status: String, Codable, Sendable {
        case queued, running, done, failed, canceled
    }

    /// What the function answered.
    struct Outcome: Codable, Sendable {
        var status: Int
        var headers: [String: String]
        /// The body as text, or nil when it is not UTF-8 (then `bodyBase64`).
        var body: String?
        var bodyBase64: String?
        var isBase64: Bool
        var latencyMs: Int
        var truncated: Bool

        private enum CodingKeys: String, CodingKey {
            case status, headers, body, truncated
            case bodyBase64 = "body_base64", isBase64 = "is_base64", latencyMs = "latency_ms"
        }
    }

    let id: String
    var status: Status
    let createdAtMs: Int
    var updatedAtMs: Int
    let method: String
    /// The path and query the job's request goes to.
    let target: String
    /// The function's file, relative to the tree, when the job named one.
    let function: String?
    var attempt: Int
    let maxAttempts: Int
    let retryDelayMs: Int
    var nextRunAtMs: Int?
    var resultStatus: Int?
    var lastError: String?
    var result: Outcome?

    private enum CodingKeys: String, CodingKey {
        case id, status, method, target, function, attempt, result
        case createdAtMs = "created_at_ms", updatedAtMs = "updated_at_ms", maxAttempts = "max_attempts"
        case retryDelayMs = "retry_delay_ms", nextRunAtMs = "next_run_at_ms", resultStatus = "result_status"
        case lastError = "last_error"
    }

    var isFinished: Bool { status == .done || status == .failed || status == .canceled }
}

/// The jobs as files (`<state folder>/jobs/<id>.json`), so that every process of `--workers N`
/// sees every job: each write replaces the file whole (a reader never sees half of one), and a
/// change of status that must not race another process (a run starting, a cancel) happens
/// under an exclusive `flock` of `jobs/.lock`. Called off the loop thread (file I/O).
struct JobStore: Sendable {
    let folder: String

    init(folder: String) {
        self.folder = folder
        _ = mkdir(folder, 0o755)
    }

    private func path(_ id: String) -> String { "\(folder)/\(id).json" }

    func write(_ job: Job) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(job).write(to: URL(fileURLWithPath: path(job.id)), options: .atomic)
    }

    func read(_ id: String) -> Job? {
        guard Self.isValidID(id), let data = try? Data(contentsOf: URL(fileURLWithPath: path(id))) else { return nil }
        return try? JSONDecoder().decode(Job.self, from: data)
    }

    /// Changes a job under the lock: `change` sees the job as it is now and returns it changed,
    /// or nil to leave it. The job as it ends up (nil if there is none).
    func transition(_ id: String, _ change: (Job) -> Job?) throws -> Job? {
        let lock = open("\(folder)/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw StoreFailure(reason: String(cString: strerror(errno))) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw StoreFailure(reason: String(cString: strerror(errno))) }
        guard let job = read(id) else { return nil }
        guard let changed = change(job) else { return job }
        try write(changed)
        return changed
    }

    /// The newest jobs first, at most `limit`.
    func list(limit: Int) -> [Job] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let ids = names.filter { $0.hasSuffix(".json") && $0.hasPrefix("job-") }.map { String($0.dropLast(5)) }
        return ids.compactMap(read).sorted { ($0.createdAtMs, $0.id) > ($1.createdAtMs, $1.id) }.prefix(limit).map { $0 }
    }

    /// Removes the oldest finished jobs past the newest `keep`.
    func prune(keep: Int) {
        let finished = list(limit: Int.max).filter(\.isFinished)
        for job in finished.dropFirst(keep) { unlink(path(job.id)) }
    }

    /// `job-<ms>-<pid>-<n>`: letters, digits and dashes only (an id never names another path).
    static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) || $0 == UInt8(ascii: "-") }
    }

    struct StoreFailure: Error {
        let reason: String
    }
}
