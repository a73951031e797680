internal import ApusLoop
internal import ApusWorkers
internal import Logging

/// The worker pool that one or more functions of a tree share; used on its loop's thread, which
/// every access checks (`LoopBound`).
///
/// - Node: the files of one folder that share their settings (`fn.config.json`'s handler,
///   limits and `worker_pool`, and `fn.env.json`) share one pool, whose workers load them all.
///   A module beside them (`_form.js`) then holds state that each of them sees, as under
///   FastFN, whose Node runtime loads a tree's functions into one process. Each folder keeps
///   a pool of its own, so a crash or a timeout reaches only its own folder's functions.
/// - PHP, Go, Rust: one pool per function (a PHP or Rust worker takes one request at a time,
///   and a Go or Rust function is a binary of its own).
///
/// A reload gives the group its new functions: a worker of the new version is started first,
/// and takes over once it has loaded them, unless one that loads today does not load any more:
/// then the previous version keeps serving, as after a syntax error in a function of its own.
final class WorkerGroup: Sendable {
    /// What puts functions in one group.
    struct Identity: Hashable {
        let runtime: String
        let folder: String
        /// The function's file for a language whose workers serve one function only.
        let file: String?
        let handler: String
        let env: [String: String]
        /// The settings the pool reads (`max_concurrency`, `timeout_ms`, `worker_pool`).
        let poolSettings: [String: JSONValue]

        init(_ function: FunctionsManifest.Worker) {
            runtime = function.runtime
            folder = function.folder
            file = WorkerGroup.sharesWorkers(function.runtime) ? nil : function.file
            handler = function.handler
            env = function.env
            poolSettings = function.context.filter { ["max_concurrency", "timeout_ms", "worker_pool"].contains($0.key) }
        }
    }

    /// Whether the functions of one folder in `runtime` share their workers (Node).
    static func sharesWorkers(_ runtime: String) -> Bool { runtime == "node" }

    /// The tree's worker functions in their groups, in the manifest's order.
    static func identities(of functions: [FunctionsManifest.Worker]) -> [(Identity, [FunctionsManifest.Worker])] {
        var order: [Identity] = []
        var members: [Identity: [FunctionsManifest.Worker]] = [:]
        for function in functions {
            let identity = Identity(function)
            if members[identity] == nil { order.append(identity) }
            members[identity, default: []].append(function)
        }
        return order.map { ($0, members[$0]!) }
    }

    /// What changes over its life, on its loop (`LoopBound`).
    private struct State {
        var members: [FunctionsManifest.Worker]
        /// How to start its workers, or why they cannot run (the language is not installed,
        /// the build failed).
        var command: Result<WorkerCommand, CompiledFunction.Failure>
        var pool: WorkerPool?
    }

    let loop: EventLoop
    /// Its workers name the function each request is for (they may serve several).
    let namesMembers: Bool
    private let state: LoopBound<State>
    private let logger: Logger

    /// Made on any thread (a reload's), for `loop`.
    init(members: [FunctionsManifest.Worker], command: Result<WorkerCommand, CompiledFunction.Failure>, loop: EventLoop,
         logger: Logger) {
        self.loop = loop
        self.logger = logger
        namesMembers = Self.sharesWorkers(members[0].runtime)
        state = LoopBound(sending: State(members: members, command: command), to: loop)
        if case .failure(let failure) = command, !failure.details.isEmpty {
            logger.error("[\(Self.name(members))] \(failure.message):\n\(failure.details)")
        }
    }

    /// Its functions as it serves them now.
    var members: [FunctionsManifest.Worker] { state.members }

    /// Before requests arrive.
    func start() {
        guard case .success(let command) = state.command else { return }
        let pool = Self.makePool(members, command, loop, logger)
        pool.start()
        state.pool = pool
    }

    /// A new version of its functions.
    func reload(_ next: [FunctionsManifest.Worker], command nextCommand: Result<WorkerCommand, CompiledFunction.Failure>) {
        let name = Self.name(next)
        guard case .success(let command) = nextCommand else {
            // A failed build keeps the previous version, as a syntax error does.
            if case .failure(let failure) = nextCommand, state.pool != nil {
                return logger.error("[\(name)] \(failure.message); the previous version keeps serving:\n\(failure.details)")
            }
            state.members = next
            state.command = nextCommand
            return
        }
        let candidate = Self.makePool(next, command, loop, logger)
        let (state, logger) = (state, logger)
        candidate.start { load in
            // What fails to load in the workers serving now (nil: none serve).
            let failingNow = state.pool?.status.failedMembers
            switch load {
            case .failed:
                // The pool has logged why.
                logger.error("[\(name)] the new version does not load; the previous one keeps serving")
                return candidate.retire()
            case .loaded(let failedMembers):
                let serving = state.members
                let broken = failedMembers.keys.filter { file in
                    failingNow.map { $0[file] == nil } ?? false && serving.contains { $0.file == file }
                }
                if !broken.isEmpty {
                    logger.error("[\(name)] \(broken.sorted().joined(separator: ", ")) no longer loads; the previous version keeps serving")
                    return candidate.retire()
                }
            }
            let previous = state.pool
            state.value = State(members: next, command: nextCommand, pool: candidate)
            previous?.retire()
        }
    }

    /// Sends a request to its pool; false if it has none (its functions cannot run).
    func invoke(_ event: [UInt8], for member: WorkerMember?, then completion: @escaping @Sendable (WorkerOutcome) -> Void) -> Bool {
        guard let pool = state.pool else { return false }
        pool.invoke(event, for: member, then: completion)
        return true
    }

    /// Why its functions cannot run, if they cannot (its pool never started).
    var unavailable: CompiledFunction.Failure? {
        if case .failure(let failure) = state.command { return failure }
        return nil
    }

    /// Its pool's state for `/_apus/health` and the metrics (nil: it has no pool).
    var poolStatus: WorkerPoolStatus? { state.pool?.status }

    /// Its pool keeps workers warm (`min_warm`): until one is ready, the server is starting.
    var keepsWarm: Bool { members[0].poolSetting("min_warm", default: 0) > 0 }

    /// Its functions are gone from the tree, or the server stops.
    func retire() {
        state.pool?.retire()
        state.pool = nil
    }

    /// The name its workers' log lines carry: the function's, or for several, their folder's
    /// files (`showcase/*.js`).
    static func name(_ members: [FunctionsManifest.Worker]) -> String {
        guard members.count > 1 else { return members[0].name }
        let folder = members[0].key.split(separator: "/").dropLast().joined(separator: "/")
        return (folder.isEmpty ? "" : folder + "/") + "*.js"
    }

    private static func makePool(_ members: [FunctionsManifest.Worker], _ command: WorkerCommand, _ loop: EventLoop, _ logger: Logger) -> WorkerPool {
        let function = members[0]
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
        return WorkerPool(loop: loop, name: name(members), command: command, settings: settings, logger: logger)
    }
}
