public import ApusHTTP
#if canImport(Glibc)
internal import Glibc
#endif

/// `--metrics-port`: Prometheus text at `GET /metrics`, on a listener of its own (so the app's
/// port never exposes it) served by the same loop as the app's server, whose metrics live on
/// that loop's thread and are read there without locks. The server's request metrics, what its
/// responder adds (routes and plans, executor threads, worker pools) and the process's own.
public struct MetricsEndpoint: HTTPResponder {
    let server: HTTPServer
    let version: String
    private let startTime: Double

    public init(server: HTTPServer, version: String) {
        self.server = server
        self.version = version
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        startTime = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        guard request.path == "/metrics" else { return slot.complete(.error(404)) }
        guard request.method == "GET" || request.method == "HEAD" else {
            return slot.complete(.methodNotAllowed(allowed: ["GET", "HEAD"]))
        }
        var text = MetricsText()
        processMetrics(into: &text)
        let body = text.output + server.assumeIsolated { $0.metricsText() }
        slot.complete(HTTPResponse(
            status: 200, headers: HTTPHeaders([("content-type", "text/plain; version=0.0.4; charset=utf-8")]),
            body: Array(body.utf8)))
    }

    private func processMetrics(into text: inout MetricsText) {
        text.family("apus_info", .gauge, "The Apus version serving (1).")
        text.sample("apus_info", ["version": version], 1)
        text.family("process_start_time_seconds", .gauge, "When the process started, in seconds since the epoch.")
        text.sample("process_start_time_seconds", startTime)
        if let resident = Self.residentBytes() {
            text.family("process_resident_memory_bytes", .gauge, "Resident memory of the process.")
            text.sample("process_resident_memory_bytes", resident)
        }
        if let open = Self.openDescriptors() {
            text.family("process_open_fds", .gauge, "Open file descriptors of the process.")
            text.sample("process_open_fds", open)
        }
    }

    /// From /proc/self/statm (its second field, in pages).
    private static func residentBytes() -> Int? {
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size = 0, resident = 0
        guard readTwo(file, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func readTwo(_ file: UnsafeMutablePointer<FILE>, _ first: inout Int, _ second: inout Int) -> Bool {
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let fields = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard fields.count >= 2, let a = Int(fields[0]), let b = Int(fields[1]) else { return false }
        (first, second) = (a, b)
        return true
    }

    private static func openDescriptors() -> Int? {
        guard let directory = opendir("/proc/self/fd") else { return nil }
        defer { closedir(directory) }
        var count = 0
        while readdir(directory) != nil { count += 1 }
        return count - 3  // ".", ".." and the directory's own descriptor
    }
}
