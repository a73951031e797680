/// Parameter routes as a tree of path segments. Matching explores every branch (literal,
/// then parameters, then `{name:path}`), because declaration order, not specificity, decides
/// which route wins; the table sorts what this reports.
struct SegmentTree: Sendable {
    private final class Node: @unchecked Sendable {
        var literals: [Substring: Node] = [:]
        var parameters: [(RoutePattern.Converter, Node)] = []
        /// Routes whose last segment is `{name:path}`: they take the rest of the path.
        var rest: [Int] = []
        /// Routes that end exactly here.
        var terminal: [Int] = []
    }

    private let root = Node()

    mutating func insert(_ segments: [RoutePattern.Segment], route: Int) {
        var node = root
        for segment in segments {
            switch segment {
            case .literal(let text):
                let key = Substring(text)
                if let next = node.literals[key] {
                    node = next
                } else {
                    let next = Node()
                    node.literals[key] = next
                    node = next
                }
            case .parameter(_, .path):
                node.rest.append(route)
                return
            case .parameter(_, let converter):
                if let existing = node.parameters.first(where: { $0.0 == converter }) {
                    node = existing.1
                } else {
                    let next = Node()
                    node.parameters.append((converter, next))
                    node = next
                }
            }
        }
        node.terminal.append(route)
    }

    /// Calls `found(route, capturedValues)` for every route matching `segments`.
    func match(
        _ segments: ArraySlice<Substring>, captured: inout [Substring],
        _ found: (Int, [Substring]) -> Void
    ) {
        Self.match(root, segments, &captured, found)
    }

    private static func match(
        _ node: Node, _ segments: ArraySlice<Substring>, _ captured: inout [Substring],
        _ found: (Int, [Substring]) -> Void
    ) {
        if !node.rest.isEmpty, !segments.isEmpty {
            let rest = segments.joined(separator: "/")
            for route in node.rest { found(route, captured + [Substring(rest)]) }
        }
        guard let segment = segments.first else {
            for route in node.terminal { found(route, captured) }
            return
        }
        let remaining = segments.dropFirst()
        if let next = node.literals[segment] {
            match(next, remaining, &captured, found)
        }
        for (converter, next) in node.parameters where converter.accepts(segment) {
            captured.append(segment)
            match(next, remaining, &captured, found)
            captured.removeLast()
        }
    }
}
