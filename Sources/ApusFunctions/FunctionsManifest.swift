internal import FoundationEssentials

/// What `apus.functions` found in a tree, for the runtime: the functions its worker pools serve
/// and what went wrong (`FunctionsApp.manifest()`).
struct FunctionsManifest: Decodable {
    struct Worker: Decodable, Equatable {
        /// The function's file, relative to the tree: its pool's name.
        let key: String
        let name: String
        let runtime: String
        let file: String
        let folder: String
        let handler: String
        /// `timeout_ms`, `max_concurrency`, `max_body_bytes`, `worker_pool`, ... as the event's
        /// `context` carries them.
        let context: [String: JSONValue]
        let env: [String: String]
        let secrets: [String]
    }

    /// "GET /users/{id} node users/[id].js", most specific first.
    let routes: [String]
    let workers: [Worker]
    let conflicts: [String]
    let errors: [String]
    let warnings: [String]

    static func decode(_ text: String) throws -> FunctionsManifest {
        try JSONDecoder().decode(FunctionsManifest.self, from: Data(text.utf8))
    }
}

extension FunctionsManifest.Worker {
    func setting(_ name: String, default value: Int) -> Int { context[name]?.int ?? value }

    func poolSetting(_ name: String, default value: Int) -> Int {
        guard case .object(let pool)? = context["worker_pool"] else { return value }
        return pool[name]?.int ?? value
    }
}
