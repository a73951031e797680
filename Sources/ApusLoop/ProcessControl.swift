internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// Process-level controls for worker processes.
public enum ProcessControl {
    /// A worker must not outlive its supervisor (kill -9 of the parent included).
    /// The CPUs this process may run on (its affinity, as `taskset` or a container sets it).
    public static var availableCPUs: Int { Int(apus_available_cpus()) }

    public static func dieWithParent() {
        _ = apus_die_with_parent()
        if getppid() == 1 { exit(0) }  // the parent died before the request took effect
    }

    /// Gives the pages of freed heap memory back to the system. Start-up (the app's import, its
    /// plans, the route table's builder) leaves megabytes of it between the objects that stay,
    /// where the allocator would keep them resident for good: 7 MB for an app of 20,000 routes.
    public static func releaseFreedMemory() {
        apus_release_freed_memory()
    }

    /// SIGHUP does nothing to this process (a worker: its supervisor handles SIGHUP).
    public static func ignoreHangups() {
        signal(SIGHUP, SIG_IGN)
    }

    /// Tells the supervisor the worker is serving: one byte on its readiness pipe
    /// (`ReadinessPipe.childDescriptor`), then the pipe is closed. A worker started without one
    /// has nothing there, and nothing happens.
    public static func notifyReady() {
        let descriptor = ReadinessPipe.childDescriptor
        guard fcntl(descriptor, F_GETFD) != -1 else { return }
        var byte: UInt8 = 0x72
        _ = write(descriptor, &byte, 1)
        close(descriptor)
    }

    /// The process's environment, as "KEY=value" entries (what a child inherits).
    public static var environment: [String] {
        var entries: [String] = []
        var entry = Glibc.environ
        while let pointer = entry.pointee {
            entries.append(String(cString: pointer))
            entry += 1
        }
        return entries
    }

    /// The first executable file called `name` in a folder of `PATH`, or nil.
    public static func executable(named name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
