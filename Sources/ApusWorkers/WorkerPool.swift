public import ApusLoop
public import Logging

/// The worker processes of one function, an actor on the loop: requests go to a ready worker
/// with room (least loaded first); past the function's `max_concurrency` they wait in a
/// bounded queue, and past that they get the overflow status. Workers are started as needed up
/// to `max_workers` (`min_warm` of them ahead of any request), replaced when they die, and
/// retired after `idle_ttl_seconds` without work.
public actor WorkerPool {
    public nonisolated let loop: EventLoop
    public nonisolated let name: String
    private let command: WorkerCommand
    private let settings: WorkerPoolSettings
    private let logger: Logger
    private var workers: [WorkerProcess] = []
    private var waiting: [Waiting] = []
    private var sweep: LoopTimer?
    /// The last failure to start or load a worker, and when: while it is recent, requests
    /// get it at once instead of each starting a worker that fails the same way.
    private var failure: (message: String, at: UInt64)?
    /// Workers that died (not retired) and requests past the function's timeout, for the metrics.
    private var deaths = 0
    private var timeouts = 0
    private var stopped = false

    /// Confined to the loop thread, with the pool.
    private final class Waiting {
        let event: [UInt8]
        let member: WorkerMember?
        let completion: (WorkerOutcome) -> Void
        /// Set for a request past `max_concurrency`: how long it may wait.
        var deadline: LoopTimer?

        init(event: [UInt8], member: WorkerMember?, completion: @escaping (WorkerOutcome) -> Void) {
            self.event = event
            self.member = member
            self.completion = completion
        }
    }

    /// How long a failure to start or load is answered at once before a worker is tried again.
    private static let failureBackoffMilliseconds: UInt64 = 2_000

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    public init(loop: EventLoop, name: String, command: WorkerCommand, settings: WorkerPoolSettings, logger: Logger) {
        self.loop = loop
        self.name = name
        self.command = command
        self.settings = settings
        self.logger = logger
    }

    // MARK: the loop thread's entry points

    /// How the first worker of a pool loaded.
    public enum FirstLoad: Sendable {
        /// It is ready; of the functions it serves, these did not load (by file, with why).
        case loaded(failedMembers: [String: String])
        case failed(String)
    }

    /// Starts `min_warm` workers and the idle sweep. On the loop thread. `firstLoad`: a worker
    /// is started at once (even with no `min_warm`), and this is told how it loaded.
    public nonisolated func start(firstLoad: (@Sendable (FirstLoad) -> Void)? = nil) {
        assumeIsolated { pool in
            let sweep = LoopTimer(loop: pool.loop)
            sweep.start(after: 1_000, repeat: 1_000) { [weak pool] in pool?.assumeIsolated { $0.retireIdle() } }
            pool.sweep = sweep
            pool.firstLoad = firstLoad
            if firstLoad != nil && !pool.startWorker() { pool.reportFirstLoad(.failed(pool.failure?.message ?? "cannot start a worker")) }
            pool.keepWarm()
        }
    }

    private var firstLoad: (@Sendable (FirstLoad) -> Void)?

    private func reportFirstLoad(_ load: FirstLoad) {
        let report = firstLoad
        firstLoad = nil
        report?(load)
    }

    /// Sends `event` (the JSON of FastFN's event) to a worker, for `member` if its workers serve
    /// several functions; `completion` runs once, on the loop thread. Call on the loop thread.
    public nonisolated func invoke(
        _ event: [UInt8], for member: WorkerMember? = nil, then completion: @escaping @Sendable (WorkerOutcome) -> Void
    ) {
        assumeIsolated { pool in
            pool.admit(event, member) { outcome in
                if case .failed(504, _, _) = outcome { pool.assumeIsolated { $0.timeouts += 1 } }
                completion(outcome)
            }
        }
    }

    /// Takes no more requests: each worker ends once its requests have (a reload replaces the
    /// pool). On the loop thread.
    public nonisolated func retire() {
        assumeIsolated { pool in
            pool.stopped = true
            pool.sweep?.close()
            pool.sweep = nil
            for request in pool.waiting { pool.fail(request, .failed(status: 503, error: "function reloading")) }
            pool.waiting.removeAll()
            pool.workers.forEach { $0.retire() }
        }
    }

    /// The pool's state, for `/_apus/health`. On the loop thread.
    public nonisolated var status: WorkerPoolStatus {
        assumeIsolated { pool in
            WorkerPoolStatus(
                workers: pool.workers.count, ready: pool.workers.filter(\.isReady).count,
                inFlight: pool.inFlight, queued: pool.waiting.count, lastFailure: pool.failure?.message,
                deaths: pool.deaths, timeouts: pool.timeouts,
                failedMembers: pool.workers.first(where: \.isReady)?.failedMembers ?? [:])
        }
    }

    // MARK: requests

    private var inFlight: Int { workers.reduce(0) { $0 + $1.inFlightCount } }

    private func admit(_ event: [UInt8], _ member: WorkerMember?, _ completion: @escaping (WorkerOutcome) -> Void) {
        guard !stopped else { return completion(.failed(status: 503, error: "function reloading")) }
        if let failure, loop.now - failure.at < Self.failureBackoffMilliseconds, !workers.contains(where: \.isReady) {
            return completion(.failed(status: 503, error: WorkerOutcome.unavailable, detail: failure.message))
        }
        // A worker with room and nobody ahead: straight to it.
        if waiting.isEmpty, inFlight < settings.maxConcurrency, let worker = leastLoadedReady() {
            return worker.send(event: event, member: member, timeoutMilliseconds: settings.timeoutMilliseconds, completion: completion)
        }
        let request = Waiting(event: event, member: member, completion: completion)
        let beyond = inFlight + waiting.count - settings.maxConcurrency
        if beyond >= 0 {
            guard beyond < settings.maxQueue else {
                return completion(.failed(status: settings.overflowStatus, error: "worker pool overflow"))
            }
            let timer = LoopTimer(loop: loop)
            let wait = settings.queueTimeoutMilliseconds > 0 ? settings.queueTimeoutMilliseconds : settings.timeoutMilliseconds
            let waiter = LoopBound(Weak(request), on: loop)
            timer.start(after: wait) { [weak self] in
                guard let self else { return }
                assumeIsolated { pool in
                    if let request = waiter.value.object { pool.queueTimedOut(request) }
                }
            }
            request.deadline = timer
        }
        waiting.append(request)
        pump()
    }

    private func queueTimedOut(_ request: Waiting) {
        guard let index = waiting.firstIndex(where: { $0 === request }) else { return }
        waiting.remove(at: index)
        fail(request, .failed(status: settings.overflowStatus, error: "worker pool queue timeout"))
    }

    private func fail(_ request: Waiting, _ outcome: WorkerOutcome) {
        request.deadline?.close()
        request.deadline = nil
        request.completion(outcome)
    }

    /// Hands waiting requests to workers with room, and starts workers for the rest.
    private func pump() {
        while !waiting.isEmpty, inFlight < settings.maxConcurrency, let worker = leastLoadedReady() {
            let request = waiting.removeFirst()
            request.deadline?.close()
            request.deadline = nil
            worker.send(event: request.event, member: request.member, timeoutMilliseconds: settings.timeoutMilliseconds, completion: request.completion)
        }
        guard !waiting.isEmpty else { return }
        let room = workers.filter { !$0.isRetiring && !$0.isExited }.reduce(0) { $0 + command.concurrency - $1.inFlightCount }
        let starting = workers.contains { !$0.isReady && !$0.isRetiring && !$0.isExited }
        if waiting.count > room || !starting && room == 0 {
            startWorker()
        }
    }

    /// The ready worker with the fewest requests, if one has room.
    private func leastLoadedReady() -> WorkerProcess? {
        var best: WorkerProcess?
        for worker in workers where worker.isReady && !worker.isRetiring && worker.inFlightCount < command.concurrency {
            if best == nil || worker.inFlightCount < best!.inFlightCount { best = worker }
        }
        return best
    }

    // MARK: workers

    private func keepWarm() {
        while !stopped && workers.filter({ !$0.isRetiring }).count < settings.minWarm {
            guard startWorker() else { return }
        }
    }

    @discardableResult
    private func startWorker() -> Bool {
        guard !stopped, workers.filter({ !$0.isRetiring }).count < settings.maxWorkers else { return false }
        // The worker's events name it; it exists only once its initializer returns.
        let started = LoopBound(Weak<WorkerProcess>(nil), on: loop)
        let worker: WorkerProcess
        do {
            worker = try WorkerProcess(loop: loop, name: name, command: command, logger: logger) { [weak self] event in
                guard let self else { return }
                assumeIsolated { pool in
                    guard let worker = started.value.object else { return }
                    pool.workerEvent(worker, event)
                }
            }
        } catch {
            failed("cannot start \(command.executable): \(error.message)")
            return false
        }
        started.value = Weak(worker)
        workers.append(worker)
        return true
    }

    private func workerEvent(_ worker: WorkerProcess, _ event: WorkerProcess.Event) {
        switch event {
        case .loaded(nil):
            failure = nil
            reportFirstLoad(.loaded(failedMembers: worker.failedMembers))
            pump()
        case .loaded(let message?):
            failed(message)
            reportFirstLoad(.failed(message))
        case .freed:
            pump()
        case .exited:
            if !worker.isRetiring { deaths += 1 }
            workers.removeAll { $0 === worker }
            if firstLoad != nil { reportFirstLoad(.failed("its worker exited before it loaded the function")) }
            guard !stopped else { return }
            if failure == nil || loop.now - failure!.at >= Self.failureBackoffMilliseconds {
                keepWarm()
                pump()
            }
        }
    }

    /// A worker could not start or load its function: the waiting requests get 503 (with why,
    /// for `apus dev`), and so does every request for a while.
    private func failed(_ message: String) {
        logger.error("[\(name)] \(message)")
        failure = (message, loop.now)
        let waiting = self.waiting
        self.waiting.removeAll()
        for request in waiting { fail(request, .failed(status: 503, error: WorkerOutcome.unavailable, detail: message)) }
    }

    private func retireIdle() {
        let now = loop.now
        var active = workers.filter { !$0.isRetiring && !$0.isExited }.count
        let kept = max(settings.minWarm, settings.keepsOneWorker ? 1 : 0)
        for worker in workers where active > kept && worker.isReady && !worker.isRetiring
            && worker.inFlightCount == 0 && now - worker.idleSince >= settings.idleSeconds * 1_000 {
            worker.retire()
            active -= 1
        }
    }
}

/// A pool's state for health checks.
public struct WorkerPoolStatus: Sendable {
    public let workers: Int
    public let ready: Int
    public let inFlight: Int
    public let queued: Int
    public let lastFailure: String?
    /// Workers that died since the pool started (each replaced), requests past the timeout.
    public let deaths: Int
    public let timeouts: Int
    /// Of the functions its workers serve, those that did not load (by file, with why).
    public let failedMembers: [String: String]

    /// The pool's state as one of the functions it serves sees it: one that did not load
    /// has no ready worker, and why as its last failure.
    public func seen(by file: String) -> WorkerPoolStatus {
        guard let failure = failedMembers[file] else { return self }
        return WorkerPoolStatus(
            workers: workers, ready: 0, inFlight: inFlight, queued: queued, lastFailure: failure, deaths: deaths,
            timeouts: timeouts, failedMembers: [file: failure])
    }
}
