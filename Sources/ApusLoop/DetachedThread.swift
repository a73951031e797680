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
