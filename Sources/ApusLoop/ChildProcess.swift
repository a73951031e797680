internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// A child process started with `uv_spawn` (fork and exec at once: nothing of this threaded
/// process runs in the child before exec). `onExit` runs on the loop thread; the handle closes
/// itself after that.
public final class ChildProcess {
    public let pid: Int32
    private let handle: UnsafeMutablePointer<uv_process_t>
    private let onExit: (_ status: Int64, _ signal: Int32, _ pid: Int32) -> Void

    /// `stdio` inherits the parent's stdin, stdout and stderr; with `readiness`, the child also
    /// gets that pipe's writing end as descriptor 3, and `inherited` descriptors after it (4, 5...).
    public init(
        loop: EventLoop, executable: String, arguments: [String], readiness: ReadinessPipe? = nil,
        inherited: [Int32] = [],
        onExit: @escaping (_ status: Int64, _ signal: Int32, _ pid: Int32) -> Void
    ) throws(UVError) {
        loop.preconditionInLoop()
        self.onExit = onExit
        let process = UnsafeMutablePointer<uv_process_t>.allocate(capacity: 1)
        handle = process
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var stdio = (0..<3).map { fd in
            var container = uv_stdio_container_t()
            container.flags = UV_INHERIT_FD
            container.data.fd = Int32(fd)
            return container
        }
        if let readiness {
            var container = uv_stdio_container_t()
            // The child writes (its end is writable); the parent reads.
            container.flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue)
            container.data.stream = UnsafeMutableRawPointer(readiness.handle).assumingMemoryBound(to: uv_stream_t.self)
            stdio.append(container)
        }
        for descriptor in inherited {
            var container = uv_stdio_container_t()
            container.flags = UV_INHERIT_FD
            container.data.fd = descriptor
            stdio.append(container)
        }
        let file = strdup(executable)
        defer { free(file) }
        let rc = argv.withUnsafeMutableBufferPointer { args in
            stdio.withUnsafeMutableBufferPointer { stdio in
                var options = uv_process_options_t()
                options.file = UnsafePointer(file)
                options.args = args.baseAddress
                options.stdio_count = Int32(stdio.count)
                options.stdio = stdio.baseAddress
                options.exit_cb = { process, status, signal in
                    // SAFETY: data holds a retained ChildProcess until the close callback.
                    let child = Unmanaged<ChildProcess>.fromOpaque(process!.pointee.data).takeUnretainedValue()
                    child.onExit(status, signal, child.pid)
                    uv_close(UnsafeMutableRawPointer(process!).assumingMemoryBound(to: uv_handle_t.self)) { raw in
                        let process = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_process_t.self)
                        Unmanaged<ChildProcess>.fromOpaque(process.pointee.data).release()
                        process.deallocate()
                    }
                }
                process.pointee.data = nil
                return uv_spawn(loop.uvLoop, process, &options)
            }
        }
        if rc < 0 {
            // A failed spawn still initialized the handle; it must be closed.
            uv_close(UnsafeMutableRawPointer(process).assumingMemoryBound(to: uv_handle_t.self)) { raw in
                UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_process_t.self).deallocate()
            }
            throw UVError(code: rc)
        }
        pid = process.pointee.pid
        process.pointee.data = Unmanaged.passRetained(self).toOpaque()
        readiness?.startReading()
    }

    public func kill(_ signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }
}
