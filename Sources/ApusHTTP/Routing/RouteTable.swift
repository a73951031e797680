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
///
/// An app may have tens of thousands of routes, so a route is three words: its method list and
/// parameter names are shared with every route that has the same ones, its path is kept only
/// where lookups need it (the static paths' index, the tree's literals), and the static paths'
/// candidates lie in one flat array.
public final class RouteTable<Value: Sendable>: Sendable {
    struct Route: Sendable {
        let methods: [String]?  // nil: any method
        /// In path order; none for a static route.
        let parameterNames: [String]
        let value: Value

        func allows(_ method: String) -> Bool { methods?.contains(method) ?? true }
    }

    struct Candidate: Sendable {
        let route: Int32
        let parameters: [String: String]
    }

    /// In declaration order: a route's index is its order.
    private let routes: [Route]
    /// A static path's run of `staticCandidateList`.
    private let staticCandidates: [String: Range<Int32>]
    private let staticCandidateList: [Candidate]
    private let tree: SegmentTree

    /// `patterns[i]` is `routes[i]`'s path, compiled.
    init(routes: [Route], patterns: [RoutePattern]) {
        self.routes = routes
        let tree = SegmentTreeBuilder()
        for (order, (route, pattern)) in zip(routes, patterns).enumerated() where !route.parameterNames.isEmpty {
            tree.insert(pattern.segments, route: order)
        }
        self.tree = tree.frozen()
        var staticRoutes: [String: [Int]] = [:]
        for (order, (route, pattern)) in zip(routes, patterns).enumerated() where route.parameterNames.isEmpty {
            staticRoutes[pattern.path, default: []].append(order)
        }
        var runs: [String: Range<Int32>] = [:]
        runs.reserveCapacity(staticRoutes.count)
        var list: [Candidate] = []
        for (path, own) in staticRoutes {
            let start = Int32(list.count)
            list.append(contentsOf: Self.collect(path: path, staticRoutes: own, routes: routes, tree: self.tree))
            runs[path] = start..<Int32(list.count)
        }
        staticCandidates = runs
        staticCandidateList = list.exactCopy()
    }

    public var count: Int { routes.count }

    public func lookup(method: String, path: String) -> RouteLookup<Value> {
        if let run = staticCandidates[path] {
            return choose(method, staticCandidateList[Int(run.lowerBound)..<Int(run.upperBound)])
        }
        // A path that is no static route's path can only match parameter routes.
        return choose(method, Self.collect(path: path, staticRoutes: [], routes: routes, tree: tree))
    }

    /// The first of `candidates` (in declaration order) that allows `method`, or the 405.
    private func choose<Candidates: Collection<Candidate>>(_ method: String, _ candidates: Candidates) -> RouteLookup<Value> {
        guard !candidates.isEmpty else { return .notFound }
        for candidate in candidates where routes[Int(candidate.route)].allows(method) {
            return .matched(routes[Int(candidate.route)].value, parameters: candidate.parameters)
        }
        var allowed: [String] = []
        for candidate in candidates {
            for method in routes[Int(candidate.route)].methods ?? [] where !allowed.contains(method) {
                allowed.append(method)
            }
        }
        return .methodNotAllowed(allowed: allowed)
    }

    /// Every route matching `path`, in declaration order, with its parameter values:
    /// `staticRoutes` (the static routes whose path it is) and the tree's parameter routes.
    private static func collect(path: String, staticRoutes: [Int], routes: [Route], tree: SegmentTree) -> [Candidate] {
        var found = staticRoutes.map { Candidate(route: Int32($0), parameters: [:]) }
        if path.hasPrefix("/") {
            let segments = path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                .map { Substring($0) }
            var captured: [Substring] = []
            tree.match(segments[...], captured: &captured) { order, values in
                let names = routes[order].parameterNames
                var parameters: [String: String] = [:]
                for (name, value) in zip(names, values) { parameters[name] = String(value) }
                found.append(Candidate(route: Int32(order), parameters: parameters))
            }
        }
        return found.sorted { $0.route < $1.route }
    }
}

/// Builds a `RouteTable`; `freeze()` makes the immutable table (swapped atomically on reload).
public struct RouteTableBuilder<Value: Sendable> {
    private var routes: [RouteTable<Value>.Route] = []
    private var patterns: [RoutePattern] = []
    /// One stored copy of each method list and of each list of parameter names.
    private var sharedLists: [[String]: [String]] = [:]

    public init() {}

    /// `methods` nil means any method.
    public mutating func add(methods: [String]?, path: String, value: Value) throws(RouteError) {
        let pattern = try RoutePattern(path)
        routes.append(.init(methods: methods.map { shared($0) }, parameterNames: shared(pattern.parameterNames), value: value))
        patterns.append(pattern)
    }

    private mutating func shared(_ list: [String]) -> [String] {
        if list.isEmpty { return [] }
        if let known = sharedLists[list] { return known }
        sharedLists[list] = list
        return list
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
