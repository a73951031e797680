/// What a lookup found.
public enum RouteLookup<Value> {
    case matched(Value, parameters: [String: String])
    /// The path matched, the method did not: answer 405 with these methods in `Allow`.
    case methodNotAllowed(allowed: [String])
    case notFound
}

/// Routes in declaration order, frozen for lookups from any thread.
///
/// FastAPI semantics: the first declared route whose path and method match wins; if routes
/// match the path but none the method, that is a 405. Static paths are answered from one
/// dictionary probe: at freeze time each static path already lists every route that matches it
/// (its own and any parameter route), in declaration order. Other paths walk a segment tree.
public final class RouteTable<Value: Sendable>: Sendable {
    struct Route: Sendable {
        let order: Int
        let methods: [String]?  // nil: any method
        let pattern: RoutePattern
        let value: Value

        func allows(_ method: String) -> Bool { methods?.contains(method) ?? true }
    }

    struct Candidate: Sendable {
        let route: Int
        let parameters: [String: String]
    }

    private let routes: [Route]
    private let staticCandidates: [String: [Candidate]]
    private let tree: SegmentTree

    init(routes: [Route]) {
        self.routes = routes
        var tree = SegmentTree()
        for route in routes where !route.pattern.isStatic {
            tree.insert(route.pattern.segments, route: route.order)
        }
        self.tree = tree
        var staticRoutes: [String: [Int]] = [:]
        for route in routes where route.pattern.isStatic {
            staticRoutes[route.pattern.path, default: []].append(route.order)
        }
        var candidates: [String: [Candidate]] = [:]
        for (path, own) in staticRoutes {
            candidates[path] = Self.collect(path: path, staticRoutes: own, routes: routes, tree: tree)
        }
        staticCandidates = candidates
    }

    public var count: Int { routes.count }

    /// Declared routes as (methods, path), in order; for listings such as `apus routes`.
    public var listing: [(methods: [String]?, path: String)] {
        routes.map { ($0.methods, $0.pattern.path) }
    }

    public func lookup(method: String, path: String) -> RouteLookup<Value> {
        // A path that is no static route's path can only match parameter routes.
        let candidates = staticCandidates[path] ?? Self.collect(path: path, staticRoutes: [], routes: routes, tree: tree)
        guard !candidates.isEmpty else { return .notFound }
        for candidate in candidates where routes[candidate.route].allows(method) {
            return .matched(routes[candidate.route].value, parameters: candidate.parameters)
        }
        var allowed: [String] = []
        for candidate in candidates {
            for method in routes[candidate.route].methods ?? [] where !allowed.contains(method) {
                allowed.append(method)
            }
        }
        return .methodNotAllowed(allowed: allowed)
    }

    /// Every route matching `path`, in declaration order, with its parameter values:
    /// `staticRoutes` (the static routes whose path it is) and the tree's parameter routes.
    private static func collect(path: String, staticRoutes: [Int], routes: [Route], tree: SegmentTree) -> [Candidate] {
        var found = staticRoutes.map { Candidate(route: $0, parameters: [:]) }
        if path.hasPrefix("/") {
            let segments = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                .map { Substring($0) }
            var captured: [Substring] = []
            tree.match(segments[...], captured: &captured) { order, values in
                let names = routes[order].pattern.parameterNames
                var parameters: [String: String] = [:]
                for (name, value) in zip(names, values) { parameters[name] = String(value) }
                found.append(Candidate(route: order, parameters: parameters))
            }
        }
        return found.sorted { $0.route < $1.route }
    }
}

/// Builds a `RouteTable`; `freeze()` makes the immutable table (swapped atomically on reload).
public struct RouteTableBuilder<Value: Sendable> {
    private var routes: [RouteTable<Value>.Route] = []

    public init() {}

    /// `methods` nil means any method.
    public mutating func add(methods: [String]?, path: String, value: Value) throws(RouteError) {
        let pattern = try RoutePattern(path)
        routes.append(.init(order: routes.count, methods: methods, pattern: pattern, value: value))
    }

    public func freeze() -> RouteTable<Value> {
        RouteTable(routes: routes)
    }
}
