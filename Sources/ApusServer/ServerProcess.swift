public import ApusLoop
public import ApusHTTP
public import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// A whole serving process: one event loop on its own thread, one `HTTPServer` on it, and the
/// process-wide settings a server wants (SIGPIPE ignored, the open-file limit raised).
/// This is what `apus run` uses, and what a Swift program embedding the runtime can use.
public final class ServerProcess: Sendable {
    public let loop: EventLoop
    public let server: HTTPServer

    /// `loop`: one made ahead (a responder whose state lives on it was built first); nil: one is made.
    public init(
        loop: EventLoop? = nil, configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger
    ) throws(UVError) {
        SignalWatcher.ignoreBrokenPipes()
        Self.raiseOpenFileLimit()
        if let loop { self.loop = loop } else { self.loop = try EventLoop() }
        try self.loop.start()
        let stopSignal = StopSignal()
        self.stopSignal = stopSignal
        var configuration = configuration
        if configuration.requestLimit != nil {
            configuration.requestLimitReached = { stopSignal.deliver(Self.requestLimitSignal) }
        }
        server = HTTPServer(loop: self.loop, configuration: configuration, responder: responder, logger: logger)
    }

    /// What `waitForStopSignal` returns when the server stops itself after its request limit.
    public static let requestLimitSignal: Int32 = 0

    private let stopSignal: StopSignal

    /// Starts watching SIGINT, SIGTERM and (`hangupStops`) SIGHUP, then binds and starts
    /// serving; returns the port. The signals are watched first: a client served at once (an
    /// inherited socket may hold connections already) can never be answered by a process that
    /// a signal would still kill outright. A single server stops gracefully on SIGHUP rather
    /// than dying at once.
    public func start(hangupStops: Bool = true) async throws(UVError) -> Int {
        let stopSignals = hangupStops ? [SIGINT, SIGTERM, SIGHUP] : [SIGINT, SIGTERM]
        let stopSignal = stopSignal
        await withCheckedContinuation { (installed: CheckedContinuation<Void, Never>) in
            loop.execute { [loop] in
                var watchers: [SignalWatcher] = []
                for signal in stopSignals {
                    if let watcher = try? SignalWatcher(loop: loop, signal: signal, { stopSignal.deliver($0) }) {
                        watchers.append(watcher)
                    }
                }
                let installedWatchers = LoopBound(watchers, on: loop)
                stopSignal.onFirst { installedWatchers.value.forEach { $0.close() } }
                installed.resume()
            }
        }
        return try await server.start()
    }

    /// Waits for SIGINT, SIGTERM or SIGHUP; returns the signal number.
    public func waitForStopSignal() async -> Int32 {
        await stopSignal.wait()
    }

    /// Graceful shutdown, then the loop stops and its thread is joined.
    public func stop() async {
        await server.shutdown()
        loop.stop()
        loop.join()
    }

    /// A server holds a descriptor per connection; the default soft limit (often 1024) is
    /// too low for a busy one, and the hard limit is there to be used.
    private static func raiseOpenFileLimit() {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// The first stop signal, delivered on the loop thread, awaited by the main task.
private final class StopSignal: Sendable {
    private struct State {
        var signal: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
        var onFirst: (@Sendable () -> Void)?
    }

    private let state = PThreadMutex(State())

    /// Runs once, on the loop thread, when the first signal arrives (closes the watchers).
    func onFirst(_ action: @escaping @Sendable () -> Void) {
        state.withLock { $0.onFirst = action }
    }

    func deliver(_ signal: Int32) {
        let (waiter, action) = state.withLock { s -> (CheckedContinuation<Int32, Never>?, (@Sendable () -> Void)?) in
            guard s.signal == nil else { return (nil, nil) }
            s.signal = signal
            defer { s.waiter = nil; s.onFirst = nil }
            return (s.waiter, s.onFirst)
        }
        action?()
        waiter?.resume(returning: signal)
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let received = state.withLock { s -> Int32? in
                if s.signal == nil { s.waiter = continuation }
                return s.signal
            }
            if let received { continuation.resume(returning: received) }
        }
    }
}
