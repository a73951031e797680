public import ApusLoop
public import Logging

/// An HTTP/1.1 server whose actor executor is its event loop: every method runs on the loop
/// thread, next to the libuv callbacks of its connections.
///
/// Life cycle: `init` → `start()` (binds, returns the port) → `shutdown()` (stops accepting,
/// lets in-flight requests finish within the graceful timeout, closes everything).
public actor HTTPServer {
    public nonisolated let loop: EventLoop
    public nonisolated let configuration: HTTPServerConfiguration
    private let core: HTTPServerCore
    private var started = false

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.asUnownedSerialExecutor()
    }

    public init(
        loop: EventLoop, configuration: HTTPServerConfiguration, responder: any HTTPResponder,
        logger: Logger = Logger(label: "apus")
    ) {
        self.loop = loop
        self.configuration = configuration
        core = HTTPServerCore(loop: loop, configuration: configuration, responder: responder, logger: logger)
    }

    /// Binds and starts accepting; returns the bound port (useful with port 0).
    public func start() throws(UVError) -> Int {
        precondition(!started, "HTTPServer.start() called twice")
        started = true
        return try core.start()
    }

    public var connectionCount: Int { core.connectionCount }

    /// The server's metrics (with `configuration.metrics`) and its responder's, as Prometheus
    /// text. On the loop thread: `assumeIsolated` from a responder on the same loop.
    public func metricsText() -> String { core.metricsText() }

    /// Stops accepting and closes idle connections; busy ones get their response (with
    /// `connection: close`) as long as it comes within the graceful timeout.
    public func shutdown() async {
        guard started else { return }
        let core = core
        let loop = loop
        let timeout = configuration.gracefulTimeoutMilliseconds
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            let timer = LoopTimer(loop: loop)
            let finish = {
                guard once.set() else { return }
                timer.close()
                core.closeAll()
                done.resume()
            }
            timer.start(after: timeout) {
                core.logger.warning("graceful shutdown timed out; closing \(core.connectionCount) connection(s)")
                finish()
            }
            core.drain(finish)
        }
    }
}

/// Lets the first of several loop-thread callbacks win.
private final class OnceFlag {
    private var isSet = false

    func set() -> Bool {
        defer { isSet = true }
        return !isSet
    }
}
