internal import ApusLoop
internal import CPython
#if canImport(Glibc)
internal import Glibc
#endif

/// Proof that the current thread holds the GIL. It cannot be created outside this folder,
/// copied, stored or sent to another thread: code that takes a `borrowing GIL` can only run
/// inside one of the `withGIL` scopes below.
public struct GIL: ~Copyable {
    fileprivate init() {}

    /// For code CPython calls (a C function of ours): CPython holds the GIL when it calls us.
    package static func assumeHeld() -> GIL { GIL() }
}

@available(*, unavailable)
extension GIL: Sendable {}

/// A thread's own Python thread state, kept for the thread's whole life (creating one per
/// request would cost more than the request). Switching in and out is
/// `PyEval_RestoreThread` / `PyEval_SaveThread`.
package final class PythonThreadState {
    private let state: UnsafeMutablePointer<PyThreadState>

    /// Call on the thread that will use it.
    package init() {
        state = PyThreadState_New(PyInterpreterState_Main())
    }

    /// Runs `body` holding the GIL.
    package func withGIL<R>(_ body: (borrowing GIL) throws -> R) rethrows -> R {
        PyEval_RestoreThread(state)
        defer { PyEval_SaveThread() }
        return try GILMark.holding(true) {
            let gil = GIL()
            PendingDecrefs.drain(gil)
            return try body(gil)
        }
    }

    /// Ends the thread state; the thread must not hold the GIL.
    package func dispose() {
        PyEval_RestoreThread(state)
        PyThreadState_Clear(state)
        PyThreadState_DeleteCurrent()
    }
}

public enum Python {
    /// Runs `body` holding the GIL on any thread, through `PyGILState_Ensure`. For rare work
    /// (start-up, registration); request paths use an executor's own thread state instead.
    public static func withGIL<R>(_ body: (borrowing GIL) throws -> R) rethrows -> R {
        let state = PyGILState_Ensure()
        defer { PyGILState_Release(state) }
        return try GILMark.holding(true) {
            let gil = GIL()
            PendingDecrefs.drain(gil)
            return try body(gil)
        }
    }

    /// Releases the GIL for `body`, which must not touch Python objects: it is `@Sendable`, so
    /// it cannot capture the GIL token (or anything else bound to this thread).
    public static func withoutGIL<R>(_ gil: borrowing GIL, _ body: @Sendable () throws -> R) rethrows -> R {
        let saved = PyEval_SaveThread()
        defer { PyEval_RestoreThread(saved) }
        return try GILMark.holding(false, body)
    }

    /// Whether this thread holds the GIL, as the runtime's own scopes know it.
    package static var isGILHeld: Bool { GILMark.isHeld }
}

/// A thread-local mark kept by every scope that takes or releases the GIL (and by every call
/// CPython makes into Swift, which holds it): whether the current thread holds the GIL. Decrefs
/// ask it, not `PyGILState_Check`, which answers "held" on every thread once a subinterpreter
/// exists.
package enum GILMark {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    package static var isHeld: Bool { pthread_getspecific(key) != nil }

    /// Runs `body` with the mark set to `held`, then restores it.
    package static func holding<R>(_ held: Bool, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, held ? UnsafeRawPointer(bitPattern: 1) : nil)
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}

/// Decrefs requested by threads that did not hold the GIL, done at the next attach (a scope,
/// not a request: an executor attaches once per batch of jobs).
package enum PendingDecrefs {
    /// A reference owned by no thread until one holding the GIL drops it.
    private struct Orphan: @unchecked Sendable {
        let object: UnsafeMutablePointer<PyObject>
    }

    private static let queue = PThreadMutex<[Orphan]>([])

    static func add(_ object: UnsafeMutablePointer<PyObject>) {
        let orphan = Orphan(object: object)
        queue.withLock { $0.append(orphan) }
    }

    /// How many wait for a thread to attach.
    package static var count: Int { queue.withLock { $0.count } }

    package static func drain(_ gil: borrowing GIL) {
        let orphans = queue.withLock { pending -> [Orphan] in
            guard !pending.isEmpty else { return [] }
            defer { pending.removeAll() }
            return pending
        }
        let objects = orphans.map(\.object)
        for object in objects { apus_decref(object) }
    }
}
