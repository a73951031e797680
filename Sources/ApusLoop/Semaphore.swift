#if canImport(Glibc)
internal import Glibc
#endif

/// A counting semaphore for hand-offs between threads that are not Swift tasks
/// (the loop thread, executor threads, the main thread waiting for shutdown).
public final class Semaphore: @unchecked Sendable {
    private let sem = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    public init(value: UInt32 = 0) {
        sem_init(sem, 0, value)
    }

    deinit {
        sem_destroy(sem)
        sem.deallocate()
    }

    public func signal() { sem_post(sem) }

    public func wait() {
        while sem_wait(sem) != 0 && errno == EINTR {}
    }
}
