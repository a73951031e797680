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
        let path: String
        /// In path order; none for a static route.
        let parameterNames: [String]
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

    /// `patterns[i]` is `routes[i]`'s path, compiled.
    init(routes: [Route], patterns: [RoutePattern]) {
        self.routes = routes
        let tree = SegmentTreeBuilder()
        for (route, pattern) in zip(routes, patterns) where !route.parameterNames.isEmpty {
            tree.insert(pattern.segments, route: route.order)
        }
        self.tree = tree.frozen()
        var staticRoutes: [String: [Int]] = [:]
        for route in routes where route.parameterNames.isEmpty {
            staticRoutes[route.path, default: []].append(route.order)
        }
        var candidates: [String: [Candidate]] = [:]
        for (path, own) in staticRoutes {
            candidates[path] = Self.collect(path: path, staticRoutes: own, routes: routes, tree: self.tree)
        }
        staticCandidates = candidates
    }

    public var count: Int { routes.count }

    /// Declared routes as (methods, path), in order; for listings such as `apus routes`.
    public var listing: [(methods: [String]?, path: String)] {
        routes.map { ($0.methods, $0.path) }
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
                let names = routes[order].parameterNames
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
    private var patterns: [RoutePattern] = []

    public init() {}

    /// `methods` nil means any method.
    public mutating func add(methods: [String]?, path: String, value: Value) throws(RouteError) {
        let pattern = try RoutePattern(path)
        routes.append(.init(order: routes.count, methods: methods, path: path, parameterNames: pattern.parameterNames, value: value))
        patterns.append(pattern)
    }

    /// Room for `count` routes in all (a table built from a known list of routes).
    public mutating func reserveCapacity(_ count: Int) {
        routes.reserveCapacity(count)
        patterns.reserveCapacity(count)
    }

    public func freeze() -> RouteTable<Value> {
        RouteTable(routes: routes, patterns: patterns)
    }
}
