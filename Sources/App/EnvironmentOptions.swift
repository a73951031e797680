import ActorRuntime
import ArgumentParser

/// Every option of `apus run` (and `apus dev`) may come from the environment, as uvicorn reads
/// `UVICORN_<NAME>`: `APUS_PORT=9000`, `APUS_LOG_LEVEL=debug`, `APUS_ACCESS_LOG=false`. The
/// command line wins over the environment. The options are read from the command's own help,
/// so a new option needs nothing here.
enum EnvironmentOptions {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    private enum Kind {
        case value
        case flag(invertible: Bool)
    }

    /// `arguments` (after `run`) with the options the environment sets and they do not.
    static func completing(
        _ arguments: [String], environment: [String: String] = SystemFiles.environment
    ) throws(Problem) -> [String] {
        // A worker gets its options from its supervisor, whose environment it inherits.
        if arguments.contains("--worker") { return arguments }
        var completed = arguments
        for (names, kind) in options() {
            let name = names[0]
            guard let value = environment[variable(for: name)] else { continue }
            let given = arguments.contains { argument in
                names.contains { argument == "--\($0)" || argument.hasPrefix("--\($0)=") || argument == "--no-\($0)" }
            }
            if given { continue }
            switch kind {
            case .value:
                completed += ["--\(name)", value]
            case .flag(let invertible):
                switch value.lowercased() {
                case "1", "true", "yes", "on": completed.append("--\(name)")
                case "0", "false", "no", "off": if invertible { completed.append("--no-\(name)") }
                default: throw Problem(description: "\(variable(for: name))=\(value): give true or false")
                }
            }
        }
        return completed
    }

    /// `--log-level` → `APUS_LOG_LEVEL`.
    static func variable(for name: String) -> String {
        "APUS_" + name.uppercased().replacingAll("-", with: "_")
    }

    /// The long options of `apus run`, each with its names (the first names its variable), from
    /// its help, whose lines read `--name <value>`, `--name, --alias <value>`, `--name/--no-name`
    /// or `--name` (hidden options are not there).
    private static func options() -> [([String], Kind)] {
        var found: [([String], Kind)] = []
        for line in RunCommand.helpMessage(columns: 10_000).split(separator: "\n") {
            guard line.drop(while: { $0 == " " }).hasPrefix("--") else { continue }
            var names: [String] = []
            var kind = Kind.flag(invertible: false)
            for token in line.split(separator: " ") {
                if token.hasPrefix("<") {
                    kind = .value
                    break
                }
                guard token.hasPrefix("--") else { break }
                let spelling = token.hasSuffix(",") ? token.dropLast() : token
                if let slash = spelling.firstIndex(of: "/") {
                    names.append(String(spelling[..<slash].dropFirst(2)))
                    kind = .flag(invertible: true)
                } else {
                    names.append(String(spelling.dropFirst(2)))
                }
            }
            if names.isEmpty || names == ["help"] || names == ["version"] { continue }
            found.append((names, kind))
        }
        return found
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
