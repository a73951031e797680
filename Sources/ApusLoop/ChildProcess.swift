internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// A child process started with `uv_spawn` (fork and exec at once: nothing of this threaded
/// process runs in the child before exec). `onExit` runs on the loop thread; the handle closes
/// itself after that.
public final class ChildProcess {
    public let pid: Int32
    private let handle: LoopHandle
    private let onExit: (_ status: Int64, _ signal: Int32, _ pid: Int32) -> Void

    /// What one of the child's descriptors (0, 1, 2, 3...) is.
    public enum Stdio {
        /// The parent's descriptor of that number.
        case inherit(Int32)
        /// A new pipe; the parent holds the other end. `childWrites`: the child's end is for
        /// writing (its output), else for reading (its input).
        case pipe(PipeStream, childWrites: Bool)
    }

    /// `stdio` inherits the parent's stdin, stdout and stderr; with `readiness`, the child also
    /// gets that pipe's writing end as descriptor 3, and `inherited` descriptors after it (4, 5...).
    public convenience init(
        loop: EventLoop, executable: String, arguments: [String], readiness: ReadinessPipe? = nil,
        inherited: [Int32] = [],
        onExit: @escaping (_ status: Int64, _ signal: Int32, _ pid: Int32) -> Void
    ) throws(UVError) {
        var stdio: [Stdio] = (0..<3).map { .inherit($0) }
        if let readiness { stdio.append(.pipe(readiness.stream, childWrites: true)) }
        stdio += inherited.map { .inherit($0) }
        try self.init(loop: loop, executable: executable, arguments: arguments, stdio: stdio, onExit: onExit)
        readiness?.startReading()
    }

    /// Spawns `executable` (looked up on `PATH` when it has no slash) with descriptors `stdio`,
    /// in `directory` if given, with `environment` ("KEY=value") if given, else the parent's.
    public init(
        loop: EventLoop, executable: String, arguments: [String], stdio stdioSpec: [Stdio],
        environment: [String]? = nil, directory: String? = nil,
        onExit: @escaping (_ status: Int64, _ signal: Int32, _ pid: Int32) -> Void
    ) throws(UVError) {
        loop.preconditionInLoop()
        self.onExit = onExit
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var env: [UnsafeMutablePointer<CChar>?] = (environment ?? []).map { strdup($0) } + [nil]
        defer { env.forEach { free($0) } }
        let cwd = directory.map { strdup($0) }
        defer { cwd.map { free($0) } }
        var stdio = stdioSpec.map { spec in
            var container = uv_stdio_container_t()
            switch spec {
            case .inherit(let fd):
                container.flags = UV_INHERIT_FD
                container.data.fd = fd
            case .pipe(let pipe, let childWrites):
                let direction = childWrites ? UV_WRITABLE_PIPE.rawValue : UV_READABLE_PIPE.rawValue
                container.flags = uv_stdio_flags(UV_CREATE_PIPE.rawValue | direction)
                container.data.stream = pipe.stream
            }
            return container
        }
        let file = strdup(executable)
        defer { free(file) }
        let spawn = { (process: UnsafeMutablePointer<uv_process_t>) -> Int32 in argv.withUnsafeMutableBufferPointer { args in
            stdio.withUnsafeMutableBufferPointer { stdio in
                env.withUnsafeMutableBufferPointer { env in
                    var options = uv_process_options_t()
                    options.env = environment == nil ? nil : env.baseAddress
                    options.file = UnsafePointer(file)
                    options.args = args.baseAddress
                    options.stdio_count = Int32(stdio.count)
                    options.stdio = stdio.baseAddress
                    options.cwd = UnsafePointer(cwd ?? nil)
                    options.exit_cb = { process, status, signal in
                        let child = LoopHandle.owner(of: process, as: ChildProcess.self)
                        child.onExit(status, signal, child.pid)
                        child.handle.close()
                    }
                    return uv_spawn(loop.uvLoop, process, &options)
                }
            }
        } }
        // A failed spawn still initialized the handle: it is closed, not freed.
        handle = try LoopHandle(byteCount: MemoryLayout<uv_process_t>.size, failureLeavesItOpen: true) {
            spawn($0.assumingMemoryBound(to: uv_process_t.self))
        }
        pid = handle.typed(uv_process_t.self).pointee.pid
        handle.attach(self)
    }

    public func kill(_ signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }
}
