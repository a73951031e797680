internal import ActorRuntime
internal import ApusHTTP
internal import ApusLoop
internal import ApusWorkers
internal import FoundationEssentials
internal import Logging

/// What the admin API reads and does to the tree it serves (`FunctionsHost`), on the loop thread.
protocol AdminHost: AnyObject {
    var manifest: FunctionsManifest { get }
    func healthReport() -> HealthResponder.Report
    func poolStatus(of key: String) -> WorkerPoolStatus?
    /// Loads the tree again, every worker function's workers included; `then` gets the number
    /// of routes, or why it failed (the previous version keeps serving).
    func reloadEverything(then: @escaping (Result<Int, ReloadFailure>) -> Void)
    var scheduleRunner: ScheduleRunner? { get }
}

struct ReloadFailure: Error {
    let reason: String
}

/// The admin API under `/_fn/` (FastFN's paths), when `APUS_ADMIN_TOKEN` is set (`AdminAccess`):
///
/// - `GET /_fn/health`, `GET /_fn/catalog` (every function, its routes, settings, pool and
///   schedule), `GET /_fn/schedules`;
/// - `GET|POST /_fn/reload`;
/// - `POST /_fn/invoke`: one request to a function, answered with what it answered;
/// - `GET /_fn/function-config?key=` and `GET /_fn/function-env?key=` (secrets as `<hidden>`);
/// - `POST /_fn/jobs`, `GET /_fn/jobs`, `GET|DELETE /_fn/jobs/<id>`, `GET /_fn/jobs/<id>/result`.
///
/// Requests to a function are made inside the server (`LocalExchange`), through its route.
final class AdminResponder {
    static let prefix = "/_fn/"
    /// FastFN's limit on an admin request's body.
    static let maxBodyBytes = 1 << 20

    private unowned let host: any AdminHost
    private let access: AdminAccess
    private let responder: any HTTPResponder
    private let logger: Logger
    private let jobs: FunctionJobs

    init(host: any AdminHost, access: AdminAccess, responder: any HTTPResponder, jobs: FunctionJobs, logger: Logger) {
        self.host = host
        self.access = access
        self.responder = responder
        self.jobs = jobs
        self.logger = logger
    }

    func stop() {
        jobs.stop()
    }

    func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        slot.route = "/_fn/"
        if let refusal = access.refusal(for: request) { return slot.complete(refusal) }
        guard let stream = request.bodyStream else { return answer(request, body: request.body, slot) }
        stream.collect(request.body) { [self] collected in
            switch collected {
            case .body(let body, _): answer(request, body: body, slot)
            case .overBudget: slot.complete(Self.error("payload too large", status: 413))
            case .failed: break
            }
        }
    }

    private func answer(_ request: HTTPRequest, body: [UInt8], _ slot: ResponseSlot) {
        guard body.count <= Self.maxBodyBytes else { return slot.complete(Self.error("payload too large", status: 413)) }
        let path = String(request.path.dropFirst(Self.prefix.count))
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let method = request.method
        func only(_ methods: String...) -> Bool {
            guard methods.contains(method) else {
                slot.complete(HTTPResponse(status: 405, headers: HTTPHeaders([("content-type", "application/json"),
                                                                              ("allow", methods.joined(separator: ", "))]),
                                           body: Array(#"{"error":"method not allowed"}"#.utf8)))
                return false
            }
            return true
        }
        switch parts {
        case ["health"]: if only("GET") { slot.complete(health()) }
        case ["catalog"]: if only("GET") { slot.complete(Self.json(catalog())) }
        case ["schedules"]: if only("GET") { slot.complete(schedules()) }
        case ["reload"]:
            if only("GET", "POST") {
                host.reloadEverything { result in
                    switch result {
                    case .success(let routes): slot.complete(Self.json(.object(["ok": .bool(true), "routes": .number(Double(routes))])))
                    case .failure(let failure): slot.complete(Self.error("reload failed: \(failure.reason)", status: 500))
                    }
                }
            }
        case ["invoke"]: if only("POST") { invoke(body, slot) }
        case ["function-config"]: if only("GET") { slot.complete(functionConfig(request)) }
        case ["function-env"]: if only("GET") { slot.complete(functionEnv(request)) }
        case ["jobs"]:
            if only("GET", "POST") { method == "POST" ? submitJob(body, slot) : listJobs(request, slot) }
        case _ where parts.count == 2 && parts[0] == "jobs":
            if only("GET", "DELETE") { method == "GET" ? jobMeta(parts[1], slot) : cancelJob(parts[1], slot) }
        case _ where parts.count == 3 && parts[0] == "jobs" && parts[2] == "result":
            if only("GET") { jobResult(parts[1], slot) }
        default: slot.complete(Self.error("not found", status: 404))
        }
    }

    // MARK: reading

    private func health() -> HTTPResponse {
        let report = host.healthReport()
        let status = report.starting ? "starting" : report.degraded ? "degraded" : "ok"
        let details = report.details.isEmpty ? "" : "," + report.details
        return .json("{\"status\":\"\(status)\"\(details)}")
    }

    private func catalog() -> JSONValue {
        let manifest = host.manifest
        let scheduled = Dictionary(manifest.schedules.map { ($0.function, $0.key) }, uniquingKeysWith: { first, _ in first })
        let functions: [JSONValue] = manifest.functions.map { function in
            var entry = Self.describe(function)
            entry["pool"] = host.poolStatus(of: function.key).map(Self.describe) ?? .null
            entry["schedule"] = scheduled[function.key].map(JSONValue.string) ?? .null
            return .object(entry)
        }
        return .object([
            "functions": .array(functions),
            "conflicts": .array(manifest.conflicts.map(JSONValue.string)),
            "errors": .array(manifest.errors.map(JSONValue.string)),
            "warnings": .array(manifest.warnings.map(JSONValue.string)),
        ])
    }

    private static func describe(_ function: FunctionsManifest.Function) -> [String: JSONValue] {
        [
            "key": .string(function.key), "name": .string(function.name), "runtime": .string(function.runtime),
            "routes": .array(function.routes.map(JSONValue.string)), "settings": function.settings,
        ]
    }

    private static func describe(_ status: WorkerPoolStatus) -> JSONValue {
        .object([
            "workers": .number(Double(status.workers)), "ready": .number(Double(status.ready)),
            "in_flight": .number(Double(status.inFlight)), "queued": .number(Double(status.queued)),
            "deaths": .number(Double(status.deaths)), "timeouts": .number(Double(status.timeouts)),
            "last_failure": status.lastFailure.map(JSONValue.string) ?? .null,
        ])
    }

    private func schedules() -> HTTPResponse {
        var json = JSONWriter(capacity: 512)
        json.raw("{\"ts\":\(Date().timeIntervalSince1970),\"schedules\":")
        if let runner = host.scheduleRunner { runner.itemsJSON(into: &json) } else { json.raw("[]") }
        json.raw(",\"runs_here\":\(host.scheduleRunner?.runsHere ?? false)}")
        return .json(String(decoding: json.output, as: UTF8.self))
    }

    /// The function `?key=` (its file) or `?name=` names, or the answer saying it is not there.
    private func function(_ request: HTTPRequest) -> Result<FunctionsManifest.Function, HTTPResponseBox> {
        let query = Self.query(request.query)
        guard let wanted = query["key"] ?? query["name"] else {
            return .failure(HTTPResponseBox(Self.error("say which function: ?key=<its file> or ?name=", status: 400)))
        }
        guard let function = host.manifest.functions.first(where: { $0.key == wanted || $0.name == wanted }) else {
            return .failure(HTTPResponseBox(Self.error("unknown function", status: 404)))
        }
        return .success(function)
    }

    private func functionConfig(_ request: HTTPRequest) -> HTTPResponse {
        switch function(request) {
        case .failure(let refusal): return refusal.response
        case .success(let function):
            var entry = Self.describe(function)
            entry["config"] = function.config
            entry["schedule"] = host.manifest.schedules.first { $0.function == function.key }.map { $0.raw } ?? .null
            return Self.json(.object(entry))
        }
    }

    private func functionEnv(_ request: HTTPRequest) -> HTTPResponse {
        switch function(request) {
        case .failure(let refusal): return refusal.response
        case .success(let function):
            let secrets = Set(function.secrets)
            let env = function.env.mapValues { value -> JSONValue in
                .object(["is_secret": .bool(false), "value": .string(value)])
            }.merging(secrets.map { ($0, JSONValue.object(["is_secret": .bool(true), "value": .string("<hidden>")])) }) { _, hidden in hidden }
            return Self.json(.object(["key": .string(function.key), "env": .object(env)]))
        }
    }

    // MARK: invoking

    /// What an `invoke` or a job asks for: `path` (or `key`/`name` of a function: its route
    /// without parameters), `method` (GET), `query`, `headers`, `body` (JSON sent as its text),
    /// `context` (the event's `context.user`).
    private func invocation(_ body: [UInt8], userAgent: String) -> Result<(FunctionInvocation, String?), HTTPResponseBox> {
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            return .failure(HTTPResponseBox(Self.error("the body must be a JSON object", status: 400)))
        }
        var method = "GET"
        if let given = fields["method"] {
            guard case .string(let text) = given, ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(text.uppercased()) else {
                return .failure(HTTPResponseBox(Self.error("method must be GET, POST, PUT, PATCH or DELETE", status: 400)))
            }
            method = text.uppercased()
        }
        var path: String
        var functionKey: String?
        if case .string(let given)? = fields["path"] {
            guard given.hasPrefix("/"), !given.hasPrefix(Self.prefix) else {
                return .failure(HTTPResponseBox(Self.error("path must start with / (and not be the admin API's)", status: 400)))
            }
            path = given
        } else if case .string(let wanted)? = fields["key"] ?? fields["name"] {
            guard let function = host.manifest.functions.first(where: { $0.key == wanted || $0.name == wanted }) else {
                return .failure(HTTPResponseBox(Self.error("unknown function", status: 404)))
            }
            let routes = function.routes.compactMap { route -> String? in
                let parts = route.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, parts[0].split(separator: ",").contains(Substring(method)), !parts[1].contains("{") else { return nil }
                return String(parts[1])
            }
            guard let route = routes.first else {
                return .failure(HTTPResponseBox(Self.error("the function has no \(method) route without parameters: give its path", status: 405)))
            }
            path = route
            functionKey = function.key
        } else {
            return .failure(HTTPResponseBox(Self.error("say what to invoke: path, or key (the function's file) or name", status: 400)))
        }
        if case .object(let query)? = fields["query"], !query.isEmpty {
            let encoded = query.keys.sorted().map { name -> String in
                let value: String
                switch query[name]! {
                case .string(let text): value = text
                case let other: value = String(decoding: (try? JSONEncoder().encode(other)) ?? Data(), as: UTF8.self)
                }
                return Self.percentEncoded(name) + "=" + Self.percentEncoded(value)
            }
            path += (path.contains("?") ? "&" : "?") + encoded.joined(separator: "&")
        }
        var headers: [(name: String, value: String)] = []
        if case .object(let given)? = fields["headers"] {
            for name in given.keys.sorted() {
                if case .string(let value) = given[name]! { headers.append((name.lowercased(), value)) }
            }
        }
        var requestBody: [UInt8] = []
        switch fields["body"] {
        case .string(let text)?: requestBody = Array(text.utf8)
        case nil, .null?: break
        case let other?: requestBody = (try? Array(JSONEncoder().encode(other))) ?? []
        }
        return .success((FunctionInvocation(method: method, target: path, headers: headers, body: requestBody,
                                            user: fields["context"], userAgent: userAgent), functionKey))
    }

    private func invoke(_ body: [UInt8], _ slot: ResponseSlot) {
        let invocation: FunctionInvocation
        switch self.invocation(body, userAgent: "apus-admin") {
        case .failure(let refusal): return slot.complete(refusal.response)
        case .success(let made): invocation = made.0
        }
        let began = slot.loop.now
        LocalExchange.send(invocation.request(trigger: ["type": .string("invoke")]), to: responder, on: slot.loop, logger: logger) { answer in
            var result = Self.describe(answer)
            result["latency_ms"] = .number(Double(slot.loop.now - began))
            slot.complete(Self.json(.object(result)))
        }
    }

    private static func describe(_ answer: LocalExchange.Answer) -> [String: JSONValue] {
        let headers = answer.joinedHeaders.mapValues(JSONValue.string)
        var result: [String: JSONValue] = ["status": .number(Double(answer.status)), "headers": .object(headers)]
        if let text = String(validating: answer.body, as: UTF8.self) {
            result["body"] = .string(text)
        } else {
            result["body_base64"] = .string(Data(answer.body).base64EncodedString())
            result["is_base64"] = .bool(true)
        }
        if answer.truncated { result["truncated"] = .bool(true) }
        return result
    }

    // MARK: jobs

    private func submitJob(_ body: [UInt8], _ slot: ResponseSlot) {
        let made: (FunctionInvocation, String?)
        switch invocation(body, userAgent: "apus-jobs") {
        case .failure(let refusal): return slot.complete(refusal.response)
        case .success(let value): made = value
        }
        let fields: [String: JSONValue]
        if case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) { fields = object } else { fields = [:] }
        let maxAttempts = min(10, max(1, fields["max_attempts"]?.int ?? 1))
        let retryDelayMs = min(3_600_000, max(0, fields["retry_delay_ms"]?.int ?? 1000))
        jobs.submit(made.0, function: made.1, maxAttempts: maxAttempts, retryDelayMs: retryDelayMs) { result in
            switch result {
            case .success(let job): slot.complete(Self.json(Self.meta(job), status: 201))
            case .failure(.queueFull):
                slot.complete(Self.error("the job queue is full (\(self.jobs.limits.maxQueue)); try again later", status: 429))
            case .failure(.storeFailed(let reason)): slot.complete(Self.error("the job cannot be kept: \(reason)", status: 500))
            }
        }
    }

    private func listJobs(_ request: HTTPRequest, _ slot: ResponseSlot) {
        let limit = min(200, max(1, Self.query(request.query)["limit"].flatMap(Int.init) ?? 50))
        jobs.read({ store in store.list(limit: limit) }) { listed in
            slot.complete(Self.json(.object(["jobs": .array((listed ?? []).map(Self.meta))])))
        }
    }

    private func jobMeta(_ id: String, _ slot: ResponseSlot) {
        jobs.read({ store in store.read(id) }) { job in
            guard let job else { return slot.complete(Self.error("job not found", status: 404)) }
            slot.complete(Self.json(Self.meta(job)))
        }
    }

    private func cancelJob(_ id: String, _ slot: ResponseSlot) {
        guard JobStore.isValidID(id) else { return slot.complete(Self.error("job not found", status: 404)) }
        jobs.cancel(id) { job in
            guard let job else { return slot.complete(Self.error("job not found", status: 404)) }
            guard job.status == .canceled else { return slot.complete(Self.error("job is not queued", status: 409)) }
            slot.complete(Self.json(Self.meta(job)))
        }
    }

    private func jobResult(_ id: String, _ slot: ResponseSlot) {
        jobs.read({ store in store.read(id) }) { job in
            guard let job else { return slot.complete(Self.error("job not found", status: 404)) }
            switch job.status {
            case .queued, .running:
                slot.complete(Self.json(.object([
                    "id": .string(job.id), "status": .string(job.status.rawValue), "error": .string("result not ready"),
                    "attempt": .number(Double(job.attempt)), "max_attempts": .number(Double(job.maxAttempts)),
                ]), status: 202))
            case .done, .failed:
                guard let result = job.result, let encoded = try? JSONEncoder().encode(result),
                      case .object(var fields)? = try? JSONDecoder().decode(JSONValue.self, from: encoded) else {
                    return slot.complete(Self.error("result not found", status: 404))
                }
                fields["id"] = .string(job.id)
                slot.complete(Self.json(.object(fields)))
            case .canceled:
                slot.complete(Self.json(.object(["error": .string("result not found"), "status": .string("canceled")]), status: 404))
            }
        }
    }

    /// A job without its result (`/result` has it).
    private static func meta(_ job: Job) -> JSONValue {
        var meta = job
        meta.result = nil
        guard let encoded = try? JSONEncoder().encode(meta), let value = try? JSONDecoder().decode(JSONValue.self, from: encoded) else {
            return .null
        }
        return value
    }

    // MARK: helpers

    private static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map(Array.init) ?? Array("null".utf8)
        return HTTPResponse(status: status, headers: HTTPHeaders([("content-type", "application/json")]), body: body)
    }

    private static func error(_ message: String, status: Int) -> HTTPResponse {
        json(.object(["error": .string(message)]), status: status)
    }

    private static func query(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in RequestTarget.percentDecoded(Substring(String(part.map { $0 == "+" ? " " : $0 }))) }
            values[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return values
    }

    private static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return result
    }
}

/// An answer carried as an error (`Result`'s failure must be an `Error`).
struct HTTPResponseBox: Error {
    let response: HTTPResponse

    init(_ response: HTTPResponse) {
        self.response = response
    }
}
