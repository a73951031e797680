public import ApusLoop
public import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// Runs worker processes (`apus run --workers N`, `--reload`) and keeps them running: a worker
/// that dies is replaced at once (with a growing delay if it keeps dying right after start),
/// and SIGINT/SIGTERM are passed on so every worker shuts down gracefully.
///
/// An actor on the loop: process exits, timers and signals arrive on the loop thread and reach
/// its state through `assumeIsolated`.
public actor ProcessSupervisor {
    public struct Options: Sendable {
        public var executable: String
        /// The arguments of worker `index`.
        public var arguments: @Sendable (_ index: Int) -> [String]
        public var workers: Int
        /// Restart every worker when a `.py` file under this directory changes.
        public var reloadDirectory: String?
        public var gracefulTimeoutMilliseconds: UInt64

        public init(executable: String, arguments: @escaping @Sendable (Int) -> [String], workers: Int,
                    reloadDirectory: String? = nil, gracefulTimeoutMilliseconds: UInt64 = 10_000) {
            self.executable = executable
            self.arguments = arguments
            self.workers = workers
            self.reloadDirectory = reloadDirectory
            self.gracefulTimeoutMilliseconds = gracefulTimeoutMilliseconds
        }
    }

    private struct Slot {
        var child: ChildProcess?
        var startedAt: UInt64 = 0
        var restartDelay: UInt64 = 0
    }

    public nonisolated let loop: EventLoop
    private let options: Options
    private let logger: Logger
    private var slots: [Slot]
    private var stopping = false
    private var watcher: SourceWatcher?
    private var timers: [LoopTimer] = []
    private var signals: [SignalWatcher] = []
    private var finished: CheckedContinuation<Void, Never>?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    public init(loop: EventLoop, options: Options, logger: Logger) {
        self.loop = loop
        self.options = options
        self.logger = logger
        slots = Array(repeating: Slot(), count: max(1, options.workers))
    }

    /// Starts the workers and supervises them until SIGINT/SIGTERM, then stops them all.
    public func run() async {
        for signal in [SIGINT, SIGTERM] {
            if let watcher = try? SignalWatcher(loop: loop, signal: signal, { [unowned self] signal in
                assumeIsolated { $0.stop(signal) }
            }) {
                signals.append(watcher)
            }
        }
        for index in slots.indices { spawn(index) }
        if let directory = options.reloadDirectory {
            watcher = SourceWatcher(root: directory)
            logger.info("Will watch for changes in \(directory)")
            let poll = LoopTimer(loop: loop)
            poll.start(after: 500, repeat: 500) { [unowned self] in assumeIsolated { $0.checkSources() } }
            timers.append(poll)
        }
        await withCheckedContinuation { finished = $0 }
        timers.forEach { $0.close() }
        restartTimers.values.forEach { $0.close() }
        signals.forEach { $0.close() }
    }

    private func spawn(_ index: Int) {
        guard !stopping else { return }
        do {
            let child = try ChildProcess(loop: loop, executable: options.executable, arguments: options.arguments(index)) {
                [unowned self] status, signal in
                assumeIsolated { $0.exited(index, status: status, signal: signal) }
            }
            slots[index].child = child
            slots[index].startedAt = loop.now
            logger.info("Started worker process [\(child.pid)]")
        } catch {
            logger.error("cannot start a worker: \(error)")
            scheduleRestart(index)
        }
    }

    private func exited(_ index: Int, status: Int64, signal: Int32) {
        let pid = slots[index].child?.pid ?? 0
        slots[index].child = nil
        if stopping {
            if slots.allSatisfy({ $0.child == nil }) { finish() }
            return
        }
        let how = signal != 0 ? "signal \(signal)" : "status \(status)"
        logger.warning("Worker process [\(pid)] died (\(how)); starting a replacement")
        let lived = loop.now - slots[index].startedAt
        // A worker that dies within a second of starting is probably failing at import: back
        // off (up to 8 s) instead of spinning.
        slots[index].restartDelay = lived < 1_000 ? min(8_000, max(250, slots[index].restartDelay * 2)) : 0
        scheduleRestart(index)
    }

    private func scheduleRestart(_ index: Int) {
        let delay = slots[index].restartDelay
        guard delay > 0 else { return spawn(index) }
        let timer = restartTimers[index] ?? LoopTimer(loop: loop)
        restartTimers[index] = timer
        timer.start(after: delay) { [unowned self] in
            assumeIsolated { $0.spawn(index) }
        }
    }

    private var restartTimers: [Int: LoopTimer] = [:]

    private func checkSources() {
        guard var watcher, !stopping else { return }
        let changed = watcher.changes()
        self.watcher = watcher
        guard !changed.isEmpty else { return }
        logger.warning("Detected changes in \(changed.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: ", ")). Reloading...")
        for index in slots.indices {
            // The replacement starts when the old worker has exited (see `exited`).
            slots[index].restartDelay = 0
            slots[index].startedAt = 0
            slots[index].child?.kill(SIGTERM)
        }
    }

    private func stop(_ signal: Int32) {
        guard !stopping else { return }
        stopping = true
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
