#if canImport(Glibc)
internal import Glibc
#endif

/// Which process of a server runs the schedules: the one holding an exclusive `flock` on a file
/// beside the state file. Each of `--workers N` tries; the kernel lets one hold it and releases it
/// when that process ends, so another takes over (and two servers on one tree do not both run
/// the schedules either).
final class ScheduleLock {
    let path: String
    private var descriptor: Int32 = -1
    private(set) var isHeld = false

    init(path: String) {
        self.path = path
    }

    /// Tries once, without waiting; true once held. Nil with why if the file cannot be opened.
    func tryAcquire() -> Result<Bool, LockFailure> {
        if isHeld { return .success(true) }
        if descriptor < 0 {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if descriptor < 0 { return .failure(LockFailure(reason: String(cString: strerror(errno)))) }
        }
        isHeld = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        return .success(isHeld)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    struct LockFailure: Error {
        let reason: String
    }
}
