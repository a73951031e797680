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

    public init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) throws(UVError) {
        SignalWatcher.ignoreBrokenPipes()
        Self.raiseOpenFileLimit()
        loop = try EventLoop()
        loop.start()
        server = HTTPServer(loop: loop, configuration: configuration, responder: responder, logger: logger)
    }

    /// Binds and starts serving; returns the bound port.
    public func start() async throws(UVError) -> Int {
        try await server.start()
    }

    /// Waits for SIGINT or SIGTERM; returns the signal number.
    public func waitForStopSignal() async -> Int32 {
        await withCheckedContinuation { (received: CheckedContinuation<Int32, Never>) in
            loop.execute { [loop] in
                let watchers = WatcherBox()
                let handler: (Int32) -> Void = { signal in
                    guard !watchers.fired else { return }
                    watchers.fired = true
                    watchers.all.forEach { $0.close() }
                    received.resume(returning: signal)
                }
                for signal in [SIGINT, SIGTERM] {
                    if let watcher = try? SignalWatcher(loop: loop, signal: signal, handler) {
                        watchers.all.append(watcher)
                    }
                }
            }
        }
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

private final class WatcherBox {
    var all: [SignalWatcher] = []
    var fired = false
}
