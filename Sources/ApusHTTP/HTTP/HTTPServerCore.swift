internal import ApusLoop
internal import Logging

/// What a server needs to run, with the documented defaults.
public struct HTTPServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    /// SO_REUSEPORT, for several worker processes on one port.
    public var reusePort = false
    /// A listening socket to serve instead of binding one (a supervisor's, shared by its
    /// workers, `--fd`'s, or `--uds`'s Unix-domain socket); `host`, `port` and `reusePort` are
    /// then unused.
    public var listeningDescriptor: Int32?
    public var limits = HTTPLimits()
    public var accessLog = true
    /// Each request gets an identity (`RequestIdentity`): the client's `X-Request-ID` or one
    /// made here, passed to the responder as that request header and echoed on the response,
    /// and the access log's lines carry their fields (method, path, status, duration, client,
    /// request and trace ids) as metadata, for a structured log.
    public var requestIdentity = false
    /// Keep the request metrics that `HTTPServer.metricsText()` renders.
    public var metrics = false
    /// `server: apus` and `date` on every response (uvicorn's `--server-header`, `--date-header`).
    public var serverHeader = true
    public var dateHeader = true
    /// Header fields added to every response (uvicorn's `--header`), after those two.
    public var defaultHeaders: [(name: String, value: String)] = []
    /// Requests the server takes before it calls `requestLimitReached` (uvicorn's
    /// `--limit-max-requests`: the process then stops gracefully and, under a supervisor, is
    /// replaced). The requests after it are still answered until the shutdown begins.
    public var requestLimit: Int?
    public var requestLimitReached: (@Sendable () -> Void)?
    /// TLS on every connection (`--ssl-certfile`), or plain HTTP.
    public var tls: TLSContext?
    /// The HTTP versions served (`--http`): HTTP/1.1 and HTTP/2 (by ALPN on TLS, by the client's
    /// preface in the clear), or only one of them.
    public var http = HTTPVersions.auto
    /// How long shutdown waits for in-flight requests, in milliseconds.
    public var gracefulTimeoutMilliseconds: UInt64 = 10_000

    public init() {}
}

/// `--http`: which HTTP versions a server speaks.
public enum HTTPVersions: String, Sendable, CaseIterable {
    /// HTTP/1.1, and HTTP/2 for a client that asks (ALPN's h2, or h2c with prior knowledge).
    case auto
    case http1 = "1.1"
    /// HTTP/2 only: an HTTP/1.1 request is answered 505.
    case http2 = "2"
}

/// The server's loop-confined state: connections, the response encoder, the sweep timer.
/// Owned by the `HTTPServer` actor; connections reach it directly from libuv callbacks.
final class HTTPServerCore {
    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let encoder: ResponseEncoder
    let logger: Logger
    private let accessLogger: Logger?
    private var connections: [ObjectIdentifier: any ServerConnection] = [:]
    private var listener: (any ConnectionListener)?
    private var sweepTimer: LoopTimer?
    private var drainSweep: LoopTimer?
    private(set) var isDraining = false
    /// Request ids made on this loop (with `requestIdentity`).
    var requestIDs = RequestIDGenerator()
    /// With `configuration.metrics`.
    let metrics: HTTPMetrics?
    /// Whether requests are timed (for the access log or the metrics).
    let timesRequests: Bool
    private var onAllClosed: (() -> Void)?

    var limits: HTTPLimits { configuration.limits }
    let bodyBudget: BodyBudget
    /// Requests with the responder now (see `HTTPLimits.maxConcurrentRequests`).
    private(set) var activeRequests = 0

    /// Requests taken so far (counted only under a `requestLimit`).
    private var requestsTaken = 0

    /// Counts a request in, or says no when the concurrency limit is reached.
    func admitRequest() -> Bool {
        if let limit = limits.maxConcurrentRequests, activeRequests >= limit { return false }
        activeRequests += 1
        if let limit = configuration.requestLimit {
            requestsTaken += 1
            if requestsTaken == limit { configuration.requestLimitReached?() }
        }
        return true
    }

    func requestEnded() {
        activeRequests -= 1
    }
    var connectionCount: Int { connections.count }

    init(loop: EventLoop, configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.loop = loop
        bodyBudget = BodyBudget(limit: configuration.limits.maxBufferedBodyBytes)
        self.configuration = configuration
        encoder = ResponseEncoder(
            date: configuration.dateHeader, server: configuration.serverHeader, headers: configuration.defaultHeaders)
        self.responder = responder
        self.logger = logger
        var access = Logger(label: "apus.access")
        access.logLevel = logger.logLevel
        accessLogger = configuration.accessLog ? access : nil
        metrics = configuration.metrics ? HTTPMetrics() : nil
        timesRequests = configuration.accessLog || configuration.metrics
    }

    func start() throws(UVError) -> Int {
        let listener: any ConnectionListener
        if let descriptor = configuration.listeningDescriptor, UnixListener.isUnixSocket(descriptor) {
            listener = try UnixListener(loop: loop, adopting: descriptor) { [unowned self] stream in accept(stream) }
        } else if let descriptor = configuration.listeningDescriptor {
            listener = try TCPListener(loop: loop, adopting: descriptor) { [unowned self] stream in accept(stream) }
        } else {
            listener = try TCPListener(
                loop: loop, host: configuration.host, port: configuration.port,
                reusePort: configuration.reusePort
            ) { [unowned self] stream in accept(stream) }
        }
        self.listener = listener
        let timer = LoopTimer(loop: loop)
        let interval = sweepInterval()
        timer.start(after: interval, repeat: interval) { [unowned self] in sweep() }
        sweepTimer = timer
        return listener.port
    }

    /// Deadlines are checked by one timer rather than one per connection; its period is a
    /// quarter of the shortest timeout, so a timeout fires at most 25% late, and at most a
    /// quarter second (a responder's own deadline, `ResponseSlot.deadline`, is no longer late).
    private func sweepInterval() -> UInt64 {
        let shortest = min(limits.headTimeoutMilliseconds, limits.keepAliveTimeoutMilliseconds)
        return max(10, min(250, shortest / 4))
    }

    private func accept(_ stream: ByteStream) {
        guard !isDraining else { return stream.close() }
        if let tls = configuration.tls {
            let handshakeDone: ((Double) -> Void)? = metrics.map { metrics in
                { seconds in metrics.handshakeCompleted(seconds: seconds) }
            }
            guard let layer = tls.makeLayer(loop: loop, handshakeDone: handshakeDone) else { return stream.close() }
            stream.layer = layer
        }
        let connection = HTTPConnection(core: self, stream: stream)
        metrics?.connectionsAccepted += 1
        connections[ObjectIdentifier(connection)] = connection
        connection.start()
    }

    /// A connection's first bytes chose HTTP/2: `replacement` takes its place.
    func connection(_ connection: HTTPConnection, becomes replacement: HTTP2Connection) {
        connections[ObjectIdentifier(connection)] = nil
        connections[ObjectIdentifier(replacement)] = replacement
    }

    func connectionClosed(_ connection: any ServerConnection) {
        connections[ObjectIdentifier(connection)] = nil
        if isDraining && connections.isEmpty, let done = onAllClosed {
            onAllClosed = nil
            done()
        }
    }

    private func sweep() {
        for connection in Array(connections.values) { connection.checkDeadline() }
    }

    /// Stops accepting; idle connections close now, busy ones after their response.
    /// `done` runs once every connection is closed.
    func drain(_ done: @escaping () -> Void) {
        isDraining = true
        responder.serverWillDrain()
        listener?.close()
        listener = nil
        onAllClosed = done
        // Connections just opened have a moment to send their request (see `drainGrace`): the
        // sweep looks again when it is over rather than at its own pace. Made before any
        // connection closes, since the last one to close ends the drain (`closeAll`).
        let graceSweep = LoopTimer(loop: loop)
        graceSweep.start(after: ConnectionTimers<LoopClock>.drainGraceMilliseconds + 10) { [weak self] in self?.sweep() }
        drainSweep = graceSweep
        for connection in Array(connections.values) { connection.drain() }
        if connections.isEmpty, let done = onAllClosed {
            onAllClosed = nil
            done()
        }
    }

    /// Closes everything still open (after the graceful timeout) and the sweep timer.
    func closeAll() {
        onAllClosed = nil
        for connection in Array(connections.values) { connection.close() }
        listener?.close()
        listener = nil
        sweepTimer?.close()
        sweepTimer = nil
        drainSweep?.close()
        drainSweep = nil
        responder.serverDidStop()
    }

    /// One answered request, for the metrics and the access log.
    func requestAnswered(
        client: String, method: String, target: String, version: HTTPVersion, status: Int, started: UInt64,
        identity: RequestIdentity?, route: String?
    ) {
        if let metrics {
            metrics.record(
                route: route, method: method, status: status,
                seconds: Double(MonotonicClock.nanoseconds() &- started) / 1_000_000_000)
        }
        logAccess(client: client, method: method, target: target, version: version, status: status, started: started,
                  identity: identity)
    }

    /// The metrics as Prometheus text: the server's, then its responder's.
    func metricsText() -> String {
        var text = MetricsText()
        var byState: [ConnectionState: Int] = [:]
        for connection in connections.values { byState[connection.state, default: 0] += 1 }
        metrics?.render(into: &text, inFlight: activeRequests, connections: connections.count, byState: byState)
        responder.collectMetrics(into: &text)
        return text.output
    }

    /// The access line of one answered request, as uvicorn writes it (the status with its
    /// reason phrase); with `requestIdentity`, its fields as metadata too. `started`: the
    /// monotonic time the request arrived, in nanoseconds.
    func logAccess(
        client: String, method: String, target: String, version: HTTPVersion, status: Int, started: UInt64,
        identity: RequestIdentity?
    ) {
        guard let accessLogger else { return }
        // A client without an address (a Unix-domain socket's) is left out, as uvicorn leaves it.
        let known = client != "-"
        let line = "\(known ? client : "") - \"\(method) \(target) \(version.text)\" \(status) \(HTTPStatus.reason(status))"
        guard configuration.requestIdentity else { return accessLogger.info("\(line)") }
        let elapsed = Double(MonotonicClock.nanoseconds() &- started) / 1_000_000
        var fields: Logger.Metadata = [
            "method": "\(method)", "path": "\(target)",
            "http_version": "\(version.text)", "status": .stringConvertible(status),
            "duration_ms": .stringConvertible((elapsed * 1000).rounded() / 1000),
        ]
        if known { fields["client"] = "\(client)" }
        if let identity {
            fields["request_id"] = "\(identity.requestID)"
            if let traceID = identity.traceID { fields["trace_id"] = "\(traceID)" }
        }
        accessLogger.info("\(line)", metadata: fields)
    }
}
