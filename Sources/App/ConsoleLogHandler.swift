import ApusHTTP
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Log lines in uvicorn's shape ("INFO:     message") or as JSON objects: access lines on
/// stdout, the rest on stderr, so tools that parse uvicorn output keep working. Written by
/// `LogWriter`'s thread.
struct ConsoleLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var format: LogFormatOption = .text
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line: String
        switch format {
        case .text:
            let name = event.level == .warning ? "WARNING" : event.level.rawValue.uppercased()
            line = (name + ":").padding(to: 10) + "\(event.message)\n"
        case .json:
            line = jsonLine(event)
        }
        LogWriter.shared.write(line, to: label == "apus.access" ? STDOUT_FILENO : STDERR_FILENO)
    }

    private func jsonLine(_ event: LogEvent) -> String {
        var line = "{\"time\":\"\(Self.utcTimestamp())\",\"level\":\"\(event.level.rawValue)\",\"logger\":"
        line += JSONText.quoted(label) + ",\"message\":" + JSONText.quoted("\(event.message)")
        let fields = event.metadata.map { metadata.merging($0) { _, line in line } } ?? metadata
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            line += "," + JSONText.quoted(key) + ":" + Self.json(value)
        }
        return line + "}\n"
    }

    /// Numbers stay numbers (a status, a duration); the rest is text.
    private static func json(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .stringConvertible(let number as Int): return String(number)
        case .stringConvertible(let number as Double): return number.isFinite ? "\(number)" : "null"
        case .string(let text): return JSONText.quoted(text)
        case .stringConvertible(let other): return JSONText.quoted(other.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let values):
            return "{" + values.sorted { $0.key < $1.key }.map { JSONText.quoted($0.key) + ":" + json($0.value) }
                .joined(separator: ",") + "}"
        }
    }

    /// Now, as RFC 3339 in UTC to the millisecond ("2026-12-07T06:53:16.123Z").
    private static func utcTimestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = Int(now.tv_nsec / 1_000_000)
        let fraction = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(fraction)Z"
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
