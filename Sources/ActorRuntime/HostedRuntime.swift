internal import ApusLoop
/// The runtime inside someone else's Python process (`import apus`): one loop thread, one
/// asyncio thread and one executor pool serve every server the process starts (a test suite may start hundreds), made
/// on first use and kept for the life of the process. Hosted, the runtime leaves the process
/// alone: no signal handlers, no rlimits, no SIGPIPE disposition of its own.
final class HostedRuntime: Sendable {
    let loop: EventLoop
    let asyncio: AsyncioThread
    /// Executor threads for plans; started lazily, one at a time, as load needs them.
    let pool: PythonExecutorPool

    private init() throws(UVError) {
        loop = try EventLoop(name: "apus-loop")
        try loop.start()
        guard let asyncio = AsyncioThread() else { throw UVError(code: -11) }  // EAGAIN
        self.asyncio = asyncio
        pool = PythonExecutorPool(maxThreads: 40)
    }

    private static let instance = PThreadMutex<HostedRuntime?>(nil)

    static func shared() throws(UVError) -> HostedRuntime {
        let result = instance.withLock { runtime -> Result<HostedRuntime, UVError> in
            if let runtime { return .success(runtime) }
            do throws(UVError) {
                let made = try HostedRuntime()
                runtime = made
                return .success(made)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
