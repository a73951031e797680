/// A route path compiled once at registration: "/users/{id:int}/files/{rest:path}".
public struct RoutePattern: Sendable, Equatable, CustomStringConvertible {
    public enum Converter: String, Sendable {
        case str, int, float, uuid, path
    }

    public enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, converter: Converter)
    }

    public let path: String
    public let segments: [Segment]

    public var description: String { path }
    public var parameterNames: [String] {
        segments.compactMap { if case .parameter(let name, _) = $0 { name } else { nil } }
    }
    public var isStatic: Bool { parameterNames.isEmpty }

    public init(_ path: String) throws(RouteError) {
        guard path.hasPrefix("/") else { throw .invalidPath(path, "must start with \"/\"") }
        self.path = path
        var segments: [Segment] = []
        var seen = Set<String>()
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (index, part) in parts.enumerated() {
            guard part.hasPrefix("{"), part.hasSuffix("}") else {
                guard !part.contains("{"), !part.contains("}") else {
                    throw .invalidPath(path, "a parameter must fill a whole segment")
                }
                segments.append(.literal(String(part)))
                continue
            }
            let inner = part.dropFirst().dropLast()
            let pieces = inner.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pieces[0])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw .invalidPath(path, "invalid parameter name \"\(name)\"")
            }
            guard seen.insert(name).inserted else { throw .invalidPath(path, "duplicate parameter \"\(name)\"") }
            let converter: Converter
            if pieces.count == 2 {
                guard let known = Converter(rawValue: String(pieces[1])) else {
                    throw .invalidPath(path, "unknown converter \"\(pieces[1])\"")
                }
                converter = known
            } else {
                converter = .str
            }
            if converter == .path, index != parts.count - 1 {
                throw .invalidPath(path, "a {name:path} parameter must be the last segment")
            }
            segments.append(.parameter(name: name, converter: converter))
        }
        self.segments = segments
    }
}

public enum RouteError: Error, CustomStringConvertible, Equatable {
    case invalidPath(String, String)

    public var description: String {
        switch self {
        case .invalidPath(let path, let why): "invalid route path \"\(path)\": \(why)"
        }
    }
}

extension RoutePattern.Converter {
    /// Whether one path segment (or, for `.path`, the rest of the path) fits the converter,
    /// with Starlette's converter rules.
    func accepts(_ text: Substring) -> Bool {
        switch self {
        case .str: return !text.isEmpty
        case .path: return true
        case .int: return !text.isEmpty && text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        case .float:
            // [0-9]+(\.[0-9]+)?
            let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        case .uuid:
            // [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}
            let groups = text.split(separator: "-", omittingEmptySubsequences: false)
            return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy {
                $0.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
            }
        }
    }
}
