import ActorRuntime
import ArgumentParser
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `apus run TARGET`: flags follow uvicorn's names where uvicorn has one.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Serve an app (module:attribute), or the built-in self-test routes with --hello."
    )

    @Argument(help: "The app to serve, as module:attribute (e.g. main:app).")
    var target: String?

    @Flag(help: "Serve the built-in Swift routes (/plaintext, /json, ...) with no Python, to measure the HTTP core.")
    var hello = false

    @Option(help: "Bind socket to this host.")
    var host = "127.0.0.1"

    @Option(help: "Bind socket to this port (0 picks a free one).")
    var port = 8000

    @Option(help: "Log level: debug, info, warning, error.")
    var logLevel: LogLevelOption = .info

    @Flag(inversion: .prefixedNo, help: "Log every request.")
    var accessLog = true

    @Option(help: "Seconds to wait for in-flight requests on SIGINT/SIGTERM.")
    var gracefulTimeout: Double = 10

    @Option(help: "Close idle keep-alive connections after this many seconds.")
    var timeoutKeepAlive: Double = 5

    @Option(help: "Seconds a client has to send a complete request head.")
    var timeoutRequestHead: Double = 10

    @Option(help: "Largest request head (request line and headers) in bytes; larger gets 431.")
    var limitRequestHeadSize = 16 * 1024

    @Option(help: "Most header fields in a request; more gets 431.")
    var limitRequestHeaders = 100

    @Option(help: "Largest request body in bytes; larger gets 413.")
    var limitRequestBodySize = 16 * 1024 * 1024

    @Option(help: "Bytes queued for a slow reader before its connection stops reading.")
    var limitWriteBuffer = 1024 * 1024

    func validate() throws {
        if target == nil && !hello { throw ValidationError("missing TARGET (module:attribute), or --hello") }
        if target != nil && hello { throw ValidationError("give either TARGET or --hello, not both") }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        for (name, value) in [("graceful-timeout", gracefulTimeout), ("timeout-keep-alive", timeoutKeepAlive),
                              ("timeout-request-head", timeoutRequestHead)] where value <= 0 {
            throw ValidationError("--\(name) must be positive")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap { [logLevel] label in ConsoleLogHandler(label: label, logLevel: logLevel.level) }
        let logger = Logger(label: "apus")
        guard target == nil else {
            Console.error("error: serving Python apps needs the embedded interpreter, which this build does not include; use --hello")
            Console.terminate(2)
        }
        let router = Router(logger: logger)
        try HelloRoutes.register(on: router)
        let responder = router.responder()

        let server = try ServerProcess(configuration: serverConfiguration(), responder: responder, logger: logger)
        let boundPort: Int
        do {
            boundPort = try await server.start()
        } catch {
            Console.error("error: cannot listen on \(host):\(port): \(error.message)")
            Console.terminate(1)
        }
        for route in responder.routes {
            logger.info("route \((route.methods ?? ["*"]).joined(separator: ",")) \(route.path)")
        }
        let shown = host.contains(":") ? "[\(host)]" : host
        logger.info("Apus running on http://\(shown):\(boundPort) (Press CTRL+C to quit)")
        let signal = await server.waitForStopSignal()
        logger.info("Shutting down (signal \(signal))")
        await server.stop()
        logger.info("Finished server process")
        Console.terminate(0)
    }

    private func serverConfiguration() -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.accessLog = accessLog
        configuration.gracefulTimeoutMilliseconds = UInt64(gracefulTimeout * 1000)
        configuration.limits.keepAliveTimeoutMilliseconds = UInt64(timeoutKeepAlive * 1000)
        configuration.limits.headTimeoutMilliseconds = UInt64(timeoutRequestHead * 1000)
        configuration.limits.maxHeadBytes = limitRequestHeadSize
        configuration.limits.maxHeaderCount = limitRequestHeaders
        configuration.limits.maxBodyBytes = limitRequestBodySize
        configuration.limits.writeHighWaterBytes = limitWriteBuffer
        return configuration
    }
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
