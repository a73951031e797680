import ActorRuntime
import Logging

#if canImport(Glibc)
import Glibc
#endif

// Swift routes first; a request none of them has goes to the Python app, whose routes run as
// Apus's plans (or through the app, with the reason logged), exactly as under `apus run`.
//
//   MixedService [APP_DIRECTORY]    (default: app, beside the current directory; PORT: 8080)

LoggingSystem.bootstrap(StreamLogHandler.standardError)
let logger = Logger(label: "mixed-service")

func fail(_ message: String) -> Never {
    logger.critical("\(message)")
    exit(1)
}

// The Python app: the interpreter starts, the app is imported from its directory (and its venv:
// VIRTUAL_ENV, or a .venv beside it), its lifespan runs, its routes are compiled into plans.
var options = PythonService.Options()
options.appDirectory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "app"
let python: PythonService
let plans: PlanResponder
do {
    python = try PythonService("main:app", options: options, logger: logger)
    plans = try python.plans()
} catch {
    fail("\(error)")
}
logger.info("\(plans.summary)")

// The Swift handlers: quick ones on the loop thread, slower ones as tasks.
let router = Router(logger: logger)
do {
    try router.get("/swift/ping") { _ in .text("pong") }
    try router.get("/swift/square/{n:int}") { request in
        let n = Int(request.pathParameters["n"] ?? "") ?? 0
        return .json(#"{"n":\#(n),"square":\#(n * n)}"#)
    }
    try router.post("/swift/echo") { (request: HTTPRequest) async throws -> HTTPResponse in
        .json(#"{"bytes":\#(request.body.count)}"#)
    }
} catch {
    fail("\(error)")
}

var configuration = HTTPServerConfiguration()
configuration.host = "127.0.0.1"
configuration.port = getenv("PORT").flatMap { Int(String(cString: $0)) } ?? 8080
let server: ServerProcess
do {
    server = try ServerProcess(
        configuration: configuration, responder: router.responder(fallback: plans), logger: logger)
} catch {
    fail("cannot start the event loop: \(error)")
}
python.startUpEnded()
let port: Int
do {
    port = try await server.start()
} catch {
    fail("cannot listen on port \(configuration.port): \(error)")
}
logger.info("serving Swift and Python on http://127.0.0.1:\(port)")
_ = await server.waitForStopSignal()
await server.stop()
python.shutdown()
logger.info("stopped")
