import ArgumentParser
import Logging

@main
struct ApusCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A Swift runtime for Python web apps and polyglot functions.",
        version: version,
        subcommands: [RunCommand.self, DevCommand.self, InitCommand.self, RoutesCommand.self, ParseCommand.self]
    )

    /// Usage errors exit 2 with a one-line message (as uvicorn and most Unix tools do);
    /// help and --version exit 0.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || code == .failure {
                exit(withError: error)
            }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "invalid usage"
            Console.error("\(message)\nTry 'apus --help' for more information.")
            Console.terminate(2)
        }
    }
}
