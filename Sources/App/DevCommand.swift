import ArgumentParser

/// `apus dev [DIR]`: `apus run DIR` with hot reload — a file added, changed or removed in the
/// tree is served within moments, with no restart.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Serve a functions directory (default functions/) and reload it as it changes.",
        discussion: "Takes the options of `apus run` (--host, --port, --log-level, ...)."
    )

    @Argument(parsing: .captureForPassthrough, help: "[DIR] [options of apus run]")
    var arguments: [String] = []

    func run() async throws {
        var rest = arguments
        if rest.contains("--help") || rest.contains("-h") { throw CleanExit.helpRequest(self) }
        let directory = rest.first.map { !$0.hasPrefix("-") } == true ? rest.removeFirst() : "functions"
        let arguments: [String]
        do throws(EnvironmentOptions.Problem) {
            arguments = try EnvironmentOptions.completing([directory, "--hot-reload"] + rest)
        } catch {
            throw ValidationError(error.description)
        }
        let command = try RunCommand.parse(arguments)
        try await command.run()
    }
}
