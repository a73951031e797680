import ActorRuntime
#if canImport(Glibc)
import Glibc
#endif

/// `--env-file`: variables from a dotenv file, read as python-dotenv reads it for uvicorn
/// (`KEY=value` lines, `export ` allowed, `#` comments, single quotes literal, double quotes
/// with escapes, `${NAME}` and `${NAME:-default}` expanded outside single quotes), set before
/// the interpreter starts. A variable the environment already has keeps its value, as
/// uvicorn's `load_dotenv` keeps it.
enum EnvFile {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// Sets the file's variables that are not set yet.
    static func load(_ path: String) throws(Problem) {
        guard let text = SystemFiles.read(path) else { throw Problem(description: "--env-file \(path): cannot read it") }
        for (name, value) in try parse(text, path: path) where getenv(name) == nil {
            setenv(name, value, 0)
        }
    }

    /// The file's assignments in order, with `${...}` expanded against the environment and the
    /// file's earlier lines.
    static func parse(_ text: String, path: String = "the file") throws(Problem) -> [(String, String)] {
        var assigned: [(String, String)] = []
        var known: [String: String] = [:]
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine)
            line = line.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            guard let equals = line.firstIndex(of: "="), case let name = line[..<equals].trimmingSpaces, isName(name) else {
                throw Problem(description: "--env-file \(path), line \(number + 1): expected NAME=value")
            }
            let value = try parseValue(line[line.index(after: equals)...].drop { $0 == " " || $0 == "\t" }, known) { reason in
                Problem(description: "--env-file \(path), line \(number + 1): \(reason)")
            }
            assigned.append((String(name), value))
            known[String(name)] = value
        }
        return assigned
    }

    private static func parseValue(
        _ raw: Substring, _ known: [String: String], _ problem: (String) -> Problem
    ) throws(Problem) -> String {
        guard let quote = raw.first, quote == "'" || quote == "\"" else {
            // Unquoted: up to a ` #` comment, trimmed, expanded.
            var value = raw
            if let comment = value.firstRange(of: " #") { value = value[..<comment.lowerBound] }
            return expand(String(value.trimmingSpaces), known)
        }
        var body = ""
        var escaped = false
        var index = raw.index(after: raw.startIndex)
        while index < raw.endIndex {
            let character = raw[index]
            if escaped {
                if quote == "\"" {
                    switch character {
                    case "n": body.append("\n")
                    case "t": body.append("\t")
                    case "r": body.append("\r")
                    case "\\", "\"", "'", "$": body.append(character)
                    default: body.append("\\"); body.append(character)
                    }
                } else {
                    body.append(character == "'" || character == "\\" ? character : "\\")
                    if character != "'" && character != "\\" { body.append(character) }
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == quote {
                let rest = raw[raw.index(after: index)...].trimmingSpaces
                guard rest.isEmpty || rest.hasPrefix("#") else { throw problem("text after the closing quote") }
                return quote == "\"" ? expand(body, known) : body
            } else {
                body.append(character)
            }
            index = raw.index(after: index)
        }
        throw problem("a quote that is not closed")
    }

    /// `${NAME}` and `${NAME:-default}`: the file's earlier value, else the environment's, else
    /// the default (or nothing).
    private static func expand(_ text: String, _ known: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let inside = rest[start.upperBound..<end]
            let (name, fallback): (Substring, Substring?) = inside.firstRange(of: ":-").map {
                (inside[..<$0.lowerBound], inside[$0.upperBound...])
            } ?? (inside, nil)
            let found = known[String(name)] ?? getenv(String(name)).map { String(cString: $0) }
            out += found.flatMap { $0.isEmpty ? nil : $0 } ?? fallback.map(String.init) ?? found ?? ""
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    private static func isName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || $0 == "." || $0 == "-" || $0.isLetter || $0.isNumber }
    }
}

extension StringProtocol {
    var trimmingSpaces: SubSequence {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map(index(after:)) ?? start
        return self[start..<Swift.max(start, end)]
    }
}
