#if canImport(Glibc)
internal import Glibc
#endif

/// Serializes response heads. One per loop: it caches the `date` header line, rebuilt at
/// most once per second.
final class ResponseEncoder {
    private var cachedSecond = -1
    private var dateLine: [UInt8] = []
    private let sendsDate: Bool
    /// The header lines every response starts with after `date` (`server: apus` and the
    /// server's own, `--header`), encoded once.
    private let fixedLines: [UInt8]
    /// The same as fields, for HTTP/2 (whose header fields HPACK encodes).
    private let fixedFields: [(name: String, value: String)]
    private var dateValue = ""

    init(date: Bool = true, server: Bool = true, headers: [(name: String, value: String)] = []) {
        sendsDate = date
        fixedFields = (server ? [("server", "apus")] : []) + headers.map { ($0.name.lowercased(), $0.value) }
        var lines: [UInt8] = server ? Array("server: apus\r\n".utf8) : []
        for field in headers {
            lines.append(contentsOf: field.name.utf8)
            lines.append(contentsOf: ": ".utf8)
            Latin1.withBytes(of: field.value) { lines.append(contentsOf: $0) }
            lines.append(contentsOf: "\r\n".utf8)
        }
        fixedLines = lines
    }

    enum Connection { case keepAlive, close }

    /// How the receiver finds the end of the body.
    enum Framing {
        case length(Int)
        case chunked
        /// HTTP/1.0 streaming: the body ends when the connection closes.
        case untilClose
    }

    /// Appends the status line and headers.
    func encodeHead(
        status: Int, headers: HTTPHeaders, framing: Framing, version: HTTPVersion,
        connection: Connection, into out: inout [UInt8]
    ) {
        out.append(contentsOf: statusLine(status))
        if sendsDate { out.append(contentsOf: currentDateLine()) }
        out.append(contentsOf: fixedLines)
        var hasLength = false
        for field in headers {
            if field.name.equalsIgnoringASCIICase("content-length") { hasLength = true }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            appendLatin1(field.value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if HTTPStatus.allowsBody(status) {
            switch framing {
            case .length(let length) where !hasLength:
                out.append(contentsOf: "content-length: ".utf8)
                appendDecimal(length, to: &out)
                out.append(contentsOf: "\r\n".utf8)
            case .length, .untilClose:
                break
            case .chunked:
                out.append(contentsOf: "transfer-encoding: chunked\r\n".utf8)
            }
        }
        switch (connection, version) {
        case (.close, _): out.append(contentsOf: "connection: close\r\n".utf8)
        case (.keepAlive, .http1_0): out.append(contentsOf: "connection: keep-alive\r\n".utf8)
        case (.keepAlive, .http1_1), (.keepAlive, .http2): break
        }
        out.append(contentsOf: "\r\n".utf8)
    }

    /// Header text is Latin-1 (see `Latin1`): each character below U+0100 is one byte.
    private func appendLatin1(_ text: String, to out: inout [UInt8]) {
        Latin1.withBytes(of: text) { out.append(contentsOf: $0) }
    }

    private func statusLine(_ status: Int) -> [UInt8] {
        switch status {
        case 200: Self.ok
        case 404: Self.notFound
        default: Array("HTTP/1.1 \(status) \(HTTPStatus.reason(status))\r\n".utf8)
        }
    }

    private static let ok = Array("HTTP/1.1 200 OK\r\n".utf8)
    private static let notFound = Array("HTTP/1.1 404 Not Found\r\n".utf8)

    private func currentDateLine() -> [UInt8] {
        refreshDate()
        return dateLine
    }

    private func refreshDate() {
        let now = time(nil)
        if now != cachedSecond {
            cachedSecond = now
            dateValue = Self.httpDate(now)
            dateLine = Array("date: \(dateValue)\r\n".utf8)
        }
    }

    /// The fields every HTTP/2 response starts with: `date`, `server` and the server's own
    /// (`--header`), as HTTP/1.1 responses get them as lines.
    func leadingFields() -> [(name: String, value: String)] {
        guard sendsDate else { return fixedFields }
        refreshDate()
        return [("date", dateValue)] + fixedFields
    }

    /// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static func httpDate(_ seconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    private func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }
}
