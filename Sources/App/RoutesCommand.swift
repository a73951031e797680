import ActorRuntime
import ArgumentParser
import Logging

/// `apus routes module:app`: each route of the app with the way Apus serves it — a native plan
/// (and which kind) or ASGI with the reason. The app is imported as `apus run` imports it; its
/// lifespan does not run.
struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes",
        abstract: "List an app's routes: method, path, handler file:line, and how each runs (injected, direct, fastapi-handler, asgi, ...) with the reason."
    )

    @Argument(help: "The app, as module:attribute (e.g. main:app).")
    var target: String

    @Flag(help: "Treat TARGET as a factory: call it to get the app.")
    var factory = false

    @Option(help: "Directory the app module is imported from (put first on sys.path).")
    var appDir = "."

    func run() async throws {
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, logLevel: .warning) }
        let logger = Logger(label: "apus")
        let application = PythonHost.application(target: target, factory: factory, appDirectory: appDir, logger: logger)
        let routes: [PlannedRoute]
        do {
            routes = try PlanResponder.compileRoutes(application)
        } catch {
            Console.error("error: cannot compile the app's routes: \(error)")
            Console.terminate(1)
        }
        var lines: [[String]] = []
        for route in routes {
            let how = route.label
            lines.append([(route.methods ?? ["*"]).joined(separator: ","), route.path, route.location, how])
        }
        let widths = (0..<3).map { column in lines.map { $0[column].count }.max() ?? 0 }
        for line in lines {
            print((0..<3).map { line[$0].padding(to: widths[$0]) }.joined(separator: "  ") + "  " + line[3])
        }
        print("routes: \(PlanResponder.countsByKind(routes))")
        Console.terminate(0)
    }
}
