import ActorRuntime
import ArgumentParser
import FoundationEssentials
import Logging

/// `apus doctor [DIR]`: checks a functions tree before it is served (`apus.functions.doctor`):
/// one line per finding, `--json` for CI, exit status 1 when a check fails.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check a functions tree: configuration, routing conflicts, toolchains, dependencies, Python imports, files no route serves."
    )

    @Argument(help: "The functions tree.")
    var directory = "functions"

    @Flag(help: "Print the findings as JSON.")
    var json = false

    private struct Summary: Decodable {
        struct Counts: Decodable {
            let fail: Int
        }

        let summary: Counts
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, logLevel: .warning) }
        let logger = Logger(label: "apus")
        let path = SystemFiles.absolutePath(directory)
        _ = PythonHost.startInterpreter(appDirectory: path, logger: logger)
        let report: String
        let output: String
        do {
            report = try PythonModuleCall.text("apus.functions.doctor", "check", [.text(path)])
            output = json ? report + "\n" : try PythonModuleCall.text("apus.functions.doctor", "text", [.text(report)])
        } catch {
            Console.error("error: cannot check \(directory): \(error)")
            Console.terminate(1)
        }
        print(output, terminator: "")
        let failed = (try? JSONDecoder().decode(Summary.self, from: Data(report.utf8)))?.summary.fail ?? 1
        Console.terminate(failed > 0 ? 1 : 0)
    }
}
