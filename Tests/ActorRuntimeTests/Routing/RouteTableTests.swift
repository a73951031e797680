@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Testing

private func table(_ routes: [([String]?, String)]) throws -> RouteTable<Int> {
    var builder = RouteTableBuilder<Int>()
    for (index, (methods, path)) in routes.enumerated() {
        try builder.add(methods: methods, path: path, value: index)
    }
    return builder.freeze()
}

private func matched(_ lookup: RouteLookup<Int>) -> (Int, [String: String])? {
    if case .matched(let value, let parameters) = lookup { return (value, parameters) }
    return nil
}

@Suite struct RouteTableTests {
    @Test func declarationOrderWins() throws {
        let t = try table([(["GET"], "/users/me"), (["GET"], "/users/{id}")])
        #expect(matched(t.lookup(method: "GET", path: "/users/me"))?.0 == 0)
        #expect(matched(t.lookup(method: "GET", path: "/users/7"))?.1 == ["id": "7"])

        let reversed = try table([(["GET"], "/users/{id}"), (["GET"], "/users/me")])
        let hit = matched(reversed.lookup(method: "GET", path: "/users/me"))
        #expect(hit?.0 == 0 && hit?.1 == ["id": "me"])
    }

    @Test func methodMissIs405WithEveryAllowedMethod() throws {
        let t = try table([(["GET", "HEAD"], "/items"), (["POST"], "/items"), (["PUT"], "/items/{id}")])
        guard case .methodNotAllowed(let allowed) = t.lookup(method: "DELETE", path: "/items") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["GET", "HEAD", "POST"])
        #expect(matched(t.lookup(method: "POST", path: "/items"))?.0 == 1)
        guard case .notFound = t.lookup(method: "GET", path: "/nothing") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test func laterRouteMatchesWhenEarlierOnlyMissesMethod() throws {
        let t = try table([(["GET"], "/x/{id}"), (["POST"], "/x/{name}")])
        let hit = matched(t.lookup(method: "POST", path: "/x/abc"))
        #expect(hit?.0 == 1 && hit?.1 == ["name": "abc"])
    }

    @Test func converters() throws {
        let t = try table([
            (nil, "/n/{i:int}"), (nil, "/n/{f:float}"), (nil, "/n/{s}"),
            (nil, "/u/{u:uuid}"), (nil, "/files/{p:path}"),
        ])
        #expect(matched(t.lookup(method: "GET", path: "/n/12"))?.0 == 0)
        #expect(matched(t.lookup(method: "GET", path: "/n/1.5"))?.0 == 1)
        #expect(matched(t.lookup(method: "GET", path: "/n/x"))?.0 == 2)
        #expect(matched(t.lookup(method: "GET", path: "/u/123e4567-e89b-12d3-a456-426614174000"))?.0 == 3)
        #expect(matched(t.lookup(method: "GET", path: "/u/nope")) == nil)
        #expect(matched(t.lookup(method: "GET", path: "/files/a/b/c.txt"))?.1 == ["p": "a/b/c.txt"])
        #expect(matched(t.lookup(method: "GET", path: "/files/"))?.1 == ["p": ""])
        #expect(matched(t.lookup(method: "GET", path: "/files")) == nil)
    }

    @Test func emptySegmentsAndTrailingSlashes() throws {
        let t = try table([(nil, "/"), (nil, "/a/"), (nil, "/a/{x}")])
        #expect(matched(t.lookup(method: "GET", path: "/"))?.0 == 0)
        #expect(matched(t.lookup(method: "GET", path: "/a/"))?.0 == 1)
        #expect(matched(t.lookup(method: "GET", path: "/a")) == nil)
        #expect(matched(t.lookup(method: "GET", path: "//")) == nil)
    }

    /// A node finds a literal edge by scanning below eight of them and by hashing from eight
    /// (the frozen tree): both find every edge, and a parameter edge beside them still answers
    /// in declaration order.
    @Test(arguments: [7, 8, 9])
    func literalEdgesScannedOrHashed(count: Int) throws {
        var routes: [([String]?, String)] = (0..<count).map { (["GET"], "/v\($0)/{id:int}") }
        routes.append((["GET"], "/{name}/{id:int}"))
        let t = try table(routes)
        for index in 0..<count {
            let hit = matched(t.lookup(method: "GET", path: "/v\(index)/5"))
            #expect(hit?.0 == index && hit?.1 == ["id": "5"])
        }
        let other = matched(t.lookup(method: "GET", path: "/other/5"))
        #expect(other?.0 == count && other?.1 == ["name": "other", "id": "5"])
        guard case .notFound = t.lookup(method: "GET", path: "/v0/x/y") else {
            Issue.record("expected 404")
            return
        }
    }

    @Test func invalidPatterns() {
        #expect(throws: RouteError.self) { try RoutePattern("no-slash") }
        #expect(throws: RouteError.self) { try RoutePattern("/a/{x}/{x}") }
        #expect(throws: RouteError.self) { try RoutePattern("/a/{p:path}/b") }
        #expect(throws: RouteError.self) { try RoutePattern("/a/{x:bogus}") }
        #expect(throws: RouteError.self) { try RoutePattern("/a/pre{x}") }
    }
}
