import ActorRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Log lines leave the thread that logs them (the loop thread, for access lines) through a
/// bounded queue that a thread of its own writes out, so a stdout or stderr nobody reads never
/// stalls the server. When the queue is full, lines are dropped and counted, and the count is
/// reported once the output moves again.
final class LogWriter: @unchecked Sendable {
    static let shared = LogWriter(capacityBytes: 1 << 20)

    private struct State {
        var lines: [(fd: Int32, text: String)] = []
        var bytes = 0
        var dropped = 0
        var writerWaiting = false
        var writing = false
    }

    private let capacityBytes: Int
    private let state = PThreadMutex(State())
    private let wake = Semaphore()

    /// Without a thread of its own (none could be started), lines are written directly.
    private var direct = false

    init(capacityBytes: Int) {
        self.capacityBytes = capacityBytes
        direct = !spawnDetachedThread(name: "apus-log") { [self] in run() }
    }

    func write(_ text: String, to fd: Int32) {
        if direct { return Console.write(text, to: fd) }
        let wakeWriter = state.withLock { s -> Bool in
            guard s.bytes + text.utf8.count <= capacityBytes else {
                s.dropped += 1
                return false
            }
            s.lines.append((fd, text))
            s.bytes += text.utf8.count
            defer { s.writerWaiting = false }
            return s.writerWaiting
        }
        if wakeWriter { wake.signal() }
    }

    /// Waits (at most `milliseconds`) until what is queued has been written; before exiting.
    func flush(milliseconds: Int = 1_000) {
        for _ in 0..<milliseconds {
            if state.withLock({ $0.lines.isEmpty && !$0.writing }) { return }
            usleep(1_000)
        }
    }

    private func run() {
        while true {
            let (lines, dropped) = state.withLock { s -> ([(fd: Int32, text: String)], Int) in
                if s.lines.isEmpty { s.writerWaiting = true }
                let taken = (s.lines, s.dropped)
                s.lines.removeAll(keepingCapacity: true)
                s.bytes = 0
                s.dropped = 0
                s.writing = !taken.0.isEmpty
                return taken
            }
            if lines.isEmpty && dropped == 0 {
                wake.wait()
                continue
            }
            for line in lines { Console.write(line.text, to: line.fd) }
            if dropped > 0 {
                Console.write("WARNING:  \(dropped) log line(s) dropped: the log output was not being read\n", to: STDERR_FILENO)
            }
            state.withLock { $0.writing = false }
        }
    }
}
