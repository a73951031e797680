/// Parameter routes as a tree of path segments. Matching explores every branch (literal,
/// then parameters, then `{name:path}`), because declaration order, not specificity, decides
/// which route wins; the table sorts what this reports.
///
/// Built with a node object per segment (`SegmentTreeBuilder`), then frozen into flat arrays:
/// an app of 10,000 parameter routes has some 30,000 nodes, and a node here is four integers
/// rather than an object with collections of its own.
struct SegmentTree: Sendable {
    /// Where a node's edges start in the tree's shared arrays. Nodes are laid out breadth
    /// first and their edges appended in the same order, so a node's edges end where the next
    /// node's start (the last node is a sentinel that only marks the ends): `literals` and
    /// `parameters` index their arrays, `rest` and `terminal` are consecutive runs of
    /// `routeOrders`.
    private struct Node: Sendable {
        var literals: Int32
        var parameters: Int32
        /// Routes whose last segment is `{name:path}`: they take the rest of the path.
        var rest: Int32
        /// Routes that end exactly here.
        var terminal: Int32
    }

    /// A node with this many literal edges or more finds one by hashing, not by scanning.
    private static let hashedFanOut = 8

    private let nodes: [Node]
    private let literalKeys: [String]
    private let literalTargets: [Int32]
    /// Per node with many literal edges: its run of `literalBuckets`, an open-addressing table
    /// (a power of two, at most half full) of literal edges (0 is empty, else the edge + 1).
    private let hashedNodes: [Int32: Range<Int32>]
    private let literalBuckets: [Int32]
    private let parameterConverters: [RoutePattern.Converter]
    private let parameterTargets: [Int32]
    private let routeOrders: [Int32]

    fileprivate init(_ root: SegmentTreeBuilder.Node) {
        var nodes: [Node] = []
        var literalKeys: [String] = []
        var literalTargets: [Int32] = []
        var hashedNodes: [Int32: Range<Int32>] = [:]
        var literalBuckets: [Int32] = []
        var parameterConverters: [RoutePattern.Converter] = []
        var parameterTargets: [Int32] = []
        var routeOrders: [Int32] = []
        // Breadth first: a node's children are numbered when it is laid out.
        var queue: [SegmentTreeBuilder.Node] = [root]
        var next = 0
        while next < queue.count {
            let node = queue[next]
            next += 1
            nodes.append(Node(
                literals: Int32(literalKeys.count), parameters: Int32(parameterConverters.count),
                rest: Int32(routeOrders.count), terminal: Int32(routeOrders.count + node.rest.count)))
            let firstLiteral = literalKeys.count
            for (key, child) in node.literals {
                literalKeys.append(key)
                literalTargets.append(Int32(queue.count))
                queue.append(child)
            }
            if node.literals.count >= Self.hashedFanOut {
                let start = Int32(literalBuckets.count)
                Self.appendBuckets(for: literalKeys[firstLiteral...], firstEdge: firstLiteral, to: &literalBuckets)
                hashedNodes[Int32(nodes.count - 1)] = start..<Int32(literalBuckets.count)
            }
            for (converter, child) in node.parameters {
                parameterConverters.append(converter)
                parameterTargets.append(Int32(queue.count))
                queue.append(child)
            }
            routeOrders.append(contentsOf: node.rest.map(Int32.init))
            routeOrders.append(contentsOf: node.terminal.map(Int32.init))
        }
        nodes.append(Node(
            literals: Int32(literalKeys.count), parameters: Int32(parameterConverters.count),
            rest: Int32(routeOrders.count), terminal: Int32(routeOrders.count)))
        // Exact copies: arrays grown by appending keep up to twice the room they need.
        self.nodes = nodes.exactCopy()
        self.literalKeys = literalKeys.exactCopy()
        self.literalTargets = literalTargets.exactCopy()
        self.hashedNodes = hashedNodes
        self.literalBuckets = literalBuckets.exactCopy()
        self.parameterConverters = parameterConverters.exactCopy()
        self.parameterTargets = parameterTargets.exactCopy()
        self.routeOrders = routeOrders.exactCopy()
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
        let end = nodes[Int(index) + 1]
        if node.rest < node.terminal, !segments.isEmpty {
            let rest = segments.joined(separator: "/")
            for route in node.rest..<node.terminal { found(Int(routeOrders[Int(route)]), captured + [Substring(rest)]) }
        }
        guard let segment = segments.first else {
            for route in node.terminal..<end.rest { found(Int(routeOrders[Int(route)]), captured) }
            return
        }
        let remaining = segments.dropFirst()
        if let next = literal(segment, of: index, edges: node.literals..<end.literals) {
            match(next, remaining, &captured, found)
        }
        for edge in node.parameters..<end.parameters where parameterConverters[Int(edge)].accepts(segment) {
            captured.append(segment)
            match(parameterTargets[Int(edge)], remaining, &captured, found)
            captured.removeLast()
        }
    }

    private func literal(_ segment: Substring, of index: Int32, edges: Range<Int32>) -> Int32? {
        if edges.count >= Self.hashedFanOut, let buckets = hashedNodes[index] {
            let mask = buckets.count - 1
            var slot = Self.hash(segment.utf8) & mask
            while true {
                let entry = literalBuckets[Int(buckets.lowerBound) + slot]
                if entry == 0 { return nil }
                if literalKeys[Int(entry - 1)] == segment { return literalTargets[Int(entry - 1)] }
                slot = (slot + 1) & mask
            }
        }
        for edge in edges where literalKeys[Int(edge)] == segment {
            return literalTargets[Int(edge)]
        }
        return nil
    }

    /// An open-addressing table of `keys` (edges `firstEdge...`), appended to `buckets`.
    private static func appendBuckets(for keys: ArraySlice<String>, firstEdge: Int, to buckets: inout [Int32]) {
        var size = 1
        while size < keys.count * 2 { size <<= 1 }
        let start = buckets.count
        buckets.append(contentsOf: repeatElement(0, count: size))
        for (offset, key) in keys.enumerated() {
            var slot = hash(key.utf8) & (size - 1)
            while buckets[start + slot] != 0 { slot = (slot + 1) & (size - 1) }
            buckets[start + slot] = Int32(firstEdge + offset + 1)
        }
    }

    /// FNV-1a: the same for a `String` and a `Substring` of the same bytes, with no setup. It
    /// needs no seed: the keys are the app's own path segments, fixed at start, so a request
    /// can at worst walk the longest run of occupied buckets that those keys left.
    private static func hash<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return Int(truncatingIfNeeded: value)
    }
}

extension Array {
    /// A copy whose storage holds exactly `count` elements.
    func exactCopy() -> [Element] {
        withUnsafeBufferPointer { Array($0) }
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
