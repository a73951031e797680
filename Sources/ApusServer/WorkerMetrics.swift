public import ApusHTTP
internal import ApusLoop
#if canImport(Glibc)
internal import Glibc
#endif

/// `--metrics-port` with `--workers N` (or `--reload`): the supervisor's `/metrics`. Each worker
/// serves its own metrics on a Unix socket of its own (`--metrics-uds`, in a folder only this
/// process's user reads); a scrape reads every worker's, off the loop thread, and answers them
/// as one text: each sample with a `worker` label (`"0"`, `"1"`, ...), each family's HELP and
/// TYPE once, plus the supervisor's own: how many workers answered (`apus_workers_scraped`),
/// and how many were started, died, finished and were reloaded. Prometheus sums across the
/// label as it would across pods. A worker that does not answer (restarting) is left out, and
/// the gauge says how many did.
public struct WorkersMetricsEndpoint: HTTPResponder {
    let supervisor: ProcessSupervisor
    /// Worker `i`'s socket is `sockets[i]`.
    let sockets: [String]
    private var loop: EventLoop { supervisor.loop }

    public init(supervisor: ProcessSupervisor, sockets: [String]) {
        self.supervisor = supervisor
        self.sockets = sockets
    }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        guard request.path == "/metrics" else { return slot.complete(.error(404)) }
        guard request.method == "GET" || request.method == "HEAD" else {
            return slot.complete(.methodNotAllowed(allowed: ["GET", "HEAD"]))
        }
        let sockets = self.sockets
        loop.runOffLoop(producing: {
            sockets.map { Self.scrape($0) }
        }, then: { [supervisor] texts in
            let counts = supervisor.assumeIsolated { $0.counts }
            let body = Self.merge(texts) + Self.render(counts)
            slot.complete(HTTPResponse(
                status: 200, headers: HTTPHeaders([("content-type", "text/plain; version=0.0.4; charset=utf-8")]),
                body: Array(body.utf8)))
        })
    }

    /// The workers' texts as one: families in the order first seen, each sample labelled with
    /// its worker.
    static func merge(_ texts: [String?]) -> String {
        var order: [String] = []
        var heads: [String: [String]] = [:]
        var samples: [String: [String]] = [:]
        for (index, text) in texts.enumerated() {
            guard let text else { continue }
            var family = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("# ") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    guard parts.count >= 3 else { continue }
                    family = String(parts[2])
                    if heads[family] == nil {
                        order.append(family)
                        heads[family] = []
                        samples[family] = []
                    }
                    if heads[family]!.count < 2 && !heads[family]!.contains(String(line)) { heads[family]!.append(String(line)) }
                } else {
                    samples[family, default: []].append(labelled(line, worker: index))
                }
            }
        }
        var output = ""
        for family in order {
            for line in heads[family] ?? [] { output += line + "\n" }
            for line in samples[family] ?? [] { output += line + "\n" }
        }
        output += "# HELP apus_workers_scraped Workers whose metrics this answer holds.\n"
        output += "# TYPE apus_workers_scraped gauge\n"
        output += "apus_workers_scraped \(texts.compactMap { $0 }.count)\n"
        return output
    }

    /// The supervisor's own counts.
    static func render(_ counts: ProcessSupervisor.Counts) -> String {
        var text = MetricsText()
        text.family("apus_workers_started_total", .counter, "Worker processes started, the first ones included.")
        text.sample("apus_workers_started_total", counts.started)
        text.family("apus_workers_died_total", .counter, "Worker processes that died (a crash, an app that failed to import).")
        text.sample("apus_workers_died_total", counts.died)
        text.family("apus_workers_finished_total", .counter, "Worker processes that finished by themselves (--limit-max-requests).")
        text.sample("apus_workers_finished_total", counts.finished)
        text.family("apus_reloads_total", .counter, "Restarts of the workers for a change of the sources (--reload) or a SIGHUP.")
        text.sample("apus_reloads_total", counts.reloads)
        return text.output
    }

    /// `name{labels} value` (or `name value`) with `worker="index"` first among its labels.
    static func labelled(_ line: Substring, worker index: Int) -> String {
        let label = "worker=\"\(index)\""
        guard let space = line.firstIndex(of: " ") else { return String(line) }
        if let brace = line[..<space].firstIndex(of: "{") {
            let rest = line[line.index(after: brace)...]
            return line[...brace] + label + (rest.hasPrefix("}") ? "" : ",") + rest
        }
        return line[..<space] + "{" + label + "}" + line[space...]
    }

    /// One worker's metrics text over its Unix socket (blocking, on a pool thread), or nil.
    static func scrape(_ path: String) -> String? {
        guard let descriptor = UnixListener.connect(path: path, timeoutSeconds: 2) else { return nil }
        defer { close(descriptor) }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: worker\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
            return nil
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response.append(contentsOf: chunk[..<count])
        }
        let separator: [UInt8] = [13, 10, 13, 10]
        guard response.starts(with: Array("HTTP/1.1 200".utf8)),
              let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else { return nil }
        return String(decoding: response[(end + 4)...], as: UTF8.self)
    }
}
