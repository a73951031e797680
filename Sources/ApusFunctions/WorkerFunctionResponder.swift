internal import ActorRuntime
internal import ApusHTTP
internal import ApusLoop
internal import ApusWorkers
internal import Logging

/// Serves one function of the tree from its worker pool: the request's body is collected (up to
/// the function's `max_body_bytes`, within the server's budget), the event built and sent, and
/// the worker's reply, or the pool's failure as FastFN's `{"error": ...}`, answered.
/// Its pool is made on the loop thread (`startPool`) and used there only; a reload gives it a
/// new version of its function (`reload`).
final class WorkerFunctionResponder: HTTPResponder, @unchecked Sendable {
    private(set) var function: FunctionsManifest.Worker
    /// How to start its workers, or why it cannot run (its language is not installed, its
    /// build failed).
    private var command: Result<WorkerCommand, CompiledFunction.Failure>
    private var pool: WorkerPool?
    private var maxBodyBytes: Int
    private var constant: FunctionEvent.Constant
    private let logger: Logger
    /// A failure is answered with what failed (the handler's error, the compiler's output), as
    /// `apus dev` shows it; otherwise with FastFN's words for its kind only, the rest in the log.
    private let showsErrorDetails: Bool

    init(function: FunctionsManifest.Worker, command: Result<WorkerCommand, CompiledFunction.Failure>, showsErrorDetails: Bool,
         logger: Logger) {
        self.function = function
        self.command = command
        self.showsErrorDetails = showsErrorDetails
        self.logger = logger
        maxBodyBytes = function.setting("max_body_bytes", default: 1024 * 1024)
        constant = FunctionEvent.Constant(function)
        if case .failure(let failure) = command, !failure.details.isEmpty {
            logger.error("[\(function.name)] \(failure.message):\n\(failure.details)")
        }
    }

    /// On the loop thread, before requests arrive.
    func startPool(on loop: EventLoop) {
        guard case .success(let command) = command else { return }
        let pool = Self.makePool(function, command, loop, logger)
        pool.start()
        self.pool = pool
    }

    /// A new version of the function (its file, folder or settings changed), on the loop
    /// thread: a worker of the new version is started first, and only once it has loaded the
    /// function does it take over; one that does not load leaves the old version serving.
    func reload(_ function: FunctionsManifest.Worker, command next: Result<WorkerCommand, CompiledFunction.Failure>, on loop: EventLoop) {
        guard case .success(let command) = next else {
            // A failed build keeps the previous version, as a syntax error does.
            if case .failure(let failure) = next, pool != nil {
                return logger.error("[\(function.name)] \(failure.message); the previous version keeps serving:\n\(failure.details)")
            }
            (self.function, self.command) = (function, next)
            return
        }
        let candidate = Self.makePool(function, command, loop, logger)
        candidate.start { [self, logger] failure in
            if failure != nil {
                // The pool has logged why.
                logger.error("[\(function.name)] the new version does not load; the previous one keeps serving")
                candidate.retire()
                return
            }
            let previous = pool
            (self.function, self.command, pool) = (function, next, candidate)
            maxBodyBytes = function.setting("max_body_bytes", default: 1024 * 1024)
            constant = FunctionEvent.Constant(function)
            previous?.retire()
        }
    }

    /// Its pool's state for `/_apus/health` (nil: it has no pool), on the loop thread.
    var poolStatus: WorkerPoolStatus? { pool?.status }

    /// Its pool keeps workers warm (`min_warm`): until one is ready, the server is starting.
    var keepsWarm: Bool { function.poolSetting("min_warm", default: 0) > 0 }

    /// Why it cannot run, if it cannot.
    var unavailable: String? {
        if case .failure(let failure) = command { return failure.message }
        return nil
    }

    /// On the loop thread: the function is gone from the tree.
    func retire() {
        pool?.retire()
        pool = nil
    }

    private static func makePool(_ function: FunctionsManifest.Worker, _ command: WorkerCommand, _ loop: EventLoop, _ logger: Logger) -> WorkerPool {
        var settings = WorkerPoolSettings(
            maxWorkers: function.poolSetting("max_workers", default: 20),
            maxConcurrency: function.setting("max_concurrency", default: 20),
            maxQueue: function.poolSetting("max_queue", default: 0),
            queueTimeoutMilliseconds: UInt64(function.poolSetting("queue_timeout_ms", default: 0)),
            minWarm: function.poolSetting("min_warm", default: 0),
            idleSeconds: UInt64(function.poolSetting("idle_ttl_seconds", default: 300)),
            overflowStatus: function.poolSetting("overflow_status", default: 429),
            timeoutMilliseconds: UInt64(function.setting("timeout_ms", default: 2_500)))
        settings.keepsOneWorker = command.concurrency > 1
        return WorkerPool(loop: loop, name: function.name, command: command, settings: settings, logger: logger)
    }

    var streamsRequestBodies: Bool { true }

    func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        if let declared = request.headers["content-length"].flatMap({ Int($0) }), declared > maxBodyBytes {
            return slot.complete(Self.error(413, "payload too large", close: true))
        }
        request.withWholeBody(via: slot) { [self] whole in invoke(whole, slot) }
    }

    private func invoke(_ request: HTTPRequest, _ slot: ResponseSlot) {
        guard request.body.count <= maxBodyBytes else { return slot.complete(Self.error(413, "payload too large")) }
        guard let pool else {
            // A function that cannot run (its language is missing, its build failed) is
            // unavailable, as one that does not load is in every language.
            if case .failure(let failure) = command, showsErrorDetails {
                let detail = failure.details.isEmpty ? failure.message : "\(failure.message):\n\(failure.details)"
                return slot.complete(Self.error(503, detail))
            }
            return slot.complete(Self.error(503, WorkerOutcome.unavailable))
        }
        let event = FunctionEvent(request: request).json(constant)
        pool.invoke(event) { [showsErrorDetails] outcome in
            switch outcome {
            case .reply(let reply):
                slot.complete(HTTPResponse(status: reply.status, headers: HTTPHeaders(reply.headers), body: reply.body))
            case .failed(let status, let error, let detail):
                let shown = showsErrorDetails ? detail.map { "\(error): \($0)" } ?? error : error
                slot.complete(Self.error(status, shown))
            }
        }
    }

    func serverDidStop() {
        pool?.retire()
    }

    /// FastFN's error answer: `{"error": "..."}`.
    static func error(_ status: Int, _ message: String, close: Bool = false) -> HTTPResponse {
        var response = HTTPResponse.json("{\"error\":\(JSONText.quoted(message))}", status: status)
        if close { response.headers.add("connection", "close") }
        return response
    }
}
