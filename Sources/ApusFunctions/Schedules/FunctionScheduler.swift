internal import FoundationEssentials
internal import Logging

/// What the scheduler needs from the world: a clock, one timer, a way to invoke a function, the
/// calendar, and somewhere to keep its state. The server's is `LiveScheduleEnvironment`; tests
/// give a fake clock.
protocol ScheduleEnvironment: AnyObject {
    /// Epoch seconds.
    var now: Double { get }
    /// Runs `body` once after `seconds`, replacing the timer set before.
    func arm(after seconds: Double, _ body: @escaping () -> Void)
    /// Invokes the schedule's function; `then` gets the status (0: no answer) and body.
    func invoke(_ schedule: FunctionsManifest.Schedule, attempt: Int, then: @escaping (_ status: Int, _ body: [UInt8]) -> Void)
    /// The next time a cron schedule is due after `after`, or nil if none is.
    func nextCronRun(_ schedule: FunctionsManifest.Schedule, after: Double, then: @escaping (Double?) -> Void)
    /// Keeps the state file's bytes.
    func save(_ state: [UInt8])
    /// A number in 0..<1, for the retries' jitter.
    func random() -> Double
}

/// Runs a tree's schedules (`fn.config.json`'s `schedule`), on the loop thread: each is due at
/// its next time (`every_seconds` on the epoch's multiples, as FastFN aligns them, or its
/// cron's next match), is invoked through the server's own routes, and is retried with
/// exponential back-off after a failure (no answer, 429, 503 or any 5xx) while attempts are
/// left. A run due while the previous one still runs waits for it (`overlap: "queue"`, missed
/// runs collapsing into one, as under FastFN) or is skipped (`"skip"`). The state is saved after
/// each change, and a restart picks it up: a run that came due meanwhile starts at once.
final class FunctionScheduler {
    private struct Entry {
        var schedule: FunctionsManifest.Schedule
        var state: ScheduleState
        var running = false
        /// A run came due while this one ran (`overlap: "queue"`).
        var queued = false
        /// Bumped when the entry's schedule changes: answers for an older one are dropped.
        var generation = 0
    }

    private let environment: any ScheduleEnvironment
    private let logger: Logger
    private var entries: [String: Entry] = [:]
    /// State read from the file at start, for schedules not yet seen.
    private var restored: [String: ScheduleState]
    private var stopped = false
    private var generations = 0

    init(environment: any ScheduleEnvironment, restored: [String: ScheduleState], logger: Logger) {
        self.environment = environment
        self.restored = restored
        self.logger = logger
    }

    /// The tree's schedules, at start and after each reload: a schedule that did not change
    /// keeps its state and timing; a new or changed one starts afresh (or from the state file).
    func update(_ schedules: [FunctionsManifest.Schedule]) {
        var next: [String: Entry] = [:]
        for schedule in schedules {
            if var kept = entries[schedule.key] {
                if kept.schedule != schedule {
                    kept.schedule = schedule
                    kept.state.next = nil
                    kept.state.retryDue = nil
                    kept.state.retryAttempt = nil
                    generations += 1
                    kept.generation = generations
                }
                next[schedule.key] = kept
            } else {
                generations += 1
                next[schedule.key] = Entry(schedule: schedule, state: restored.removeValue(forKey: schedule.key) ?? ScheduleState(),
                                           generation: generations)
            }
        }
        entries = next
        for key in entries.keys.sorted() where entries[key]?.state.next == nil {
            computeNext(key, after: environment.now)
        }
        arm()
        save()
    }

    func stop() {
        stopped = true
    }

    var isEmpty: Bool { entries.isEmpty }

    // MARK: timing

    /// Sets the timer for the earliest run due; at most a minute away, so that a wall clock
    /// that jumps is followed.
    private func arm() {
        guard !stopped else { return }
        // A running schedule's next run still comes due (to be queued or skipped); its retry waits.
        let dues = entries.values.flatMap { entry -> [Double] in
            [entry.state.next, entry.running ? nil : entry.state.retryDue].compactMap { $0 }
        }
        guard let earliest = dues.min() else { return }
        let delay = min(60, max(0, earliest - environment.now))
        environment.arm(after: delay) { [weak self] in self?.tick() }
    }

    private func tick() {
        guard !stopped else { return }
        let now = environment.now
        for key in entries.keys.sorted() {
            guard let entry = entries[key] else { continue }
            if !entry.running, let due = entry.state.retryDue, due <= now {
                entries[key]!.state.retryDue = nil
                run(key, attempt: entry.state.retryAttempt ?? 2)
            }
            guard let due = entries[key]?.state.next, due <= now else { continue }
            computeNext(key, after: now)
            if entries[key]!.running {
                if entries[key]!.schedule.schedule.overlap == "skip" {
                    entries[key]!.state.skipped += 1
                    logger.warning("schedule \(key): skipped, its previous run is still running")
                } else {
                    entries[key]!.queued = true
                }
            } else {
                // A regular run takes the place of a retry still waiting.
                entries[key]!.state.retryDue = nil
                entries[key]!.state.retryAttempt = nil
                run(key, attempt: 1)
            }
        }
        arm()
        save()
    }

    private func computeNext(_ key: String, after: Double) {
        guard let entry = entries[key] else { return }
        entries[key]!.state.next = nil
        if let every = entry.schedule.schedule.everySeconds, every > 0 {
            let step = Double(every)
            entries[key]!.state.next = (after / step).rounded(.down) * step + step
            return
        }
        let generation = entry.generation
        environment.nextCronRun(entry.schedule, after: after) { [weak self] moment in
            guard let self, !stopped, entries[key]?.generation == generation else { return }
            guard let moment else {
                return logger.error("schedule \(key): its cron matches no time in the next two years; it will not run")
            }
            entries[key]!.state.next = moment
            arm()
            save()
        }
    }

    // MARK: runs

    private func run(_ key: String, attempt: Int) {
        guard let entry = entries[key] else { return }
        entries[key]!.running = true
        entries[key]!.state.last = environment.now
        entries[key]!.state.runs += 1
        let generation = entry.generation
        environment.invoke(entry.schedule, attempt: attempt) { [weak self] status, body in
            guard let self, entries[key]?.generation == generation else { return }
            finished(key, attempt: attempt, status: status, body: body)
        }
    }

    private func finished(_ key: String, attempt: Int, status: Int, body: [UInt8]) {
        var entry = entries[key]!
        entry.running = false
        entry.state.lastStatus = status
        let retry = entry.schedule.schedule.retry
        if (200..<400).contains(status) {
            entry.state.lastError = ""
            logger.debug("schedule \(key): \(status)")
        } else {
            entry.state.failures += 1
            let reason = Self.reason(status: status, body: body)
            let retryable = status == 0 || status == 429 || status >= 500
            if retry.enabled, retryable, attempt < retry.maxAttempts {
                let delay = retryDelay(retry, attempt: attempt)
                entry.state.retryDue = environment.now + delay
                entry.state.retryAttempt = attempt + 1
                entry.state.lastError = "retrying \(attempt + 1)/\(retry.maxAttempts) in \(Self.seconds(delay))s: \(reason)"
            } else {
                entry.state.retryDue = nil
                entry.state.retryAttempt = nil
                entry.state.lastError = reason
            }
            if entry.state.lastError.utf8.count > ScheduleStateFile.longestError {
                entry.state.lastError = String(entry.state.lastError.prefix(ScheduleStateFile.longestError)) + "...<truncated>"
            }
            logger.error("schedule \(key): \(entry.state.lastError) (attempt \(attempt) of \(retry.enabled ? retry.maxAttempts : 1))")
        }
        let queued = entry.queued
        entry.queued = false
        entries[key] = entry
        if queued && !stopped { run(key, attempt: 1) }
        arm()
        save()
    }

    /// `base * 2^(attempt-1)`, at most `max`, give or take `jitter` of it (FastFN's back-off).
    private func retryDelay(_ retry: FunctionsManifest.Schedule.Retry, attempt: Int) -> Double {
        let delay = min(retry.maxDelaySeconds, retry.baseDelaySeconds * Double(1 << min(attempt - 1, 20)))
        return max(0, delay * (1 + retry.jitter * (2 * environment.random() - 1)))
    }

    /// What failed: the function's own `{"error": ...}`, else its status.
    private static func reason(status: Int, body: [UInt8]) -> String {
        if status == 0 { return "no answer" }
        if case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)),
           case .string(let error)? = fields["error"] {
            return "status \(status): \(error)"
        }
        return "status \(status)"
    }

    private static func seconds(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }

    // MARK: state

    private func save() {
        guard !stopped else { return }
        var file = ScheduleStateFile(savedAt: environment.now, schedules: restored)
        for (key, entry) in entries { file.schedules[key] = entry.state }
        environment.save(file.encoded())
    }

    /// Each schedule for the health report and `GET /_fn/schedules`: its key, function, settings
    /// and state, in key order.
    func snapshot() -> [(schedule: FunctionsManifest.Schedule, state: ScheduleState, running: Bool)] {
        entries.keys.sorted().map { key in (entries[key]!.schedule, entries[key]!.state, entries[key]!.running) }
    }
}
