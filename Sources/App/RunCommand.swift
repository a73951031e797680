import ActorRuntime
import ApusFunctions
import ArgumentParser
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `apus run TARGET`: flags follow uvicorn's names where uvicorn has one.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve an app (module:attribute), a functions directory, or the built-in self-test routes with --hello."
    )

    @Argument(help: "The app to serve, as module:attribute (e.g. main:app), or a functions directory.")
    var target: String?

    @Flag(help: "Serve the built-in Swift routes (/plaintext, /json, ...) with no Python, to measure the HTTP core.")
    var hello = false

    @Flag(help: "Treat TARGET as a factory: call it to get the app.")
    var factory = false

    @Option(help: "A functions directory served with the app, after the app's own routes.")
    var functions: String?

    @Option(help: "Directory the app module is imported from (put first on sys.path).")
    var appDir = "."

    @Option(help: "ASGI root_path: the prefix a proxy strips from the URLs it forwards.")
    var rootPath = ""

    @Option(help: "Lifespan protocol: auto (used if the app speaks it), on (required), off.")
    var lifespan: LifespanOption = .auto

    @Flag(inversion: .prefixedNo, help: "Serve FastAPI routes with native plans (--no-plans: everything through the app as ASGI).")
    var plans = true

    @Option(help: "Threads for blocking (def) handlers.")
    var threads = 40

    @Option(help: "HTTP versions: auto (HTTP/1.1, and HTTP/2 for a client that asks: h2 by ALPN over TLS, h2c by prior knowledge), 1.1 (also uvicorn's h11 and httptools), or 2 (HTTP/2 only).")
    var http: HTTPOption = .auto

    @Option(help: "Number of worker processes (each with its own interpreter), sharing the port.")
    var workers = 1

    @Flag(help: "Restart the server when a .py file under the app directory changes.")
    var reload = false

    @Flag(help: .hidden)
    var worker = false

    /// `apus dev`: a functions directory's changes are served as they are made.
    @Flag(help: .hidden)
    var hotReload = false

    /// A listening socket to serve, inherited as this descriptor: a service manager's (systemd
    /// socket activation), or a worker's supervisor's (`--listen-fd`).
    @Option(name: [.customLong("fd"), .customLong("listen-fd")],
            help: "Serve this inherited listening socket (as systemd passes one) instead of binding --host and --port.")
    var listenFd: Int32?

    @Option(help: "Bind socket to this host.")
    var host = "127.0.0.1"

    /// uvicorn's `--uds`: for a reverse proxy on the same machine.
    @Option(help: "Bind to a Unix domain socket at this path instead of --host and --port (mode 0666; removed at exit).")
    var uds: String?

    // `.unconditional`: "--port -1" is a bad port, not a missing value.
    @Option(parsing: .unconditional, help: "Bind socket to this port (0 picks a free one).")
    var port = 8000

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: LogLevelOption = .info

    @Flag(inversion: .prefixedNo, help: "Log every request.")
    var accessLog = true

    @Option(help: "Log lines as uvicorn writes them (text) or one JSON object per line (json); json also gives each request an X-Request-ID.")
    var logFormat: LogFormatOption = .text

    @Option(name: [.customLong("graceful-timeout"), .customLong("timeout-graceful-shutdown")],
            help: "Seconds to wait for in-flight requests on SIGINT/SIGTERM.")
    var gracefulTimeout: Double = 10

    @Option(help: "Close idle keep-alive connections after this many seconds.")
    var timeoutKeepAlive: Double = 5

    @Option(help: "Seconds a client has to send a complete request head.")
    var timeoutRequestHead: Double = 10

    @Option(help: "Largest request head (request line and headers) in bytes; larger gets 431.")
    var limitRequestHeadSize = 16 * 1024

    @Option(help: "Most header fields in a request; more gets 431.")
    var limitRequestHeaders = 100

    @Option(help: "Largest request body in bytes; larger gets 413 (default: no limit, as uvicorn; bodies held whole in memory are bounded by --limit-buffered-bodies).")
    var limitRequestBodySize: Int?

    @Option(help: "Requests a process serves before it exits gracefully (with --workers, it is replaced).")
    var limitMaxRequests: Int?

    @Option(help: "Variables to set from a dotenv file (KEY=value lines) before the app starts; set ones win.")
    var envFile: String?

    @Option(help: "A logging configuration for the app's Python loggers: .json or .yaml (dictConfig) or .ini (fileConfig).")
    var logConfig: String?

    @OptionGroup var responseHeaders: ResponseHeaderOptions
    @OptionGroup var reloadWatch: ReloadWatchOptions
    @OptionGroup var replaced: ReplacedUvicornOptions
    @OptionGroup var tls: TLSOptions

    @Option(help: "Bytes queued for a slow reader before its connection stops reading.")
    var limitWriteBuffer = 1024 * 1024

    @Option(name: .customLong("ws-max-size"), help: "Largest WebSocket message in bytes; a larger one closes the session with 1009.")
    var wsMaxSize = 16 * 1024 * 1024

    @Option(name: .customLong("ws-per-message-deflate"), help: "Compress WebSocket messages when the client offers permessage-deflate (true or false).")
    var wsPerMessageDeflate = true

    @Option(name: .customLong("ws-ping-interval"), help: "Seconds of WebSocket silence before the server pings the client (0: never).")
    var wsPingInterval = 20.0

    @Option(name: .customLong("ws-ping-timeout"), help: "Seconds a ping may go unanswered before the session closes with 1011 (0: no limit).")
    var wsPingTimeout = 20.0

    @Option(help: "Requests served at once; more get 503 (no limit by default).")
    var limitConcurrency: Int?

    @Option(help: "Request-body bytes held whole in memory at once, across connections; a body past it gets 503.")
    var limitBufferedBodies = 256 * 1024 * 1024

    @Flag(inversion: .prefixedNo, help: "Answer health probes at --health-path (PATH, PATH/live, PATH/ready), ahead of the app.")
    var health = true

    @Option(help: "Where the health endpoint answers.")
    var healthPath = "/_apus/health"

    @Option(help: "Serve Prometheus metrics at /metrics on this port, a listener of its own (off by default).")
    var metricsPort: Int?

    @Option(help: "The host the metrics listener binds (default: --host).")
    var metricsHost: String?

    /// A worker's metrics, on this Unix socket, for its supervisor's `/metrics` (`--workers`).
    @Option(help: .hidden)
    var metricsUds: String?

    /// This process keeps metrics: its own listener's, or its supervisor's.
    private var keepsMetrics: Bool { metricsPort != nil || metricsUds != nil }

    @Flag(inversion: .prefixedNo, help: "Read X-Forwarded-Proto and X-Forwarded-For from trusted proxies.")
    var proxyHeaders = true

    @Option(help: "Proxies trusted for proxy headers: addresses or networks, comma-separated, or '*' (default: $FORWARDED_ALLOW_IPS or 127.0.0.1,::1).")
    var forwardedAllowIps: String?

    /// The trusted proxies, as uvicorn chooses them.
    private var trustedProxies: String {
        forwardedAllowIps ?? SystemFiles.environment["FORWARDED_ALLOW_IPS"] ?? "127.0.0.1,::1"
    }

    func validate() throws {
        if target == nil && !hello { throw ValidationError("missing TARGET (module:attribute or a functions directory), or --hello") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if workers > Self.maxWorkers {
            throw ValidationError("--workers \(workers) is more than this machine can run well: at most \(Self.maxWorkers) (16 per CPU, 64 at least)")
        }
        if target != nil && hello { throw ValidationError("give either TARGET or --hello, not both") }
        if let functions, !SystemFiles.isDirectory(functions) { throw ValidationError("--functions \(functions): no such directory") }
        if hotReload && !servesFunctions { throw ValidationError("hot reload serves a functions directory: \(target ?? "none given") is not one") }
        if hotReload && (workers > 1 || reload) { throw ValidationError("hot reload runs one process: drop --workers and --reload") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let uds {
            if listenFd != nil && !worker { throw ValidationError("give either --uds or --fd, not both") }
            if uds.isEmpty { throw ValidationError("--uds needs a path") }
        }
        if let limitConcurrency, limitConcurrency < 1 { throw ValidationError("--limit-concurrency must be at least 1") }
        if let metricsPort {
            if !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be between 0 and 65535") }
        }
        if !healthPath.hasPrefix("/") || healthPath.count < 2 || healthPath.hasSuffix("/") || healthPath.contains("?") {
            throw ValidationError("--health-path must be a path such as /_apus/health (a leading /, no trailing /)")
        }
        if limitBufferedBodies < 0 { throw ValidationError("--limit-buffered-bodies must not be negative") }
        // Limits that would refuse every request (or every message) are mistakes, said at once.
        if limitRequestHeadSize < 1024 { throw ValidationError("--limit-request-head-size must be at least 1024 bytes") }
        if limitRequestHeaders < 1 { throw ValidationError("--limit-request-headers must be at least 1") }
        if let limitRequestBodySize, limitRequestBodySize < 0 {
            throw ValidationError("--limit-request-body-size must not be negative")
        }
        if let limitMaxRequests, limitMaxRequests < 1 { throw ValidationError("--limit-max-requests must be at least 1") }
        if let envFile, !SystemFiles.isFile(envFile) { throw ValidationError("--env-file \(envFile): no such file") }
        if let logConfig, !SystemFiles.isFile(logConfig) { throw ValidationError("--log-config \(logConfig): no such file") }
        if limitWriteBuffer < 1024 { throw ValidationError("--limit-write-buffer must be at least 1024 bytes") }
        if wsMaxSize < 1 { throw ValidationError("--ws-max-size must be at least 1 byte") }
        for (name, value) in [("graceful-timeout", gracefulTimeout), ("timeout-keep-alive", timeoutKeepAlive),
                              ("timeout-request-head", timeoutRequestHead)] where value <= 0 {
            throw ValidationError("--\(name) must be positive")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { [logLevel, logFormat] label in
            ConsoleLogHandler(label: label, logLevel: logLevel.level, format: logFormat)
        }
        let logger = Logger(label: "apus")
        if let envFile, !worker {  // a worker inherits its supervisor's environment
            do throws(EnvFile.Problem) { try EnvFile.load(envFile) } catch {
                Console.error("error: \(error)")
                Console.terminate(2)
            }
        }
        if reloadWatch.isGiven && !reload {
            logger.warning("--reload-dir, --reload-include and --reload-exclude apply with --reload only")
        }
        if (workers > 1 || reload) && !worker {
            return try await superviseWorkers(logger: logger)
        }
        // A worker serves its supervisor's socket (--listen-fd); this process makes its own.
        let unixSocket = worker ? nil : uds.map(listenOnUnixSocket)
        if worker { ProcessControl.dieWithParent() }
        let responder: any HTTPResponder
        var application: (ASGIApplication, AsyncioThread)?
        var routes: [(methods: [String]?, path: String)] = []
        var functionsHost: FunctionsHost?
        // The server's loop, made first: a functions tree keeps its state on it from the start.
        let loop: EventLoop
        do {
            loop = try EventLoop()
        } catch {
            Console.error("error: cannot make the event loop: \(error.message) (a tasks or memory limit?)")
            Console.terminate(1)
        }
        if let target, servesFunctions {
            let host = FunctionsServing.load(
                directory: target, loop: loop, threads: threads, development: hotReload, measuresGIL: keepsMetrics,
                logger: logger, logging: pythonLogging)
            functionsHost = host.functions
            application = (host.application, host.asyncio)
            responder = host.functions.responder
            if !worker { host.functions.report.forEach { logger.log(level: $0.level, "\($0.text)") } }
        } else if let target {
            var options = PythonService.Options()
            options.appDirectory = appDir
            options.factory = factory
            options.application.rootPath = rootPath
            options.application.lifespan = lifespan.rawValue
            options.application.forwardedAllowIPs = proxyHeaders ? trustedProxies : nil
            if tls.isOn { options.application.scheme = "https" }
            options.measuresAsyncioGIL = keepsMetrics
            let service = PythonHost.service(target: target, options: options, logger: logger, logging: pythonLogging)
            let (asgi, asyncio) = (service.application, service.asyncio)
            application = (asgi, asyncio)
            let asgiResponder = service.asgi
            if let functionsDirectory = self.functions {
                let host = FunctionsServing.add(
                    directory: functionsDirectory, to: asgi, loop: loop, asyncio: asyncio, threads: threads, logger: logger)
                functionsHost = host
                if !worker { host.report.forEach { logger.log(level: $0.level, "\($0.text)") } }
                responder = host.responder
            } else if plans {
                let planned = PythonHost.planResponder(service, threads: threads)
                if !worker { logger.info("\(planned.summary)") }
                // Built only for the lines logged (an app may have thousands of routes).
                func line(_ route: PlannedRoute) -> String {
                    ["\((route.methods ?? ["*"]).joined(separator: ","))", route.path, route.location]
                        .filter { !$0.isEmpty }.joined(separator: " ")
                }
                for route in planned.routes {
                    if route.kind != .asgi && route.kind != .handler {
                        logger.debug("\(line(route)) \(route.label)")
                    } else if !worker {
                        // What runs through the app, or through FastAPI's own request handler,
                        // instead of Apus's plan is said once, with why.
                        logger.info("\(line(route)) \(route.label)")
                    }
                }
                responder = planned
            } else {
                if !worker { logger.info("routes: native plans off (--no-plans); everything through the app") }
                responder = asgiResponder
            }
        } else {
            let router = Router(logger: logger)
            try HelloRoutes.register(on: router)
            let hello = router.responder()
            responder = hello
            routes = hello.routes
        }

        if keepsMetrics {
            (responder as? PlanResponder)?.labelsRoutes = true
            functionsHost?.labelsRoutes = true
        }
        var served = responder
        if health && !hello {
            var report: (@Sendable () -> HealthResponder.Report)?
            if let functionsHost { report = { [unowned functionsHost] in functionsHost.healthReport() } }
            served = HealthResponder(responder, path: healthPath, report: report)
        }
        let server: ServerProcess
        let tlsContext = tls.context(offersHTTP2: http.versions != .http1)
        do {
            server = try ServerProcess(
                loop: loop, configuration: serverConfiguration(listeningDescriptor: listenFd ?? unixSocket, tls: tlsContext),
                responder: served, logger: logger)
        } catch {
            Console.error("error: cannot start the event loop: \(error.message) (a tasks or memory limit?)")
            Console.terminate(1)
        }
        functionsHost?.attach(hotReload: hotReload)
        let metricsServer = keepsMetrics ? { () -> HTTPServer in
            var configuration = HTTPServerConfiguration()
            configuration.host = metricsHost ?? host
            configuration.port = metricsPort ?? 0
            configuration.listeningDescriptor = metricsUds.map(listenOnUnixSocket)
            configuration.accessLog = false
            return HTTPServer(
                loop: server.loop, configuration: configuration,
                responder: MetricsEndpoint(server: server.server, version: ApusCommand.version), logger: logger)
        }() : nil
        if application != nil { PythonStartUp.end(logger: logger) }
        ProcessControl.releaseFreedMemory()
        let boundPort: Int
        do {
            // A worker leaves SIGHUP to its supervisor (a rolling restart), and ignores the one a
            // closed terminal sends to the whole process group.
            if worker { ProcessControl.ignoreHangups() }
            boundPort = try await server.start(hangupStops: !worker)
        } catch {
            Console.error("error: cannot listen on \(listenAddress): \(error.message)")
            Console.terminate(1)
        }
        if let metricsServer {
            do {
                let bound = try await metricsServer.start()
                if metricsUds == nil { logger.info("Metrics at http://\(metricsHost ?? host):\(bound)/metrics") }
            } catch {
                Console.error("error: cannot listen for metrics on \(metricsHost ?? host):\(metricsPort ?? 0): \(error.message)")
                Console.terminate(1)
            }
        }
        if worker { ProcessControl.notifyReady() }
        for route in routes where !worker {
            logger.info("route \((route.methods ?? ["*"]).joined(separator: ",")) \(route.path)")
        }
        if worker {
            logger.info("Started server process [\(getpid())]")
        } else {
            logger.info("Apus running on \(displayAddress(port: boundPort)) (Press CTRL+C to quit)")
        }
        let signal = await server.waitForStopSignal()
        if signal == ServerProcess.requestLimitSignal {
            logger.info("Maximum request limit of \(limitMaxRequests ?? 0) exceeded. Terminating process.")
        } else {
            logger.info("Shutting down (signal \(signal))")
        }
        await metricsServer?.shutdown()
        await server.stop()
        if let (asgi, asyncio) = application { PythonService.shutdown(asgi, asyncio: asyncio, logger: logger) }
        if unixSocket != nil, let uds { unlink(uds) }
        logger.info("Finished server process")
        Console.terminate(0)
    }

    /// `--uds`'s listening socket, or a one-line error and exit 1.
    private func listenOnUnixSocket(_ path: String) -> Int32 {
        do {
            return try UnixListener.listeningSocket(path: path)
        } catch {
            let reason = error.code == -EEXIST ? "a file that is not a socket is there" : error.message
            Console.error("error: cannot listen on unix socket \(path): \(reason)")
            Console.terminate(1)
        }
    }

    private var listenAddress: String { uds.map { "unix socket \($0)" } ?? "\(host):\(port)" }

    /// Worker processes beyond this only compete for the CPUs (each holds an interpreter and its
    /// app): 16 per CPU this process may run on, 64 at least.
    static var maxWorkers: Int { max(64, 16 * ProcessControl.availableCPUs) }

    /// What `--reload` watches: `--reload-dir`s (the app directory by default), `*.py` files or
    /// the `--reload-include` globs, less uvicorn's default excludes and `--reload-exclude`.
    private var reloadSettings: SourceWatcher.Settings {
        let directories = reloadWatch.directories.isEmpty ? [appDir] : reloadWatch.directories
        return SourceWatcher.Settings(
            roots: directories.map(SystemFiles.absolutePath),
            includes: reloadWatch.includes.isEmpty ? ["*.py"] : reloadWatch.includes,
            excludes: SourceWatcher.Settings.defaultExcludes + reloadWatch.excludes,
            pollMilliseconds: UInt64(reloadWatch.reloadDelay * 1000))
    }

    private var pythonLogging: PythonLogging { PythonLogging(json: logFormat == .json, config: logConfig) }

    /// TARGET names a functions directory rather than an app.
    private var servesFunctions: Bool {
        guard let target, !target.contains(":") else { return false }
        return SystemFiles.isDirectory(target)
    }

    /// Where the server answers, as the start-up line says it (uvicorn's words).
    private func displayAddress(port: Int) -> String {
        if let uds, listenFd == nil { return "unix socket \(uds)" }
        return "\(tls.isOn ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// `--workers N` / `--reload`: this process only supervises; each worker is this
    /// executable again, started fresh (never forked), with `--worker` and a fixed port.
    private func superviseWorkers(logger: Logger) async throws {
        // One listening socket, made here and shared by every worker: one accept queue, so a
        // worker that stops (a restart) leaves its queued connections to the others.
        let descriptor: Int32
        let chosenPort: Int
        do {
            // A socket given with --fd is the one shared.
            if let listenFd {
                (descriptor, chosenPort) = (listenFd, port)
            } else if let uds {
                (descriptor, chosenPort) = (listenOnUnixSocket(uds), 0)
            } else {
                (descriptor, chosenPort) = try TCPListener.sharedSocket(host: host, port: port)
            }
        } catch {
            Console.error("error: cannot listen on \(listenAddress): \(error.message)")
            Console.terminate(1)
        }
        let arguments = workerArguments(port: chosenPort) + ["--listen-fd", String(ReadinessPipe.childDescriptor + 1)]
        // With --metrics-port, each worker serves its metrics on a socket of its own, in a folder
        // only this user reads, and the supervisor answers for all of them.
        let metricsFolder = metricsPort != nil ? SystemFiles.privateTemporaryFolder(prefix: "apus-metrics") : nil
        let metricsSockets = metricsFolder.map { folder in (0..<workers).map { "\(folder)/worker-\($0).sock" } } ?? []
        let loop = try EventLoop(name: "apus-supervisor")
        try loop.start()
        let supervisor = ProcessSupervisor(loop: loop, options: .init(
            executable: SystemFiles.executablePath,
            arguments: { index in
                metricsSockets.isEmpty ? arguments : arguments + ["--metrics-uds", metricsSockets[index]]
            },
            workers: workers,
            inherited: [descriptor],
            reload: reload ? reloadSettings : nil,
            listeningDescriptor: descriptor,
            gracefulTimeoutMilliseconds: UInt64(gracefulTimeout * 1000)
        ), logger: logger)
        await supervisor.watchSignals()
        let metricsServer = try await workersMetricsServer(supervisor, sockets: metricsSockets, logger: logger)
        logger.info("Started parent process [\(getpid())]")
        logger.info("Apus running on \(displayAddress(port: chosenPort)) with \(workers) worker(s) (Press CTRL+C to quit)")
        await supervisor.run()
        await metricsServer?.shutdown()
        for socket in metricsSockets { unlink(socket) }
        if let metricsFolder { rmdir(metricsFolder) }
        loop.stop()
        loop.join()
        if listenFd == nil, let uds { unlink(uds) }
        logger.info("Finished parent process")
        Console.terminate(0)
    }

    /// The supervisor's `/metrics` (`--metrics-port` with `--workers`): every worker's, merged.
    private func workersMetricsServer(
        _ supervisor: ProcessSupervisor, sockets: [String], logger: Logger
    ) async throws -> HTTPServer? {
        guard let metricsPort, !sockets.isEmpty else { return nil }
        var configuration = HTTPServerConfiguration()
        configuration.host = metricsHost ?? host
        configuration.port = metricsPort
        configuration.accessLog = false
        let server = HTTPServer(
            loop: supervisor.loop, configuration: configuration,
            responder: WorkersMetricsEndpoint(supervisor: supervisor, sockets: sockets), logger: logger)
        do {
            let bound = try await server.start()
            logger.info("Metrics at http://\(metricsHost ?? host):\(bound)/metrics (every worker's)")
        } catch {
            Console.error("error: cannot listen for metrics on \(metricsHost ?? host):\(metricsPort): \(error.message)")
            Console.terminate(1)
        }
        return server
    }

    private func workerArguments(port: Int) -> [String] {
        var arguments = ["run"]
        if let target { arguments.append(target) } else { arguments.append("--hello") }
        arguments += [
            "--worker", "--host", host, "--port", String(port), "--log-level", logLevel.rawValue,
            "--log-format", logFormat.rawValue,
            accessLog ? "--access-log" : "--no-access-log",
            "--app-dir", SystemFiles.absolutePath(appDir), "--threads", String(threads),
            "--root-path", rootPath, "--lifespan", lifespan.rawValue, plans ? "--plans" : "--no-plans", "--http", http.rawValue,
            "--graceful-timeout", String(gracefulTimeout), "--timeout-keep-alive", String(timeoutKeepAlive),
            "--timeout-request-head", String(timeoutRequestHead),
            "--limit-request-head-size", String(limitRequestHeadSize), "--limit-request-headers", String(limitRequestHeaders),
            "--limit-write-buffer", String(limitWriteBuffer),
            "--limit-buffered-bodies", String(limitBufferedBodies), "--ws-max-size", String(wsMaxSize),
            "--ws-per-message-deflate", String(wsPerMessageDeflate),
            "--ws-ping-interval", String(wsPingInterval), "--ws-ping-timeout", String(wsPingTimeout),
            proxyHeaders ? "--proxy-headers" : "--no-proxy-headers", "--forwarded-allow-ips", trustedProxies,
            health ? "--health" : "--no-health", "--health-path", healthPath,
        ]
        if let limitConcurrency { arguments += ["--limit-concurrency", String(limitConcurrency)] }
        if let limitRequestBodySize { arguments += ["--limit-request-body-size", String(limitRequestBodySize)] }
        if let limitMaxRequests { arguments += ["--limit-max-requests", String(limitMaxRequests)] }
        if let logConfig { arguments += ["--log-config", SystemFiles.absolutePath(logConfig)] }
        arguments += [responseHeaders.serverHeader ? "--server-header" : "--no-server-header",
                      responseHeaders.dateHeader ? "--date-header" : "--no-date-header"]
        for header in responseHeaders.headers { arguments += ["--header", header] }
        arguments += tls.workerArguments()
        if factory { arguments.append("--factory") }
        if let functions { arguments += ["--functions", SystemFiles.absolutePath(functions)] }
        return arguments
    }

    private func serverConfiguration(listeningDescriptor: Int32?, tls: TLSContext?) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.reusePort = worker
        configuration.listeningDescriptor = listeningDescriptor
        configuration.tls = tls
        configuration.http = http.versions
        configuration.accessLog = accessLog
        configuration.requestIdentity = logFormat == .json
        configuration.metrics = keepsMetrics
        configuration.gracefulTimeoutMilliseconds = UInt64(gracefulTimeout * 1000)
        configuration.limits.keepAliveTimeoutMilliseconds = UInt64(timeoutKeepAlive * 1000)
        configuration.limits.headTimeoutMilliseconds = UInt64(timeoutRequestHead * 1000)
        configuration.limits.maxHeadBytes = limitRequestHeadSize
        configuration.limits.maxHeaderCount = limitRequestHeaders
        configuration.limits.maxBodyBytes = limitRequestBodySize ?? Int.max
        configuration.requestLimit = limitMaxRequests
        configuration.serverHeader = responseHeaders.serverHeader
        configuration.dateHeader = responseHeaders.dateHeader
        configuration.defaultHeaders = responseHeaders.fields
        configuration.limits.writeHighWaterBytes = limitWriteBuffer
        configuration.limits.maxConcurrentRequests = limitConcurrency
        configuration.limits.maxBufferedBodyBytes = limitBufferedBodies
        configuration.limits.webSocketMaxMessageBytes = wsMaxSize
        configuration.limits.webSocketPerMessageDeflate = wsPerMessageDeflate
        configuration.limits.webSocketPingIntervalMilliseconds = wsPingInterval > 0 ? UInt64(wsPingInterval * 1000) : nil
        configuration.limits.webSocketPingTimeoutMilliseconds = wsPingTimeout > 0 ? UInt64(wsPingTimeout * 1000) : nil
        return configuration
    }
}

/// `--http`, as `HTTPVersions` names them; uvicorn's values (its HTTP/1.1 parsers, `h11` and
/// `httptools`) mean HTTP/1.1 only, as under uvicorn.
enum HTTPOption: String, ExpressibleByArgument, CaseIterable {
    case auto
    case http1 = "1.1"
    case http2 = "2"
    case h11, httptools

    var versions: HTTPVersions {
        switch self {
        case .auto: .auto
        case .http1, .h11, .httptools: .http1
        case .http2: .http2
        }
    }
}

enum LifespanOption: String, ExpressibleByArgument, CaseIterable {
    case auto, on, off
}

/// How log lines are written (`--log-format`).
enum LogFormatOption: String, ExpressibleByArgument, CaseIterable {
    /// uvicorn's lines ("INFO:     message").
    case text
    /// One JSON object per line: time, level, logger, message, and the line's fields (an access
    /// line's method, path, status, duration, client, request and trace ids).
    case json
}

enum LogLevelOption: String, ExpressibleByArgument, CaseIterable {
    case debug, info, warning, error

    var level: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
