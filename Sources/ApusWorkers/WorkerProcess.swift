internal import ApusLoop
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// One worker process of a function, on the loop thread: it loads the function once, says it is
/// ready, then answers request frames (several at once if its language allows) until it is
/// retired or dies. A worker that breaks the protocol or overruns a request's timeout is
/// killed; what it had in flight fails, and its pool replaces it. Confined to the loop thread
/// (its pool is an actor there): not `Sendable`; a closure that must be names it through a
/// `LoopBound`.
final class WorkerProcess {
    enum Event {
        /// Loaded (nil) or failed to load (why).
        case loaded(failure: String?)
        /// A request finished; the worker may take another.
        case freed
        case exited
    }

    private struct InFlight {
        let completion: (WorkerOutcome) -> Void
        /// Loop milliseconds by which it must be answered.
        let deadline: UInt64
        let timeout: UInt64
    }

    /// Runs the exit callback a spawned child reports, once its worker exists.
    private final class ExitRelay {
        var handler: ((Int64, Int32) -> Void)?
    }

    let pid: Int32
    private(set) var isReady = false
    /// The functions it serves that did not load, by file, with why (a worker that serves
    /// several: the Node files of one folder).
    private(set) var failedMembers: [String: String] = [:]
    private(set) var isExited = false
    /// Takes no new requests; ends once the last in flight has.
    private(set) var isRetiring = false
    var inFlightCount: Int { inFlight.count }
    /// When the last request ended (for retiring idle workers), in loop milliseconds.
    private(set) var idleSince: UInt64

    private let loop: EventLoop
    private let name: String
    private let logger: Logger
    private let onEvent: (Event) -> Void
    private let requests: PipeStream
    private var readers: [PipeReader] = []
    private var frames = FrameDecoder()
    private var inFlight: [Int: InFlight] = [:]
    private var nextID = 1
    /// Looks for requests past their deadline while any is in flight (one timer per worker
    /// rather than one per request).
    private let deadlines: LoopTimer
    /// How often `deadlines` looks: a timeout fires at most this late.
    private static let deadlineCheckMilliseconds: UInt64 = 20
    /// Request frames of this loop iteration, written together when it ends (one write, and
    /// one wake-up of the worker, per batch instead of per request).
    private var outgoing: [UInt8] = []
    private var flushHook: LoopPrepareHook?
    /// The fixed parts of a request frame around its id and member.
    private static let eventKey = Array("\"event\":".utf8)
    private static let frameEnd = [UInt8(ascii: "}")]
    /// What the requests it still has get once it was killed (nil: it was not).
    private var killOutcome: WorkerOutcome?

    init(loop: EventLoop, name: String, command: WorkerCommand, logger: Logger, onEvent: @escaping (Event) -> Void) throws(UVError) {
        self.loop = loop
        self.name = name
        self.logger = logger
        self.onEvent = onEvent
        idleSince = loop.now
        let deadlines = LoopTimer(loop: loop)
        self.deadlines = deadlines
        let stdin = PipeStream(loop: loop), stdout = PipeStream(loop: loop), stderr = PipeStream(loop: loop)
        requests = PipeStream(loop: loop)
        let replies = PipeStream(loop: loop)
        let relay = ExitRelay()
        do {
            let child = try ChildProcess(
                loop: loop, executable: command.executable, arguments: command.arguments,
                stdio: [.pipe(stdin, childWrites: false), .pipe(stdout, childWrites: true), .pipe(stderr, childWrites: true),
                        .pipe(requests, childWrites: false), .pipe(replies, childWrites: true)],
                environment: command.environment, directory: command.directory,
                onExit: { status, signal, _ in relay.handler?(status, signal) })
            pid = child.pid
        } catch {
            [stdin, stdout, stderr, requests, replies].forEach { $0.close() }
            deadlines.close()
            throw error
        }
        stdin.close()  // the worker reads end-of-file on its stdin
        var outLines = LineSplitter(), errLines = LineSplitter()
        let log: (String) -> Void = { [logger, name] line in logger.info("[\(name)] \(line)") }
        readers = [
            PipeReader(stdout, onBytes: { outLines.feed($0, log) }, onEnd: { outLines.flush(log) }),
            PipeReader(stderr, onBytes: { errLines.feed($0, log) }, onEnd: { errLines.flush(log) }),
            PipeReader(replies, onBytes: { [weak self] in self?.received($0) }, onEnd: { [weak self] in self?.repliesEnded() }),
        ]
        readers.forEach { $0.start() }
        relay.handler = { [self] status, signal in exited(status: status, signal: signal) }
    }

    // MARK: requests

    /// Sends `event` (JSON) for `member` (the function's file, for a worker that serves several);
    /// `completion` runs once, on the loop thread.
    func send(event: [UInt8], member: WorkerMember?, timeoutMilliseconds: UInt64, completion: @escaping (WorkerOutcome) -> Void) {
        let id = nextID
        nextID += 1
        if inFlight.isEmpty {
            deadlines.start(after: Self.deadlineCheckMilliseconds, repeat: Self.deadlineCheckMilliseconds) { [weak self] in
                self?.checkDeadlines()
            }
        }
        inFlight[id] = InFlight(completion: completion, deadline: loop.now + timeoutMilliseconds, timeout: timeoutMilliseconds)
        outgoing += Frame.encode(Array("{\"id\":\(id),".utf8), member?.field ?? [], Self.eventKey, event, Self.frameEnd)
        if flushHook == nil {
            flushHook = LoopPrepareHook(loop: loop) { [weak self] in self?.flush() }
        }
    }

    private func flush() {
        guard !outgoing.isEmpty else { return }
        let written = requests.write(outgoing)
        outgoing.removeAll(keepingCapacity: outgoing.capacity <= 1 << 20)
        if !written {
            kill(.failed(status: 502, error: "runtime unavailable"), because: "its request pipe is closed", request: nil)
        }
    }

    private func checkDeadlines() {
        let now = loop.now
        guard let (id, late) = inFlight.first(where: { $0.value.deadline <= now }) else { return }
        kill(.failed(status: 504, error: "runtime timeout"), because: "no reply within \(late.timeout) ms", request: id)
    }

    private func finish(_ id: Int, _ outcome: WorkerOutcome) {
        guard let request = inFlight.removeValue(forKey: id) else { return }
        if inFlight.isEmpty {
            deadlines.stop()
            idleSince = loop.now
        }
        request.completion(outcome)
    }

    // MARK: replies

    private func received(_ bytes: UnsafeRawBufferPointer) {
        guard !isExited, killOutcome == nil else { return }
        frames.feed(bytes)
        do throws(FrameError) {
            while let payload = try frames.next() {
                let message = try WorkerMessage.decode(payload)
                if let ready = message.ready {
                    guard !isReady else { throw FrameError(description: "a second ready message") }
                    isReady = ready
                    failedMembers = message.failedMembers
                    for (file, error) in message.failedMembers.sorted(by: { $0.key < $1.key }) {
                        logger.error("[\(name)] \(file) does not load:\n\(error)")
                    }
                    onEvent(.loaded(failure: ready ? nil : message.error ?? "it could not load"))
                    if !ready { kill(.failed(status: 503, error: WorkerOutcome.unavailable), because: "it could not load", request: nil) }
                    continue
                }
                guard let id = message.id, inFlight[id] != nil else {
                    throw FrameError(description: "a reply to no request (id \(message.id.map(String.init) ?? "none"))")
                }
                if let error = message.error, !message.unavailable {
                    logger.error("[\(name)] the handler failed:\n\(error)")
                }
                finish(id, try message.reply())
                if !isRetiring { onEvent(.freed) }
            }
        } catch {
            kill(.failed(status: 502, error: "invalid runtime response"), because: "it broke the protocol: \(error.description)", request: nil)
        }
        if isRetiring && inFlight.isEmpty { terminate() }
    }

    private func repliesEnded() {
        // A worker closes its reply pipe as it exits (its exit is reported a moment later),
        // or on its way out when retired. One that closes it and lives on cannot answer any
        // more: it is killed.
        guard !isExited, killOutcome == nil, !isRetiring else { return }
        isReady = false
        let grace = LoopTimer(loop: loop)
        grace.start(after: 250) { [weak self] in
            grace.close()
            guard let self, !self.isExited else { return }
            kill(.failed(status: 502, error: "invalid runtime response"), because: "it closed its reply pipe", request: nil)
        }
    }

    private func exited(status: Int64, signal: Int32) {
        isExited = true
        isReady = false
        if killOutcome == nil && !isRetiring {
            logger.warning("[\(name)] worker \(pid) exited (\(signal != 0 ? "signal \(signal)" : "status \(status)"))")
        }
        let outcome = killOutcome ?? .failed(status: 502, error: "worker process exited")
        for id in inFlight.keys.sorted() { finish(id, outcome) }
        deadlines.close()
        flushHook?.close()
        flushHook = nil
        requests.close()
        onEvent(.exited)
    }

    // MARK: ending

    /// Kills the worker at once. `request` (one that timed out) gets `outcome`, the others in
    /// flight a 502; if no single request is to blame, they all get `outcome`.
    private func kill(_ outcome: WorkerOutcome, because reason: String, request id: Int?) {
        guard !isExited else { return }
        isReady = false  // it takes no more requests
        if killOutcome == nil {
            killOutcome = id == nil ? outcome : .failed(status: 502, error: "worker process killed")
            logger.warning("[\(name)] worker \(pid) killed: \(reason)")
        }
        if let id { finish(id, outcome) }
        _ = Glibc.kill(pid, SIGKILL)
    }

    /// Stops taking requests; ends once those in flight have.
    func retire() {
        isRetiring = true
        if inFlight.isEmpty { terminate() }
    }

    private func terminate() {
        guard !isExited else { return }
        flush()
        requests.close()  // end-of-file on its request pipe: the wrappers exit on it
        // A worker that ignores end-of-file goes anyway.
        let grace = LoopTimer(loop: loop)
        grace.start(after: 2_000) { [weak self] in
            grace.close()
            if let self, !self.isExited { _ = Glibc.kill(self.pid, SIGKILL) }
        }
    }
}
