import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Log lines in uvicorn's shape ("INFO:     message"): access lines on stdout, the rest on
/// stderr, so tools that parse uvicorn output keep working. Written by `LogWriter`'s thread.
struct ConsoleLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let name = event.level == .warning ? "WARNING" : event.level.rawValue.uppercased()
        let prefix = (name + ":").padding(to: 10)
        LogWriter.shared.write("\(prefix)\(event.message)\n", to: label == "apus.access" ? STDOUT_FILENO : STDERR_FILENO)
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
