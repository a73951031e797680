/// Parameter routes as a tree of path segments. Matching explores every branch (literal,
/// then parameters, then `{name:path}`), because declaration order, not specificity, decides
/// which route wins; the table sorts what this reports.
///
/// Built with a node object per segment (`SegmentTreeBuilder`), then frozen into flat arrays:
/// an app of 10,000 parameter routes has some 30,000 nodes, and a node here is a few integers
/// rather than an object with collections of its own (about a third of the memory).
struct SegmentTree: Sendable {
    /// A node's edges are the ranges `literals`, `parameters`, `rest` and `terminal` of the
    /// tree's shared arrays.
    private struct Node: Sendable {
        var literals: Range<Int32>
        var parameters: Range<Int32>
        /// Routes whose last segment is `{name:path}`: they take the rest of the path.
        var rest: Range<Int32>
        /// Routes that end exactly here.
        var terminal: Range<Int32>
    }

    /// A node with this many literal edges or more finds one by hashing, not by scanning.
    private static let hashedFanOut = 8

    private let nodes: [Node]
    private let literalKeys: [String]
    private let literalTargets: [Int32]
    /// Per node with many literal edges: key → target node.
    private let hashedLiterals: [Int32: [Substring: Int32]]
    private let parameterConverters: [RoutePattern.Converter]
    private let parameterTargets: [Int32]
    private let routeOrders: [Int32]

    fileprivate init(_ root: SegmentTreeBuilder.Node) {
        var nodes: [Node] = []
        var literalKeys: [String] = []
        var literalTargets: [Int32] = []
        var hashedLiterals: [Int32: [Substring: Int32]] = [:]
        var parameterConverters: [RoutePattern.Converter] = []
        var parameterTargets: [Int32] = []
        var routeOrders: [Int32] = []
        // Breadth first: a node's children are numbered when it is laid out.
        var queue: [SegmentTreeBuilder.Node] = [root]
        var next = 0
        while next < queue.count {
            let node = queue[next]
            next += 1
            let literalStart = Int32(literalKeys.count)
            for (key, child) in node.literals {
                literalKeys.append(key)
                literalTargets.append(Int32(queue.count))
                queue.append(child)
            }
            let literals = literalStart..<Int32(literalKeys.count)
            if literals.count >= Self.hashedFanOut {
                hashedLiterals[Int32(nodes.count)] = Dictionary(
                    uniqueKeysWithValues: literals.map { (Substring(literalKeys[Int($0)]), literalTargets[Int($0)]) })
            }
            let parameterStart = Int32(parameterConverters.count)
            for (converter, child) in node.parameters {
                parameterConverters.append(converter)
                parameterTargets.append(Int32(queue.count))
                queue.append(child)
            }
            let restStart = Int32(routeOrders.count)
            routeOrders.append(contentsOf: node.rest.map(Int32.init))
            let terminalStart = Int32(routeOrders.count)
            routeOrders.append(contentsOf: node.terminal.map(Int32.init))
            nodes.append(Node(
                literals: literals, parameters: parameterStart..<Int32(parameterConverters.count),
                rest: restStart..<terminalStart, terminal: terminalStart..<Int32(routeOrders.count)))
        }
        self.nodes = nodes
        self.literalKeys = literalKeys
        self.literalTargets = literalTargets
        self.hashedLiterals = hashedLiterals
        self.parameterConverters = parameterConverters
        self.parameterTargets = parameterTargets
        self.routeOrders = routeOrders
    }

    /// Calls `found(route, capturedValues)` for every route matching `segments`.
    func match(
        _ segments: ArraySlice<Substring>, captured: inout [Substring],
        _ found: (Int, [Substring]) -> Void
    ) {
        match(0, segments, &captured, found)
    }

    private func match(
        _ index: Int32, _ segments: ArraySlice<Substring>, _ captured: inout [Substring],
        _ found: (Int, [Substring]) -> Void
    ) {
        let node = nodes[Int(index)]
        if !node.rest.isEmpty, !segments.isEmpty {
            let rest = segments.joined(separator: "/")
            for route in node.rest { found(Int(routeOrders[Int(route)]), captured + [Substring(rest)]) }
        }
        guard let segment = segments.first else {
            for route in node.terminal { found(Int(routeOrders[Int(route)]), captured) }
            return
        }
        let remaining = segments.dropFirst()
        if let next = literal(segment, of: index, node) {
            match(next, remaining, &captured, found)
        }
        for edge in node.parameters where parameterConverters[Int(edge)].accepts(segment) {
            captured.append(segment)
            match(parameterTargets[Int(edge)], remaining, &captured, found)
            captured.removeLast()
        }
    }

    private func literal(_ segment: Substring, of index: Int32, _ node: Node) -> Int32? {
        if node.literals.count >= Self.hashedFanOut {
            return hashedLiterals[index]?[segment]
        }
        for edge in node.literals where literalKeys[Int(edge)] == segment {
            return literalTargets[Int(edge)]
        }
        return nil
    }
}

/// The tree while routes are added, a node object per segment; `frozen()` lays it out flat.
struct SegmentTreeBuilder {
    fileprivate final class Node {
        var literals: [(String, Node)] = []
        var literalIndex: [String: Int] = [:]
        var parameters: [(RoutePattern.Converter, Node)] = []
        var rest: [Int] = []
        var terminal: [Int] = []

        func literal(_ key: String) -> Node {
            if let index = literalIndex[key] { return literals[index].1 }
            let next = Node()
            literalIndex[key] = literals.count
            literals.append((key, next))
            return next
        }
    }

    private let root = Node()

    func insert(_ segments: [RoutePattern.Segment], route: Int) {
        var node = root
        for segment in segments {
            switch segment {
            case .literal(let text):
                node = node.literal(text)
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

    func frozen() -> SegmentTree {
        SegmentTree(root)
    }
}
