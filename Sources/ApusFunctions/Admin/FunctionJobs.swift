internal import ApusHTTP
internal import ApusLoop
internal import FoundationEssentials
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// Background invocations (`POST /_fn/jobs`), on the loop thread. The process that takes a job
/// runs it, at most `maxConcurrency` at once, through the server's own routes (`LocalExchange`);
/// a run with no answer or a 5xx is tried again `retryDelayMs` later while attempts are left.
/// Every change is written to the `JobStore`, where any process of `--workers N` reads it; a
/// job starts only if it is still queued there (a cancel from another process wins), and the
/// oldest finished ones are removed past `retain`. Jobs outlive a reload of the tree (this
/// object does); a job in a process that ends stays as it was last written.
final class FunctionJobs {
    struct Limits {
        /// Jobs running at once in one process (`APUS_JOBS_MAX_CONCURRENCY`, FastFN's 2).
        var maxConcurrency = 2
        /// Jobs queued or running in one process; past it a job is refused with 429 (`APUS_JOBS_MAX_QUEUE`).
        var maxQueue = 100
        /// The part of a result's body kept (`APUS_JOBS_MAX_RESULT_BYTES`, FastFN's 256 KiB).
        var maxResultBytes = 262_144
        /// Finished jobs kept (`APUS_JOBS_RETAIN`).
        var retain = 500

        static func fromEnvironment() -> Limits {
            var limits = Limits()
            let environment = ProcessInfo.processInfo.environment
            func positive(_ name: String) -> Int? { environment[name].flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil } }
            limits.maxConcurrency = positive("APUS_JOBS_MAX_CONCURRENCY") ?? limits.maxConcurrency
            limits.maxQueue = positive("APUS_JOBS_MAX_QUEUE") ?? limits.maxQueue
            limits.maxResultBytes = positive("APUS_JOBS_MAX_RESULT_BYTES") ?? limits.maxResultBytes
            limits.retain = positive("APUS_JOBS_RETAIN") ?? limits.retain
            return limits
        }
    }

    private let loop: EventLoop
    let store: JobStore
    private let responder: any HTTPResponder
    private let logger: Logger
    let limits: Limits
    /// This process's jobs not finished, with their requests.
    private var waiting: [(job: Job, invocation: FunctionInvocation)] = []
    private var running = 0
    private var sequence = 0
    private var retryTimer: LoopTimer?
    private var finishedSincePrune = 0

    init(loop: EventLoop, store: JobStore, responder: any HTTPResponder, limits: Limits, logger: Logger) {
        self.loop = loop
        self.store = store
        self.responder = responder
        self.limits = limits
        self.logger = logger
    }

    static func milliseconds() -> Int { Int(Date().timeIntervalSince1970 * 1000) }

    enum Refusal: Error {
        case queueFull
        case storeFailed(String)
    }

    /// Queues `invocation`; `then` gets the job as written (201), or why not.
    func submit(_ invocation: FunctionInvocation, function: String?, maxAttempts: Int, retryDelayMs: Int,
                then: @escaping (Result<Job, Refusal>) -> Void) {
        guard waiting.count + running < limits.maxQueue else { return then(.failure(.queueFull)) }
        sequence += 1
        let now = Self.milliseconds()
        let job = Job(
            id: "job-\(now)-\(getpid())-\(sequence)", status: .queued, createdAtMs: now, updatedAtMs: now,
            method: invocation.method, target: invocation.target, function: function, attempt: 0, maxAttempts: maxAttempts,
            retryDelayMs: retryDelayMs)
        let store = store
        loop.runOffLoop(producing: { () -> String? in
            do { try store.write(job) } catch { return "\(error)" }
            return nil
        }, then: { [self] failure in
            if let reason = failure { return then(.failure(.storeFailed(reason))) }
            waiting.append((job, invocation))
            then(.success(job))
            pump()
        })
    }

    /// Cancels a job that has not started (in any process); the job as it ends up, or nil.
    func cancel(_ id: String, then: @escaping (Job?) -> Void) {
        let store = store
        loop.runOffLoop(producing: {
            try? store.transition(id) { job in
                guard job.status == .queued else { return nil }
                var canceled = job
                canceled.status = .canceled
                canceled.updatedAtMs = Self.milliseconds()
                canceled.nextRunAtMs = nil
                return canceled
            }
        }, then: { [self] result in
            if result?.status == .canceled { waiting.removeAll { $0.job.id == id } }
            then(result)
        })
    }

    /// Reads from the store, off the loop; `then` runs on it.
    func read<Value: Sendable>(_ body: @escaping @Sendable (JobStore) -> Value?, then: @escaping (Value?) -> Void) {
        let store = store
        loop.runOffLoop(producing: { body(store) }, then: then)
    }

    func stop() {
        retryTimer?.close()
        retryTimer = nil
    }

    // MARK: running

    /// Starts what may start; sets the timer for the next retry due.
    private func pump() {
        let now = Self.milliseconds()
        while running < limits.maxConcurrency,
              let index = waiting.firstIndex(where: { ($0.job.nextRunAtMs ?? 0) <= now }) {
            let (job, invocation) = waiting.remove(at: index)
            start(job, invocation)
        }
        guard let due = waiting.compactMap(\.job.nextRunAtMs).min() else { return }
        let timer = retryTimer ?? LoopTimer(loop: loop)
        retryTimer = timer
        timer.stop()
        timer.start(after: UInt64(max(0, due - now))) { [weak self] in self?.pump() }
    }

    private func start(_ job: Job, _ invocation: FunctionInvocation) {
        running += 1
        let store = store
        loop.runOffLoop(producing: {
            try? store.transition(job.id) { current in
                guard current.status == .queued else { return nil }
                var next = current
                next.status = .running
                next.attempt += 1
                next.nextRunAtMs = nil
                next.updatedAtMs = Self.milliseconds()
                return next
            }
        }, then: { [self] claimed in
            guard let running = claimed, running.status == .running else {
                self.running -= 1
                return pump()  // canceled meanwhile, or gone
            }
            let trigger: [String: JSONValue] = [
                "type": .string("job"), "id": .string(job.id), "attempt": .number(Double(running.attempt)),
                "max_attempts": .number(Double(running.maxAttempts)),
            ]
            let began = loop.now
            LocalExchange.send(invocation.request(trigger: trigger), to: responder, on: loop, logger: logger,
                               maxBodyBytes: limits.maxResultBytes) { [self] answer in
                finished(running, invocation, answer, latencyMs: Int(loop.now - began))
            }
        })
    }

    private func finished(_ job: Job, _ invocation: FunctionInvocation, _ answer: LocalExchange.Answer, latencyMs: Int) {
        var job = job
        let now = Self.milliseconds()
        job.updatedAtMs = now
        job.resultStatus = answer.status
        let text = String(validating: answer.body, as: UTF8.self)
        job.result = Job.Outcome(
            status: answer.status, headers: answer.joinedHeaders, body: text, bodyBase64: text == nil ? Data(answer.body).base64EncodedString() : nil,
            isBase64: text == nil, latencyMs: latencyMs, truncated: answer.truncated)
        let failed = answer.status == 0 || answer.status >= 500
        if failed && job.attempt < job.maxAttempts {
            job.status = .queued
            job.nextRunAtMs = now + job.retryDelayMs
            job.lastError = answer.status == 0 ? "no answer" : "status \(answer.status)"
            waiting.append((job, invocation))
        } else {
            job.status = failed ? .failed : .done
            job.lastError = failed ? (answer.status == 0 ? "no answer" : "status \(answer.status)") : nil
            if failed { logger.error("job \(job.id) (\(job.method) \(job.target)) failed: \(job.lastError ?? "")") }
        }
        let store = store
        finishedSincePrune += job.isFinished ? 1 : 0
        let prune = finishedSincePrune >= min(50, limits.retain)
        if prune { finishedSincePrune = 0 }
        let retain = limits.retain
        let written = job
        loop.runOffLoop({
            // A cancel cannot race this write: the job is running, which a cancel leaves alone.
            try? store.write(written)
            if prune { store.prune(keep: retain) }
        }, then: { [self] in
            running -= 1
            pump()
        })
    }
}
