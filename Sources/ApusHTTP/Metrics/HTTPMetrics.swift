/// The server's request metrics, kept on its loop thread (where requests are answered and where
/// the metrics endpoint reads them), so that recording one is a few additions with no lock or
/// atomic: requests by route template, method and status, their latency as a histogram per route
/// and method, bytes in and out, connections accepted, and requests refused before a handler.
///
/// Labels stay bounded: a route is the template its responder matched (`ResponseSlot.route`),
/// `<app>` for what the app routes itself, `<server>` for what the server answers on its own;
/// methods other than the standard ones count as `OTHER`.
final class HTTPMetrics {
    /// Seconds; Prometheus's usual latency buckets, with finer ones at the fast end.
    static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private struct Key: Hashable {
        let route: String
        let method: String
    }

    /// One route and method's counts, a class so that recording mutates it in place (a struct
    /// read out of the dictionary and written back copied its arrays on every request).
    private final class Series {
        /// Few statuses per route: a short list searched in order beats a dictionary's hashing.
        var statuses: [(status: Int, count: Int)] = []
        var buckets = [Int](repeating: 0, count: HTTPMetrics.bounds.count + 1)
        var sum = 0.0

        func record(status: Int, seconds: Double) {
            if let index = statuses.firstIndex(where: { $0.status == status }) {
                statuses[index].count += 1
            } else {
                statuses.append((status, 1))
            }
            var bucket = 0
            while bucket < HTTPMetrics.bounds.count && seconds > HTTPMetrics.bounds[bucket] { bucket += 1 }
            buckets[bucket] += 1
            sum += seconds
        }
    }

    private var series: [Key: Series] = [:]
    var bytesIn = 0
    var bytesOut = 0
    var connectionsAccepted = 0
    var refused: [Int: Int] = [:]
    /// TLS handshakes completed, and the CPU time their steps took on libuv's thread pool.
    private var handshakes = 0
    private var handshakeSeconds = 0.0

    func handshakeCompleted(seconds: Double) {
        handshakes += 1
        handshakeSeconds += seconds
    }

    func record(route: String?, method: String, status: Int, seconds: Double) {
        let key = Key(route: route ?? "<server>", method: Self.methodLabel(method))
        let entry: Series
        if let known = series[key] {
            entry = known
        } else {
            entry = Series()
            series[key] = entry
        }
        entry.record(status: status, seconds: seconds)
    }

    /// The standard methods as themselves, any other as `OTHER` (a bounded label).
    private static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS": method
        default: "OTHER"
        }
    }

    func render(into text: inout MetricsText, inFlight: Int, connections: Int, byState: [ConnectionState: Int]) {
        let ordered = series.sorted { ($0.key.route, $0.key.method) < ($1.key.route, $1.key.method) }
        text.family("apus_http_requests_total", .counter, "HTTP requests answered, by route template, method and status.")
        for (key, entry) in ordered {
            for (status, count) in entry.statuses.sorted(by: { $0.status < $1.status }) {
                text.sample("apus_http_requests_total", ["route": key.route, "method": key.method, "status": String(status)], count)
            }
        }
        text.family("apus_http_request_duration_seconds", .histogram,
                    "Time from a request's head to its response's last byte queued, by route template and method.")
        for (key, entry) in ordered {
            text.histogram("apus_http_request_duration_seconds", ["route": key.route, "method": key.method],
                           bounds: Self.bounds, counts: entry.buckets, sum: entry.sum)
        }
        text.family("apus_http_requests_in_flight", .gauge, "Requests with a handler now.")
        text.sample("apus_http_requests_in_flight", inFlight)
        text.family("apus_http_refused_total", .counter, "Requests refused before any handler (malformed, too large, timed out), by status.")
        for (status, count) in refused.sorted(by: { $0.key < $1.key }) {
            text.sample("apus_http_refused_total", ["status": String(status)], count)
        }
        text.family("apus_http_received_bytes_total", .counter, "Bytes read from clients.")
        text.sample("apus_http_received_bytes_total", bytesIn)
        text.family("apus_http_sent_bytes_total", .counter, "Bytes written to clients.")
        text.sample("apus_http_sent_bytes_total", bytesOut)
        text.family("apus_http_connections", .gauge, "Client connections open.")
        text.sample("apus_http_connections", connections)
        text.family("apus_http_connections_by_state", .gauge,
                    "Client connections open, by state: idle or active (HTTP/1.1), websocket, http2.")
        for state in ConnectionState.allCases {
            text.sample("apus_http_connections_by_state", ["state": state.rawValue], byState[state, default: 0])
        }
        text.family("apus_http_connections_accepted_total", .counter, "Client connections accepted.")
        text.sample("apus_http_connections_accepted_total", connectionsAccepted)
        text.family("apus_tls_handshakes_total", .counter, "TLS handshakes completed.")
        text.sample("apus_tls_handshakes_total", handshakes)
        text.family("apus_tls_handshake_cpu_seconds_total", .counter,
                    "CPU time of the completed TLS handshakes, spent on libuv's thread pool (off the loop thread).")
        text.sample("apus_tls_handshake_cpu_seconds_total", handshakeSeconds)
    }
}
