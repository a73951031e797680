import ArgumentParser
import Logging
#if canImport(Glibc)
import Glibc
#endif

@main
struct ApusCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "A Swift runtime for Python web apps and polyglot functions.",
        version: version,
        subcommands: [RunCommand.self, DevCommand.self, InitCommand.self, RoutesCommand.self, DoctorCommand.self, ParseCommand.self]
    )

    /// Runs the command as a task and parks the main thread until the task ends the process.
    /// (An `async` main would park it in `dispatch_main`, which ends the thread with
    /// `pthread_exit`: its forced unwinding loads libgcc_s and reads the unwind tables of every
    /// frame, which made some 0.6 MB of the executable resident for nothing.)
    static func main() {
        // Detached: `main` is on the main actor, whose queue this thread, parked, never drains.
        Task.detached {
            await runAsRoot()
            Console.terminate(0)
        }
        while true { pause() }
    }

    /// `apus run`'s options the command line leaves out, from `APUS_*` variables
    /// (`EnvironmentOptions`); `apus dev` adds them itself.
    private static func withEnvironmentOptions(_ arguments: [String]) throws -> [String] {
        guard arguments.first == "run" else { return arguments }
        do throws(EnvironmentOptions.Problem) {
            return ["run"] + (try EnvironmentOptions.completing(Array(arguments.dropFirst())))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Usage errors exit 2 with a one-line message (as uvicorn and most Unix tools do);
    /// help and --version exit 0.
    private static func runAsRoot() async {
        do {
            var command = try parseAsRoot(try withEnvironmentOptions(Array(CommandLine.arguments.dropFirst())))
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
