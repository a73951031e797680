internal import ApusLoop
#if canImport(Glibc)
internal import Glibc
#endif

/// `APUS_ROUTE_STATS=FILE`: one line per request, appended to FILE — `native METHOD TEMPLATE`
/// or `asgi METHOD PATH` — so a test run can count which path served what.
public final class RouteStats: Sendable {
    private let descriptor: Int32

    public init?(path: String) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    /// From `APUS_ROUTE_STATS`, or nil when it is not set.
    public static func fromEnvironment() -> RouteStats? {
        guard let value = getenv("APUS_ROUTE_STATS"), value.pointee != 0 else { return nil }
        return shared.withLock { stats in
            if stats == nil { stats = RouteStats(path: String(cString: value)) }
            return stats
        }
    }

    private static let shared = PThreadMutex<RouteStats?>(nil)

    /// Appends one line; a single `write` with O_APPEND, so lines from several servers or
    /// processes never interleave.
    public func record(_ line: String) {
        var text = line
        text.append("\n")
        text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
    }

    deinit {
        close(descriptor)
    }
}
