public import ActorRuntime
public import ApusLoop
internal import ApusWorkers
internal import FoundationEssentials
public import Logging

/// Serves a functions tree: `apus.functions` maps it to a FastAPI app (routes in FastFN's
/// precedence, Python functions as plans); its worker functions get a pool each.
///
/// Made on the main thread (it loads the tree and compiles its routes with the GIL); `attach`
/// then creates the pools on the server's loop before the server starts and, for `apus dev`,
/// watches the tree: a change loads the tree again on a thread of its own, and the new version
/// takes over on the loop (Python modules imported afresh; a worker function that changed gets
/// new workers once one of them has loaded it; the rest keep theirs).
public final class FunctionsHost: AdminHost, Sendable {
    public struct Options: Sendable {
        /// The tree's root.
        public var directory: String
        /// Where the language wrappers are (`apus/functions/runtimes`).
        public var runtimes: String
        /// Threads for Python `def` functions.
        public var threads: Int
        /// Errors are answered with what went wrong (an exception's message, a load error, the
        /// compiler's output), as `apus dev` shows them; otherwise only the log has them.
        public var development: Bool

        public init(directory: String, runtimes: String, threads: Int, development: Bool = false) {
            self.directory = directory
            self.runtimes = runtimes
            self.threads = threads
            self.development = development
        }
    }

    /// One loaded version of the tree.
    private struct Version {
        let tree: PyObjectRef
        let manifest: FunctionsManifest
        let plans: PlanResponder
        let application: ASGIApplication
        /// Every worker function of this version, by key.
        let workers: [String: WorkerFunctionResponder]
        /// Their pools (`WorkerGroup`), reused from the previous version where they are the same.
        let groups: [WorkerGroup.Identity: WorkerGroup]
        /// Reused groups whose functions changed, with their new functions and command.
        let regrouped: [Regrouping]
    }

    private struct Regrouping {
        let group: WorkerGroup
        let members: [FunctionsManifest.Worker]
        let command: Result<WorkerCommand, CompiledFunction.Failure>
    }

    /// What a reload is asked to renew: the folders that changed, or every worker function
    /// (the admin API's reload).
    private struct Renewal {
        var changes: Set<String> = []
        var everyWorker = false

        func covers(_ identity: WorkerGroup.Identity) -> Bool {
            everyWorker || changes.contains { FunctionsHost.isInside($0, identity.folder) }
        }
    }

    public let responder: FunctionsResponder
    /// The tree's app as first loaded (its lifespan runs as any app's).
    public let application: ASGIApplication
    /// What to say at start-up, each line at its level: the routes, files that did not load
    /// (errors), conflicts and warnings.
    public let report: [(level: Logger.Level, text: String)]
    private let options: Options
    private let asyncio: AsyncioThread
    private let executors: PythonExecutorPool
    private let logger: Logger
    private let loop: EventLoop
    /// What changes as the tree is served and reloaded, on the loop (`LoopBound`).
    private let state: LoopBound<State>

    private struct State {
        var version: Version
        var watcher: TreeWatcher?
        var reloading = false
        /// Versions loaded after the first.
        var reloads = 0
        var labelsRoutes = false
        var pendingChanges: Set<String> = []
        /// The tree's schedules, from `attach` on.
        var schedules: ScheduleRunner?
        /// Callers of the admin API's reload waiting for the one under way.
        var reloadWaiters: [(Result<Int, ReloadFailure>) -> Void] = []
        /// The next reload gives every worker function new workers (the admin API asked for it).
        var reloadsEveryWorker = false
        /// The callers the reload under way answers.
        var answeredByThisReload: [(Result<Int, ReloadFailure>) -> Void] = []
    }

    /// Label requests with their route templates for the metrics (`PlanResponder.labelsRoutes`),
    /// this version and the next ones. Set before the server starts.
    public var labelsRoutes: Bool {
        get { state.labelsRoutes }
        set {
            state.labelsRoutes = newValue
            state.version.plans.labelsRoutes = newValue
        }
    }

    /// `app`: an app the functions are added to, after its own routes (`--functions`); without
    /// one, the tree is served alone. `loop`: the server's, not started yet.
    public init(options: Options, addingTo app: ASGIApplication? = nil, loop: EventLoop, asyncio: AsyncioThread, logger: Logger) throws {
        self.options = options
        self.asyncio = asyncio
        self.logger = logger
        self.loop = loop
        let executors = PythonExecutorPool(maxThreads: options.threads)
        self.executors = executors
        let tree = try PythonModuleCall.call(
            "apus.functions", "load",
            [.text(options.directory), .none, app.map { .object($0.app) } ?? .none, .flag(options.development)])
        let version = try Self.build(tree, app: app, reusing: [:], Renewal(), loop, options, asyncio, executors, logger)
        application = version.application
        responder = FunctionsResponder(version.plans, rollouts: Self.rollouts(version.manifest), loop: loop)
        report = Self.report(version.manifest, missing: Self.missingLanguages(version.manifest, options))
            + Self.unplanned(version.plans).map { (.info, $0) } + [(.info, version.plans.summary)]
        state = LoopBound(State(version: version), on: loop)
        responder.state.treeMetrics = { [unowned self] text in collectMetrics(into: &text) }
        responder.state.onStop = { [executors, self] in
            state.watcher?.close()
            state.watcher = nil
            state.schedules?.stop()
            state.schedules = nil
            responder.state.admin?.stop()
            responder.state.admin = nil
            executors.shutdown()
        }
    }

    /// Creates and starts the worker pools on its loop (before the server takes requests), and
    /// with `hotReload`, watches the tree.
    public func attach(hotReload: Bool = false) {
        loop.execute { [self] in
            for group in state.version.groups.values { group.start() }
            let schedules = ScheduleRunner(root: options.directory, responder: responder, logger: logger)
            state.schedules = schedules
            schedules.start(on: loop, state.version.manifest.schedules)
            if let access = AdminAccess.fromEnvironment() {
                let jobs = FunctionJobs(
                    loop: loop, store: JobStore(folder: ScheduleRunner.stateFolder(options.directory) + "/jobs"),
                    responder: responder, limits: .fromEnvironment(), logger: logger)
                responder.state.admin = AdminResponder(host: self, access: access, responder: responder, jobs: jobs, logger: logger)
                logger.info("admin API on at /_fn/ (\(access.localOnly ? "from this machine, " : "")with the token of APUS_ADMIN_TOKEN)")
            }
            if hotReload {
                state.watcher = TreeWatcher(loop: loop, root: options.directory) { [weak self] folders in self?.changed(folders) }
            }
        }
    }

    // MARK: versions

    /// Loads a version of the tree (off the loop: Go and Rust builds run here). `existing`: the
    /// serving version's groups with their functions, read on the loop thread.
    private static func build(
        _ tree: PyObjectRef, app: ASGIApplication?, reusing existing: [WorkerGroup.Identity: (WorkerGroup, [FunctionsManifest.Worker])],
        _ renewal: Renewal, _ loop: EventLoop, _ options: Options, _ asyncio: AsyncioThread, _ executors: PythonExecutorPool,
        _ logger: Logger
    ) throws -> Version {
        let manifest = try FunctionsManifest.decode(try PythonModuleCall.text(tree, method: "manifest"))
        let application = try app ?? ASGIApplication.make(app: try PythonModuleCall.attribute(tree, "app"), options: ASGIApplication.Options())
        var workers: [String: WorkerFunctionResponder] = [:]
        var groups: [WorkerGroup.Identity: WorkerGroup] = [:]
        var regrouped: [Regrouping] = []
        for (identity, members) in WorkerGroup.identities(of: manifest.workers) {
            let group: WorkerGroup
            if let (reused, before) = existing[identity] {
                group = reused
                if renewal.covers(identity) || before != members {
                    regrouped.append(Regrouping(group: group, members: members, command: command(for: members, options)))
                }
            } else {
                group = WorkerGroup(members: members, command: command(for: members, options), loop: loop, logger: logger)
            }
            groups[identity] = group
            for function in members {
                workers[function.key] = WorkerFunctionResponder(function: function, group: group, showsErrorDetails: options.development)
            }
        }
        let asgi = ASGIResponder(application: application, asyncio: asyncio, logger: logger)
        let plans = try PlanResponder.make(asgi: asgi, sharing: executors, logger: logger, workers: workers)
        return Version(
            tree: tree, manifest: manifest, plans: plans, application: application, workers: workers, groups: groups,
            regrouped: regrouped)
    }

    private static func command(for group: [FunctionsManifest.Worker], _ options: Options) -> Result<WorkerCommand, CompiledFunction.Failure> {
        guard let runtime = WorkerRuntime.find(group[0].runtime, runtimes: options.runtimes) else {
            return .failure(.init(message: "\(group[0].runtime) functions are not supported", details: ""))
        }
        return runtime.command(for: group, environment: ProcessControl.environment)
    }

    private static func missingLanguages(_ manifest: FunctionsManifest, _ options: Options) -> [String] {
        Array(Set(manifest.workers.map(\.runtime).filter { WorkerRuntime.find($0, runtimes: options.runtimes)?.executable == nil })).sorted()
    }

    /// The routes that run through the app or FastAPI's own handler, with why (as `apus run`
    /// says them for an app alone).
    /// says them for an app alone). A reason many routes share (a tree served without FastAPI,
    /// where its files and answers are all the tree's own router's) is said once, with the count.
    private static func unplanned(_ plans: PlanResponder) -> [String] {
        let routes = plans.routes.filter { $0.kind == .asgi || $0.kind == .handler }
        var counts: [String: Int] = [:]
        for route in routes { counts[route.label, default: 0] += 1 }
        var said: Set<String> = []
        return routes.compactMap { route in
            let shared = counts[route.label, default: 0]
            if shared > 3 {
                return said.insert(route.label).inserted ? "\(shared) routes \(route.label)" : nil
            }
            return ([(route.methods ?? ["*"]).joined(separator: ","), route.path, route.location].filter { !$0.isEmpty }
                + [route.label]).joined(separator: " ")
        }
    }

    private static func report(_ manifest: FunctionsManifest, missing: [String]) -> [(level: Logger.Level, text: String)] {
        manifest.routes.map { (.info, "function \($0)") }
            + missing.map { (.warning, "\($0) is not installed: its functions answer 503") }
            + manifest.conflicts.map { (.warning, "conflict (answered 409): \($0)") }
            + manifest.errors.map { (.error, "\($0) (answered 503)") }
            + manifest.warnings.map { (.warning, "\($0)") }
            + manifest.rollouts.map { rollout in
                (.info, "rollout \(rollout.path): " + rollout.versions.map { "\(Self.percent($0.weight))% to \($0.path)" }.joined(separator: ", "))
            }
            + manifest.schedules.map { schedule in
                let when = schedule.schedule.everySeconds.map { "every \($0) s" }
                    ?? "cron \(schedule.schedule.cron ?? "?") (\(schedule.schedule.timezone))"
                return (.info, "schedule \(schedule.key) \(when) (\(schedule.config))")
            }
    }

    // MARK: health

    /// What the tree says of itself at the health endpoint (`HealthResponder`), on the loop
    /// thread: starting while a pool kept warm (`min_warm`) has no worker ready and has not
    /// failed; degraded while a file failed to load or a worker function cannot run (its build
    /// failed, its language is missing, its workers do not load). The details: the functions by language,
    /// each worker function's pool (workers, ready ones, requests in flight and queued, whether
    /// it last failed), the conflicts and load errors counted; what failed and why only under
    /// `apus dev` (the log has it always).
    public func healthReport() -> HealthResponder.Report {
        let development = options.development
        var json = JSONWriter(capacity: 1024)
        json.raw("\"functions\":")
        var counts: [String: Int] = [:]
        // Functions, not routes: a named function's `/x` and `/x/*` are one.
        for function in state.version.manifest.functions { counts[function.runtime, default: 0] += 1 }
        json.object(counts) { json, count in json.raw(String(count)) }
        json.raw(",\"runtimes\":")
        let languages = Set(state.version.workers.values.map(\.function.runtime))
        let byLanguage = Dictionary(uniqueKeysWithValues: languages.map { language in
            (language, state.version.workers.values.filter { $0.function.runtime == language }.sorted { $0.function.key < $1.function.key })
        })
        var starting = false
        var failing = false
        json.object(byLanguage) { json, workers in
            json.raw("{\"installed\":")
            json.raw(WorkerRuntime.find(workers[0].function.runtime, runtimes: options.runtimes)?.executable == nil ? "false" : "true")
            json.raw(",\"functions\":")
            json.object(Dictionary(uniqueKeysWithValues: workers.map { ($0.function.key, $0) })) { json, worker in
                guard let status = worker.poolStatus else {
                    failing = failing || worker.unavailable != nil
                    json.raw("{\"unavailable\":")
                    json.optionalString(development ? worker.unavailable ?? "not started" : WorkerOutcome.unavailable)
                    json.raw("}")
                    return
                }
                if status.ready == 0 {
                    if status.lastFailure != nil { failing = true } else if worker.group.keepsWarm { starting = true }
                }
                json.raw("{\"workers\":\(status.workers),\"ready\":\(status.ready),\"in_flight\":\(status.inFlight),")
                json.raw("\"queued\":\(status.queued),\"last_failure\":")
                json.optionalString(status.lastFailure.map { development ? $0 : WorkerOutcome.unavailable })
                json.raw("}")
            }
            json.raw("}")
        }
        let errors = state.version.manifest.errors
        json.raw(",\"conflicts\":\(state.version.manifest.conflicts.count),\"load_errors\":\(errors.count)")
        if let schedules = state.schedules, !state.version.manifest.schedules.isEmpty {
            json.raw(",\"schedules\":")
            schedules.healthJSON(into: &json)
        }
        if development {
            json.raw(",\"errors\":")
            json.array(errors) { json, error in json.string(error) }
        }
        return HealthResponder.Report(
            starting: starting, degraded: failing || !errors.isEmpty, details: String(decoding: json.output, as: UTF8.self))
    }

    // MARK: metrics

    /// Each worker function's pool, and the tree's reloads. On the loop thread.
    private func collectMetrics(into text: inout MetricsText) {
        text.family("apus_functions_reloads_total", .counter, "Times the functions tree was loaded again after a change.")
        text.sample("apus_functions_reloads_total", state.reloads)
        let pools = state.version.workers.values.compactMap { worker in worker.poolStatus.map { (worker.function, $0) } }
            .sorted { $0.0.key < $1.0.key }
        let families: [(String, MetricsText.Kind, String, (WorkerPoolStatus) -> Int)] = [
            ("apus_function_workers", .gauge, "Worker processes of a function's pool.", { $0.workers }),
            ("apus_function_workers_ready", .gauge, "Worker processes that loaded the function.", { $0.ready }),
            ("apus_function_requests_in_flight", .gauge, "Requests a function's workers are handling.", { $0.inFlight }),
            ("apus_function_requests_queued", .gauge, "Requests waiting for a function's worker.", { $0.queued }),
            ("apus_function_worker_deaths_total", .counter, "Workers of a function that died (each replaced).", { $0.deaths }),
            ("apus_function_timeouts_total", .counter, "Requests past a function's timeout_ms (504).", { $0.timeouts }),
        ]
        for (name, kind, help, value) in families {
            text.family(name, kind, help)
            for (function, status) in pools {
                text.sample(name, ["function": function.key, "runtime": function.runtime], value(status))
            }
        }
    }

    // MARK: reloading (on the loop thread, but for the Python part)

    // MARK: the admin API's view

    var manifest: FunctionsManifest { state.version.manifest }

    func poolStatus(of key: String) -> WorkerPoolStatus? { state.version.workers[key]?.poolStatus }

    var scheduleRunner: ScheduleRunner? { state.schedules }

    func reloadEverything(then: @escaping (Result<Int, ReloadFailure>) -> Void) {
        state.reloadWaiters.append(then)
        state.reloadsEveryWorker = true
        changed([])
    }

    private func changed(_ folders: Set<String>) {
        state.pendingChanges.formUnion(folders)
        guard !state.reloading else { return }
        state.reloading = true
        let changes = state.pendingChanges
        state.pendingChanges.removeAll()
        let renewal = Renewal(changes: changes, everyWorker: state.reloadsEveryWorker)
        state.reloadsEveryWorker = false
        state.answeredByThisReload = state.reloadWaiters
        state.reloadWaiters.removeAll()
        let previous = state.version.tree
        let existing = state.version.groups.mapValues { ($0, $0.members) }
        let (options, asyncio, executors, logger) = (self.options, self.asyncio, self.executors, self.logger)
        let started = spawnDetachedThread(name: "apus-reload") { [self] in
            let result = Result {
                let tree = try PythonModuleCall.call("apus.functions", "reload", [.text(options.directory), .object(previous)])
                return try Self.build(tree, app: nil, reusing: existing, renewal, loop, options, asyncio, executors, logger)
            }
            loop.execute { [self] in finishReload(result) }
        }
        if !started {
            state.reloading = false
            state.answeredByThisReload.forEach { $0(.failure(ReloadFailure(reason: "no thread to reload on"))) }
            state.answeredByThisReload.removeAll()
            logger.error("cannot start a thread to reload the functions (a tasks or memory limit?)")
        }
    }

    private func finishReload(_ result: Result<Version, any Error>) {
        state.reloading = false
        let waiters = state.answeredByThisReload
        state.answeredByThisReload.removeAll()
        defer { if !state.pendingChanges.isEmpty || !state.reloadWaiters.isEmpty { changed([]) } }
        state.watcher?.resync()
        let next: Version
        do {
            next = try result.get()
        } catch {
            waiters.forEach { $0(.failure(ReloadFailure(reason: "\(error)"))) }
            return logger.error("the functions could not be loaded again; the previous version keeps serving: \(error)")
        }
        defer { waiters.forEach { $0(.success(next.manifest.routes.count)) } }
        let old = state.version
        // New groups start; reused ones take their new functions, if they changed.
        for (identity, group) in next.groups where old.groups[identity] == nil { group.start() }
        for renewal in next.regrouped { renewal.group.reload(renewal.members, command: renewal.command) }
        for (identity, group) in old.groups where next.groups[identity] == nil { group.retire() }
        state.version = next
        next.plans.labelsRoutes = labelsRoutes
        responder.state.current = next.plans
        responder.state.rollouts = Self.rollouts(next.manifest)
        state.schedules?.update(next.manifest.schedules)
        state.reloads += 1
        old.plans.retire()
        logger.info("functions reloaded: \(next.manifest.routes.count) routes")
        next.manifest.errors.forEach { logger.error("\($0) (the previous version keeps serving)") }
        next.manifest.conflicts.forEach { logger.warning("conflict (answered 409): \($0)") }
    }

    private static func percent(_ weight: Double) -> String {
        weight == weight.rounded() ? String(Int(weight)) : String(weight)
    }

    private static func rollouts(_ manifest: FunctionsManifest) -> [String: FunctionsManifest.Rollout] {
        Dictionary(manifest.rollouts.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether `path` is `folder` or inside it.
    fileprivate static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder + "/")
    }
}
