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

    /// A function the server runs on a schedule (`apus.functions.schedules.plan`).
    struct Schedule: Decodable, Equatable {
        struct Retry: Decodable, Equatable {
            let enabled: Bool
            let maxAttempts: Int
            let baseDelaySeconds: Double
            let maxDelaySeconds: Double
            let jitter: Double

            private enum CodingKeys: String, CodingKey {
                case enabled, jitter
                case maxAttempts = "max_attempts", baseDelaySeconds = "base_delay_seconds", maxDelaySeconds = "max_delay_seconds"
            }
        }

        /// The block as written, completed with its defaults.
        struct Settings: Decodable, Equatable {
            let everySeconds: Int?
            let cron: String?
            let timezone: String
            let method: String
            let body: String?
            let retry: Retry
            /// "queue": a run due while the last one runs starts when it ends; "skip": it is skipped.
            let overlap: String

            private enum CodingKeys: String, CodingKey {
                case cron, timezone, method, body, retry, overlap
                case everySeconds = "every_seconds"
            }
        }

        /// "GET /reports/daily": the schedule's name in the state file and the health report.
        let key: String
        /// The function's file, relative to the tree.
        let function: String
        let runtime: String
        /// The `fn.config.json` that holds it.
        let config: String
        /// The path and query of the request each run makes.
        let target: String
        let headers: [[String]]
        /// `event.context.trigger`, but for `attempt`.
        let trigger: [String: JSONValue]
        /// `schedule.context`, given as `event.context.user`.
        let user: JSONValue?
        let schedule: Settings
        /// The block as parsed, for `next_run`.
        let raw: JSONValue

        private enum CodingKeys: String, CodingKey {
            case key, function, runtime, config, target, headers, trigger, user, schedule
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            key = try container.decode(String.self, forKey: .key)
            function = try container.decode(String.self, forKey: .function)
            runtime = try container.decode(String.self, forKey: .runtime)
            config = try container.decode(String.self, forKey: .config)
            target = try container.decode(String.self, forKey: .target)
            headers = try container.decode([[String]].self, forKey: .headers)
            trigger = try container.decode([String: JSONValue].self, forKey: .trigger)
            user = try container.decodeIfPresent(JSONValue.self, forKey: .user)
            schedule = try container.decode(Settings.self, forKey: .schedule)
            raw = try container.decode(JSONValue.self, forKey: .schedule)
        }
    }

    /// One function (file) as the admin API's catalog shows it.
    struct Function: Decodable {
        /// Its file, relative to the tree.
        let key: String
        let name: String
        let runtime: String
        /// "default", or the version folder's name.
        let version: String
        /// "GET,POST /users/{id}", one per route.
        let routes: [String]
        /// `fn.config.json` as its files set it, and the settings that apply.
        let config: JSONValue
        let settings: JSONValue
        let env: [String: String]
        let secrets: [String]
    }

    /// A function's route whose requests are shared with its versions (`fn.config.json`'s `rollout`).
    struct Rollout: Decodable, Equatable {
        struct Share: Decodable, Equatable {
            let version: String
            /// The version's route (`/hello@v2`).
            let path: String
            /// Percent of the requests.
            let weight: Double
        }

        let path: String
        let methods: [String]
        let versions: [Share]

        /// The version's path for a draw in 0..<100, or nil for the function's own route.
        func path(forDraw draw: Double) -> String? {
            var bound = 0.0
            for share in versions {
                bound += share.weight
                if draw < bound { return share.path }
            }
            return nil
        }
    }

    /// "GET /users/{id} node users/[id].js", most specific first.
    let routes: [String]
    let rollouts: [Rollout]
    let functions: [Function]
    let workers: [Worker]
    let conflicts: [String]
    let errors: [String]
    let warnings: [String]
    let schedules: [Schedule]

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
