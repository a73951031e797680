/// A function's pool, as its `fn.config.json` sets it (FastFN's names and defaults).
public struct WorkerPoolSettings: Sendable {
    /// Worker processes at most (`worker_pool.max_workers`, default `max_concurrency`).
    public var maxWorkers: Int
    /// Requests in flight at most, across the workers (`max_concurrency`, default 20).
    public var maxConcurrency: Int
    /// Requests waiting beyond that (`worker_pool.max_queue`, default 0).
    public var maxQueue: Int
    /// How long a request may wait there (`worker_pool.queue_timeout_ms`; 0: up to the
    /// function's timeout).
    public var queueTimeoutMilliseconds: UInt64
    /// Workers started ahead and kept (`worker_pool.min_warm`, default 0).
    public var minWarm: Int
    /// An idle worker beyond `minWarm` is retired after this (`worker_pool.idle_ttl_seconds`).
    public var idleSeconds: UInt64
    /// The answer when the queue is full or a wait times out (429 or 503).
    public var overflowStatus: Int
    /// How long a request may take (`timeout_ms`, default 2500).
    public var timeoutMilliseconds: UInt64
    /// Once started, one worker stays however long it idles: a runtime whose one worker takes
    /// many requests at once (Node, Go) keeps the state its function holds between requests
    /// for as long as the server runs, as FastFN's one process per runtime does.
    public var keepsOneWorker = false

    public init(maxWorkers: Int = 20, maxConcurrency: Int = 20, maxQueue: Int = 0, queueTimeoutMilliseconds: UInt64 = 0,
                minWarm: Int = 0, idleSeconds: UInt64 = 300, overflowStatus: Int = 429, timeoutMilliseconds: UInt64 = 2_500) {
        self.maxWorkers = max(1, maxWorkers)
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxQueue = max(0, maxQueue)
        self.queueTimeoutMilliseconds = queueTimeoutMilliseconds
        self.minWarm = min(max(0, minWarm), self.maxWorkers)
        self.idleSeconds = idleSeconds
        self.overflowStatus = overflowStatus
        self.timeoutMilliseconds = max(1, timeoutMilliseconds)
    }
}
