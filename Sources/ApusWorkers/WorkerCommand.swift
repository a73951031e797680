/// How to start one worker process of a function.
public struct WorkerCommand: Sendable {
    public var executable: String
    public var arguments: [String]
    /// The function's folder.
    public var directory: String
    /// "KEY=value" pairs: the server's own environment and the function's.
    public var environment: [String]
    /// Requests one worker may have in flight at once (several where the language runs
    /// handlers concurrently, as Node does; else 1).
    public var concurrency: Int

    public init(executable: String, arguments: [String], directory: String, environment: [String], concurrency: Int) {
        self.executable = executable
        self.arguments = arguments
        self.directory = directory
        self.environment = environment
        self.concurrency = max(1, concurrency)
    }
}

/// The descriptors a worker speaks the protocol on; its stdout and stderr are only for logs,
/// so a handler's own prints cannot corrupt a frame.
public enum WorkerDescriptors {
    /// Request frames, which the worker reads.
    public static let requests: Int32 = 3
    /// Ready and reply frames, which the worker writes.
    public static let replies: Int32 = 4
}
