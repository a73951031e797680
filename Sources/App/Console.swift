import ActorRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Direct, unbuffered writes to the standard streams (one `write(2)` a line, so lines from
/// different threads never interleave mid-line).
enum Console {
    static func error(_ text: String) { write(text + "\n", to: STDERR_FILENO) }

    static func out(_ text: String) { write(text + "\n", to: STDOUT_FILENO) }

    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// Exits once the queued log lines and what the app printed are out (or a second has
    /// passed for each).
    static func terminate(_ code: Int32) -> Never {
        PythonInterpreter.flushStandardStreams()
        LogWriter.shared.flush()
        exit(code)
    }
}
