#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// A pthread mutex guarding a value. Chosen over `Synchronization.Mutex` because ThreadSanitizer
/// understands pthread locks on Linux and reports false races on the raw futexes. As with
/// `Mutex`, what goes under the lock and comes out of it is `sending`: the value belongs to no
/// thread, so the compiler checks that nothing non-`Sendable` is shared through it.
package final class PThreadMutex<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    package init(_ value: sending Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    package func withLock<R>(_ body: (inout sending Value) throws -> sending R) rethrows -> sending R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
