@testable import ApusHTTP
import Testing

/// The table at 10,000 routes of each kind: the same answers as at ten.
@Suite struct RouteTableScaleTests {
    private static let count = 10_000

    /// `/r{i}/items/{item_id:int}` (GET), `/s{i}` (GET), then a few routes that overlap them.
    private static let table: RouteTable<Int> = {
        var builder = RouteTableBuilder<Int>()
        var value = 0
        func add(_ methods: [String]?, _ path: String) {
            try! builder.add(methods: methods, path: path, value: value)
            value += 1
        }
        for i in 0..<count { add(["GET"], "/r\(i)/items/{item_id:int}") }
        for i in 0..<count { add(["GET"], "/s\(i)") }
        add(["POST"], "/r9999/items/{item_id:int}")  // 20000: same path, another method
        add(["PUT"], "/s9999")                       // 20001
        add(["GET"], "/files/{rest:path}")          // 20002
        add(["GET"], "/u/{id:uuid}")                // 20003
        add(["GET"], "/f/{x:float}")                // 20004
        add(["GET"], "/r0/items/latest")            // 20005: shadowed? no: int does not take "latest"
        return builder.freeze()
    }()

    private func value(_ lookup: RouteLookup<Int>) -> Int? {
        if case .matched(let value, _) = lookup { return value }
        return nil
    }

    @Test func theLastDeclaredRoutesMatch() {
        #expect(value(Self.table.lookup(method: "GET", path: "/r9999/items/5")) == 9_999)
        #expect(value(Self.table.lookup(method: "GET", path: "/s9999")) == 19_999)
        if case .matched(_, let parameters) = Self.table.lookup(method: "GET", path: "/r9999/items/5") {
            #expect(parameters == ["item_id": "5"])
        }
    }

    @Test func methodsOfEveryMatchingRouteAreAllowed() {
        #expect(value(Self.table.lookup(method: "POST", path: "/r9999/items/5")) == 20_000)
        guard case .methodNotAllowed(let allowed) = Self.table.lookup(method: "DELETE", path: "/s9999") else {
            Issue.record("expected a 405")
            return
        }
        #expect(allowed == ["GET", "PUT"])
    }

    @Test func trailingSlashesAndConvertors() {
        #expect(value(Self.table.lookup(method: "GET", path: "/s9999/")) == nil)
        #expect(value(Self.table.lookup(method: "GET", path: "/r9999/items/5/")) == nil)
        #expect(value(Self.table.lookup(method: "GET", path: "/r9999/items/x")) == nil)
        #expect(value(Self.table.lookup(method: "GET", path: "/r0/items/latest")) == 20_005)
        #expect(value(Self.table.lookup(method: "GET", path: "/files/a/b/c")) == 20_002)
        #expect(value(Self.table.lookup(method: "GET", path: "/u/123e4567-e89b-12d3-a456-426614174000")) == 20_003)
        #expect(value(Self.table.lookup(method: "GET", path: "/u/123E4567-E89B-12D3-A456-426614174000")) == nil)
        #expect(value(Self.table.lookup(method: "GET", path: "/f/2.5")) == 20_004)
        #expect(value(Self.table.lookup(method: "GET", path: "/f/2.")) == nil)
    }
}
