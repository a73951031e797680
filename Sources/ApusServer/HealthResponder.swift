public import ApusHTTP
internal import Synchronization

/// The server's health, for load balancers and orchestrators, in front of any responder (an
/// app, a functions tree): at `path` (default `/_apus/health`, `GET` or `HEAD`):
/// - `path/live`: 200 while the server's loop answers (liveness: restart me if this fails);
/// - `path/ready`: 200 while the server takes requests, 503 once a graceful shutdown has begun
///   or while what it serves is still starting (readiness: send me traffic);
/// - `path`: both, and what the served thing reports of itself: `status` is `ok`, `degraded`
///   (something failed to load: the rest serves), `starting` or `draining` (503).
///
/// Answered on the loop thread, ahead of the app: a probe never waits behind Python.
public final class HealthResponder: HTTPResponder, Sendable {
    /// What the served thing says of itself, asked on the loop thread per request.
    public struct Report: Sendable {
        /// Still starting (a worker pool warming up): not ready yet.
        public var starting = false
        /// Something failed to load; the rest serves.
        public var degraded = false
        /// More members of the body's JSON object (`"key":value,...`), or empty.
        public var details = ""

        public init(starting: Bool = false, degraded: Bool = false, details: String = "") {
            self.starting = starting
            self.degraded = degraded
            self.details = details
        }
    }

    public let inner: any HTTPResponder
    public let path: String
    private let livePath: String
    private let readyPath: String
    /// Set by `serverWillDrain`; atomic, as any thread may ask for readiness.
    private let draining = Atomic<Bool>(false)
    /// The served thing's own report; nil: it has nothing to add.
    public let report: (@Sendable () -> Report)?

    public init(_ inner: any HTTPResponder, path: String = "/_apus/health", report: (@Sendable () -> Report)? = nil) {
        self.inner = inner
        self.path = path
        self.report = report
        livePath = path + "/live"
        readyPath = path + "/ready"
    }

    public var streamsRequestBodies: Bool { inner.streamsRequestBodies }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        guard request.method == "GET" || request.method == "HEAD", request.path.hasPrefix(path) else {
            return inner.respond(to: request, via: slot)
        }
        switch request.path {
        case livePath:
            slot.complete(.json(#"{"status":"ok"}"#))
        case readyPath:
            let state = readiness(report?())
            slot.complete(.json(#"{"status":"\#(state ?? "ready")"}"#, status: state == nil ? 200 : 503))
        case path:
            let report = report?()
            let state = readiness(report)
            let status = state ?? (report?.degraded == true ? "degraded" : "ok")
            var body = #"{"status":"\#(status)","ready":\#(state == nil)"#
            if let details = report?.details, !details.isEmpty { body += "," + details }
            slot.complete(.json(body + "}", status: state == nil ? 200 : 503))
        default:
            inner.respond(to: request, via: slot)
        }
    }

    /// Why the server is not ready (`draining`, `starting`), or nil when it is.
    private func readiness(_ report: Report?) -> String? {
        if draining.load(ordering: .relaxed) { return "draining" }
        if report?.starting == true { return "starting" }
        return nil
    }

    public func serverWillDrain() {
        draining.store(true, ordering: .relaxed)
        inner.serverWillDrain()
    }

    public func serverDidStop() {
        inner.serverDidStop()
    }

    public func collectMetrics(into text: inout MetricsText) {
        inner.collectMetrics(into: &text)
    }
}
