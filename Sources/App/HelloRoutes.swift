import ActorRuntime

/// `apus run --hello`: routes served from Swift alone, so the HTTP core can be measured and
/// tested without Python.
enum HelloRoutes {
    static func register(on router: Router) throws {
        try router.get("/plaintext") { _ in .text("Hello, World!") }
        try router.get("/json") { _ in .json(#"{"message":"Hello, World!"}"#) }
        // Echoes the request body with its content type: for body framing checks.
        try router.route(["POST", "PUT"], "/echo") { (request: HTTPRequest) throws -> HTTPResponse in
            var headers = HTTPHeaders()
            headers.add("content-type", request.headers["content-type"] ?? "application/octet-stream")
            return HTTPResponse(status: 200, headers: headers, body: request.body)
        }
        // Answers after the given number of milliseconds: for timeout and shutdown checks.
        try router.get("/delay/{ms:int}") { (request: HTTPRequest) async throws -> HTTPResponse in
            let milliseconds = Int(request.pathParameters["ms"] ?? "0") ?? 0
            try await Task.sleep(for: .milliseconds(min(milliseconds, 60_000)))
            return .text("waited \(milliseconds) ms")
        }
        // Streams `count` chunks of "chunk N\n": for chunked-response checks.
        try router.route(["GET"], "/stream/{count:int}", deferred: { request, slot in
            let count = min(Int(request.pathParameters["count"] ?? "0") ?? 0, 1_000_000)
            let writer = slot.startStream(headers: HTTPHeaders([("content-type", "text/plain")]))
            Task {
                for index in 0..<count {
                    guard await writer.write(Array("chunk \(index)\n".utf8)) else { break }
                }
                writer.finish()
            }
        })
        try router.get("/items/{item_id:int}") { request in
            let id = request.pathParameters["item_id"] ?? "0"
            return .json(#"{"item_id":\#(id)}"#)
        }
    }
}
