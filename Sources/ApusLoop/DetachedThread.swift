#if canImport(Glibc)
internal import Glibc
#endif

/// Starts an OS thread running `body`, detached. Python executors, the asyncio loop and the
/// pool's watchdog need threads of their own: a Swift task may move between threads, and a
/// Python thread state belongs to one.
/// Returns false when the thread cannot be created (a tasks or memory limit): callers carry on
/// without it, never crash.
@discardableResult
package func spawnDetachedThread(name: String, _ body: @escaping () -> Void) -> Bool {
    final class Entry {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Entry(name: name, body: body)).toOpaque()
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { raw in
        let entry = Unmanaged<Entry>.fromOpaque(raw!).takeRetainedValue()
        setThreadName(entry.name)
        unblockSignals()
        entry.body()
        return nil
    }, context)
    guard rc == 0 else {
        Unmanaged<Entry>.fromOpaque(context).release()
        return false
    }
    pthread_detach(tid)
    return true
}

/// A new thread inherits its creator's signal mask, and a thread made from one of Swift's
/// cooperative threads (which block every signal) would block them all. A process started from
/// it (Python's `subprocess`, `multiprocessing`) keeps that mask across `exec`: it would never
/// receive SIGTERM, and a forkserver would never hear SIGCHLD. So each thread starts with none
/// blocked, as a thread of a plain program does.
private func unblockSignals() {
    var none = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, nil)
}
