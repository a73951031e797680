internal import ApusHTTP
internal import ApusLoop
internal import FoundationEssentials
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// A tree's schedules in one server process, on the loop thread: the process that holds the
/// schedules' lock (`ScheduleLock`) runs them (`FunctionScheduler`); the others (`--workers N`)
/// try for the lock every two seconds, so one takes over when the holder ends. State lives in
/// `<tree>/.fastfn/scheduler-state.json`, as FastFN keeps it (a temporary folder if the tree
/// cannot be written). `APUS_SCHEDULER=off` turns schedules off in a process, as
/// `FN_SCHEDULER_ENABLED=0` does under FastFN.
final class ScheduleRunner {
    private let root: String
    private let responder: any HTTPResponder
    private let logger: Logger
    private let disabled: Bool
    private var loop: EventLoop?
    private var schedules: [FunctionsManifest.Schedule] = []
    private var lock: ScheduleLock?
    private var lockTimer: LoopTimer?
    private var scheduler: FunctionScheduler?
    private var environment: LiveScheduleEnvironment?
    private var stateFile = ""
    private var saidDisabled = false

    init(root: String, responder: any HTTPResponder, logger: Logger) {
        self.root = root
        self.responder = responder
        self.logger = logger
        let setting = (ProcessInfo.processInfo.environment["APUS_SCHEDULER"] ?? "").lowercased()
        disabled = ["off", "0", "false", "no"].contains(setting)
    }

    func start(on loop: EventLoop, _ schedules: [FunctionsManifest.Schedule]) {
        self.loop = loop
        update(schedules)
    }

    /// The tree's schedules changed (a reload).
    func update(_ schedules: [FunctionsManifest.Schedule]) {
        self.schedules = schedules
        if let scheduler { return scheduler.update(schedules) }
        guard let loop, !schedules.isEmpty else { return }
        if disabled {
            if !saidDisabled { logger.info("schedules: \(schedules.count), not run here (APUS_SCHEDULER=off)") }
            saidDisabled = true
            return
        }
        tryToRun()
        if scheduler == nil, lockTimer == nil {
            let timer = LoopTimer(loop: loop)
            lockTimer = timer
            timer.start(after: 2000, repeat: 2000) { [weak self] in self?.tryToRun() }
        }
    }

    func stop() {
        scheduler?.stop()
        environment?.close()
        lockTimer?.close()
        lockTimer = nil
    }

    private func tryToRun() {
        guard let loop, scheduler == nil, !schedules.isEmpty else { return }
        if lock == nil {
            let folder = Self.stateFolder(root)
            stateFile = folder + "/scheduler-state.json"
            lock = ScheduleLock(path: folder + "/scheduler.lock")
        }
        switch lock!.tryAcquire() {
        case .failure(let failure):
            lockTimer?.close()
            lockTimer = nil
            return logger.error("schedules: not run, their lock \(lock!.path) cannot be opened: \(failure.reason)")
        case .success(false):
            return
        case .success(true):
            break
        }
        lockTimer?.close()
        lockTimer = nil
        let environment = LiveScheduleEnvironment(loop: loop, responder: responder, stateFile: stateFile, logger: logger)
        let scheduler = FunctionScheduler(environment: environment, restored: restoredState(), logger: logger)
        self.environment = environment
        self.scheduler = scheduler
        logger.info("schedules: \(schedules.count) run by this process (state in \(stateFile))")
        scheduler.update(schedules)
    }

    private func restoredState() -> [String: ScheduleState] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: stateFile)) else { return [:] }
        switch ScheduleStateFile.decode(Array(data)) {
        case .success(let state): return state
        case .failure(let failure):
            logger.warning("schedules: \(stateFile) is not a state file (\(failure.reason)); starting afresh")
            return [:]
        }
    }

    /// `<root>/.fastfn` (where the jobs are kept too), made if missing; else a folder of this user's under the temporary
    /// folder, named after the tree.
    static func stateFolder(_ root: String) -> String {
        let folder = root + "/.fastfn"
        if mkdir(folder, 0o755) == 0 || errno == EEXIST { return folder }
        let name = CompiledFunction.fingerprint([Array(root.utf8)])
        let temporary = (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/apus-schedules-\(getuid())-\(name)"
        _ = mkdir(temporary, 0o700)
        return temporary
    }

    // MARK: health

    /// Whether this process runs the schedules.
    var runsHere: Bool { scheduler != nil }

    /// The `schedules` member of the health report.
    func healthJSON(into json: inout JSONWriter) {
        json.raw("{\"runs_here\":\(runsHere),\"items\":")
        itemsJSON(into: &json)
        json.raw("}")
    }

    /// Each schedule, and its state where this process runs them: a JSON array in key order.
    func itemsJSON(into json: inout JSONWriter) {
        let snapshot = scheduler?.snapshot() ?? []
        let states = Dictionary(uniqueKeysWithValues: snapshot.map { ($0.schedule.key, ($0.state, $0.running)) })
        json.array(schedules) { json, schedule in
            json.raw("{\"key\":"); json.string(schedule.key)
            json.raw(",\"function\":"); json.string(schedule.function)
            if let every = schedule.schedule.everySeconds {
                json.raw(",\"every_seconds\":\(every)")
            } else {
                json.raw(",\"cron\":"); json.optionalString(schedule.schedule.cron)
                json.raw(",\"timezone\":"); json.string(schedule.schedule.timezone)
            }
            guard let (state, running) = states[schedule.key] else { return json.raw("}") }
            json.raw(",\"running\":\(running),\"runs\":\(state.runs),\"failures\":\(state.failures),\"skipped\":\(state.skipped)")
            json.raw(",\"next\":\(Self.number(state.next)),\"last\":\(Self.number(state.last))")
            json.raw(",\"last_status\":\(state.lastStatus.map(String.init) ?? "null"),\"last_error\":")
            json.string(state.lastError)
            json.raw(",\"retry_due\":\(Self.number(state.retryDue))}")
        }
    }

    private static func number(_ value: Double?) -> String {
        guard let value else { return "null" }
        return String((value * 1000).rounded() / 1000)
    }
}
