public import ApusLoop
public import Logging
internal import ApusHTTP
#if canImport(Glibc)
internal import Glibc
#endif

/// Runs worker processes (`apus run --workers N`, `--reload`) and keeps them running: a worker
/// that dies is replaced at once (with a growing delay if it keeps dying right after start),
/// SIGINT/SIGTERM are passed on so every worker shuts down gracefully, and SIGHUP restarts the
/// workers one at a time with no downtime: a new worker starts, and once it says it is ready
/// (it has bound the shared port) the old one drains and exits, then the next.
///
/// An actor on the loop: process exits, timers and signals arrive on the loop thread and reach
/// its state through `assumeIsolated`.
public actor ProcessSupervisor {
    public struct Options: Sendable {
        public var executable: String
        /// The arguments of worker `index`.
        public var arguments: @Sendable (_ index: Int) -> [String]
        public var workers: Int
        /// Descriptors every worker inherits, from 4 on (3 is its readiness pipe).
        public var inherited: [Int32]
        /// Restart every worker when a watched source file changes.
        public var reload: SourceWatcher.Settings?
        /// The listening socket the workers share: while none can serve (under `reload`, an app
        /// that fails to start), the supervisor answers on it itself (503).
        public var listeningDescriptor: Int32?
        public var gracefulTimeoutMilliseconds: UInt64

        public init(executable: String, arguments: @escaping @Sendable (Int) -> [String], workers: Int,
                    inherited: [Int32] = [], reload: SourceWatcher.Settings? = nil, listeningDescriptor: Int32? = nil,
                    gracefulTimeoutMilliseconds: UInt64 = 10_000) {
            self.executable = executable
            self.arguments = arguments
            self.workers = workers
            self.inherited = inherited
            self.reload = reload
            self.listeningDescriptor = listeningDescriptor
            self.gracefulTimeoutMilliseconds = gracefulTimeoutMilliseconds
        }
    }

    struct Slot {
        var child: ChildProcess?
        var startedAt: UInt64 = 0
        var restartDelay: UInt64 = 0
        /// Its worker said it is serving.
        var ready = false
        /// Its worker was stopped for a reload: the replacement is the point, not a crash.
        var reloading = false
        /// Under --reload, its worker could not start the app: nothing starts until a change.
        var waitingForChange = false
    }

    /// What the supervisor has done, for the metrics (`WorkersMetricsEndpoint`).
    public struct Counts: Sendable {
        /// Workers started, the first ones included.
        public var started = 0
        /// Workers that died (a crash, a failed import), not asked to stop.
        public var died = 0
        /// Workers that finished by themselves (`--limit-max-requests`).
        public var finished = 0
        /// Restarts for a change of the sources (`--reload`) or a SIGHUP.
        public var reloads = 0
    }

    public private(set) var counts = Counts()
    public nonisolated let loop: EventLoop
    let options: Options
    let logger: Logger
    var slots: [Slot]
    private(set) var stopping = false
    var watcher: SourceWatcher?
    /// Answers on the workers' socket while none can (see `Options.listeningDescriptor`).
    var standIn: HTTPServer?
    private var timers: [LoopTimer] = []
    private var signals: [SignalWatcher] = []
    private var finished: CheckedContinuation<Void, Never>?
    /// A SIGHUP restart in progress: the slot being replaced, and the old worker retiring.
    private var rolling: (index: Int, retiring: Int32?)?
    /// A started replacement that has not said it is ready yet.
    private var incoming: Incoming?

    private struct Started {
        let child: ChildProcess
        let readiness: ReadinessPipe
    }

    private struct Incoming {
        let worker: Started
        let deadline: LoopTimer
    }

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    public init(loop: EventLoop, options: Options, logger: Logger) {
        self.loop = loop
        self.options = options
        self.logger = logger
        slots = Array(repeating: Slot(), count: max(1, options.workers))
    }

    /// Watches SIGINT, SIGTERM and SIGHUP from now on: call before the server is announced, so
    /// that a stop sent as soon as it is is never missed (the default action would end the
    /// supervisor at once, not gracefully). `run` calls it if it was not.
    public func watchSignals() {
        guard signals.isEmpty else { return }
        for signal in [SIGINT, SIGTERM] {
            if let watcher = try? SignalWatcher(loop: loop, signal: signal, { [unowned self] signal in
                assumeIsolated { $0.stop(signal) }
            }) {
                signals.append(watcher)
            }
        }
        if let watcher = try? SignalWatcher(loop: loop, signal: SIGHUP, { [unowned self] _ in
            assumeIsolated { $0.startRollingRestart() }
        }) {
            signals.append(watcher)
        }
    }

    /// Starts the workers and supervises them until SIGINT/SIGTERM, then stops them all.
    public func run() async {
        watchSignals()
        guard !stopping else {
            // Stopped between the announcement and here: no worker was started.
            signals.forEach { $0.close() }
            return
        }
        startPaced()
        if let reload = options.reload {
            watcher = SourceWatcher(reload)
            logger.info("Will watch for changes in these directories: \(reload.roots)")
            let poll = LoopTimer(loop: loop)
            let period = max(reload.pollMilliseconds, 10)
            poll.start(after: period, repeat: period) { [unowned self] in assumeIsolated { $0.checkSources() } }
            timers.append(poll)
        }
        await withCheckedContinuation { finished = $0 }
        timers.forEach { $0.close() }
        startPacer?.close()
        restartTimers.values.forEach { $0.close() }
        signals.forEach { $0.close() }
    }

    /// Starts the workers a few at a time (`startBatch` each `startPauseMilliseconds`), so
    /// that signals are heard between batches: a stop during start-up starts no more of them,
    /// and a large count never forks all at once.
    private func startPaced() {
        startNextBatch()
        guard nextToStart < slots.count else { return }
        let pacer = LoopTimer(loop: loop)
        pacer.start(after: Self.startPauseMilliseconds, repeat: Self.startPauseMilliseconds) { [unowned self] in
            assumeIsolated { $0.startNextBatch() }
        }
        startPacer = pacer
    }

    private func startNextBatch() {
        guard !stopping else { return startPacer?.stop() ?? () }
        let end = min(slots.count, nextToStart + Self.startBatch)
        while nextToStart < end {
            spawn(nextToStart)
            nextToStart += 1
        }
        if nextToStart == slots.count { startPacer?.stop() }
    }

    /// The next slot `startPaced` starts, and its timer.
    private var nextToStart = 0
    private var startPacer: LoopTimer?

    static let startBatch = 4
    static let startPauseMilliseconds: UInt64 = 50

    func spawn(_ index: Int) {
        guard !stopping else { return }
        guard let child = start(index, onReady: { [unowned self] ready in
            // Only a `true` counts: a pipe whose worker died says false, perhaps late.
            if ready { assumeIsolated { $0.slots[index].ready = true } }
        }) else { return scheduleRestart(index) }
        slots[index].child = child.child
        slots[index].startedAt = loop.now
        slots[index].ready = false
        counts.started += 1
        logger.info("Started worker process [\(child.child.pid)]")
    }

    /// Starts a worker for slot `index`, with the pipe on which it says it is ready.
    private func start(_ index: Int, onReady: @escaping @Sendable (Bool) -> Void) -> Started? {
        do {
            let readiness = try ReadinessPipe(loop: loop, onReady: onReady)
            do {
                let child = try ChildProcess(
                    loop: loop, executable: options.executable, arguments: options.arguments(index), readiness: readiness,
                    inherited: options.inherited
                ) { [unowned self] status, signal, pid in
                    assumeIsolated { $0.exited(index, pid: pid, status: status, signal: signal) }
                }
                return Started(child: child, readiness: readiness)
            } catch {
                readiness.close()
                throw error
            }
        } catch {
            logger.error("cannot start a worker: \(error)")
            return nil
        }
    }

    private func exited(_ index: Int, pid: Int32, status: Int64, signal: Int32) {
        guard slots[index].child?.pid == pid else { return retiredExited(pid) }
        slots[index].child = nil
        if stopping {
            if slots.allSatisfy({ $0.child == nil }) { finish() }
            return
        }
        let how = signal != 0 ? "signal \(signal)" : "status \(status)"
        if slots[index].reloading {
            slots[index].reloading = false
            counts.reloads += 1
            logger.info("Reloading: worker process [\(pid)] stopped; starting a new one")
            slots[index].restartDelay = 0
            return spawn(index)
        }
        if options.reload != nil && !slots[index].ready {
            counts.died += 1
            return failedToStart(index, pid: pid, how: how)
        }
        if status == 0 && signal == 0 {
            // It stopped by itself, cleanly (its --limit-max-requests): its turn is over.
            counts.finished += 1
            logger.info("Worker process [\(pid)] finished; starting a replacement")
            slots[index].restartDelay = 0
            return spawn(index)
        }
        counts.died += 1
        logger.warning("Worker process [\(pid)] died (\(how)); starting a replacement")
        let lived = loop.now - slots[index].startedAt
        // A worker that dies within a second of starting is probably failing at import: back
        // off (up to 8 s) instead of spinning.
        slots[index].restartDelay = lived < 1_000 ? min(8_000, max(250, slots[index].restartDelay * 2)) : 0
        scheduleRestart(index)
    }

    func scheduleRestart(_ index: Int) {
        let delay = slots[index].restartDelay
        guard delay > 0 else { return spawn(index) }
        let timer = restartTimers[index] ?? LoopTimer(loop: loop)
        restartTimers[index] = timer
        timer.start(after: delay) { [unowned self] in
            assumeIsolated { $0.spawn(index) }
        }
    }

    private var restartTimers: [Int: LoopTimer] = [:]


    // MARK: rolling restart (SIGHUP)

    private func startRollingRestart() {
        guard !stopping else { return }
        guard rolling == nil else { return logger.warning("SIGHUP: a restart is already in progress") }
        logger.info("SIGHUP: restarting the workers one at a time")
        counts.reloads += 1
        rolling = (0, nil)
        replaceNext()
    }

    /// Starts the replacement of the slot `rolling` points at, or ends the restart.
    private func replaceNext() {
        guard let roll = rolling, !stopping else { return }
        guard roll.index < slots.count else {
            rolling = nil
            return logger.info("SIGHUP: every worker restarted")
        }
        guard let started = start(roll.index, onReady: { [unowned self] ready in
            assumeIsolated { $0.replacementReady(ready) }
        }) else {
            rolling = nil
            return logger.error("SIGHUP: restart stopped, the old workers keep serving")
        }
        let deadline = LoopTimer(loop: loop)
        deadline.start(after: 60_000) { [unowned self] in assumeIsolated { $0.replacementReady(false) } }
        let newPID = started.child.pid
        let oldPID = slots[roll.index].child?.pid ?? 0
        incoming = Incoming(worker: started, deadline: deadline)
        logger.info("Started worker process [\(newPID)] to replace [\(oldPID)]")
    }

    /// The replacement bound its port (`ready`), or did not in time, or died first.
    private func replacementReady(_ ready: Bool) {
        guard let roll = rolling, let new = incoming else { return }
        incoming = nil
        new.deadline.close()
        new.worker.readiness.close()
        guard ready, !stopping else {
            new.worker.child.kill(SIGKILL)
            rolling = nil
            return logger.error("SIGHUP: worker [\(new.worker.child.pid)] did not become ready; the old workers keep serving")
        }
        let old = slots[roll.index].child
        slots[roll.index].child = new.worker.child
        slots[roll.index].startedAt = loop.now
        slots[roll.index].restartDelay = 0
        guard let old else {
            rolling = (roll.index + 1, nil)
            return replaceNext()
        }
        // The old worker drains its connections and exits; the next slot follows then.
        rolling = (roll.index, old.pid)
        old.kill(SIGTERM)
    }

    /// A worker that no slot holds exited: a retired one, or a replacement that failed.
    private func retiredExited(_ pid: Int32) {
        if stopping, slots.allSatisfy({ $0.child == nil }) { return finish() }
        if incoming?.worker.child.pid == pid { return replacementReady(false) }
        guard let roll = rolling, roll.retiring == pid else { return }
        logger.info("Retired worker process [\(pid)]")
        rolling = (roll.index + 1, nil)
        replaceNext()
    }

    private func stop(_ signal: Int32) {
        guard !stopping else { return }
        stopping = true
        stopStandIn()
        if let new = incoming {
            incoming = nil
            new.deadline.close()
            new.worker.readiness.close()
            new.worker.child.kill(SIGTERM)
        }
        logger.info("Stopping workers (signal \(signal))")
        let running = slots.compactMap(\.child)
        guard !running.isEmpty else { return finish() }
        running.forEach { $0.kill(SIGTERM) }
        let deadline = LoopTimer(loop: loop)
        deadline.start(after: options.gracefulTimeoutMilliseconds + 2_000) { [unowned self] in
            assumeIsolated { supervisor in
                for child in supervisor.slots.compactMap(\.child) { child.kill(SIGKILL) }
            }
        }
        timers.append(deadline)
    }

    private func finish() {
        finished?.resume()
        finished = nil
    }
}
