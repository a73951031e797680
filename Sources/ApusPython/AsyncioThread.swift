internal import ApusLoop
internal import CPython
#if canImport(Glibc)
internal import Glibc
#endif

/// A thread running the runtime's asyncio event loop (`apus._asyncio_host.run`). Jobs queued
/// from other threads run on it, with the GIL, between the loop's own callbacks; an eventfd
/// the loop watches wakes it, one write per batch.
public final class AsyncioThread: @unchecked Sendable {
    public typealias Job = @Sendable (borrowing GIL) -> Void

    private struct Queue {
        var jobs: [Job] = []
        var wakePending = false
    }

    private let queue = PThreadMutex(Queue())
    private let wakeupFD: Int32
    /// The GIL's time on this thread, when the metrics want it (`measuresGIL`).
    public let gilClock: AsyncioGILClock?

    /// Nil when the thread cannot be started. `measuresGIL`: the loop's waits go through the
    /// runtime, which counts how long this thread holds the GIL and waits for it (`gilClock`).
    public init?(measuresGIL: Bool = false) {
        gilClock = measuresGIL ? AsyncioGILClock() : nil
        wakeupFD = apus_eventfd()
        guard spawnDetachedThread(name: "apus-asyncio", { [self] in threadMain() }) else {
            close(wakeupFD)
            return nil
        }
        // No waiting for the loop to start: the caller may hold the GIL the thread needs.
        // Jobs submitted meanwhile wait in the queue; the eventfd stays readable until then.
    }

    public func submit(_ job: @escaping Job) {
        submit(contentsOf: CollectionOfOne(job))
    }

    /// Queues several jobs with one lock and at most one wake-up.
    public func submit(contentsOf jobs: some Collection<Job>) {
        let wake = queue.withLock { q -> Bool in
            q.jobs.append(contentsOf: jobs)
            defer { q.wakePending = true }
            return !q.wakePending
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeupFD, &one, 8)
        }
    }

    /// Stops the asyncio loop once the work queued before this call has run; pending tasks
    /// are cancelled by the loop's shutdown. The thread then ends.
    public func stop() {
        submit { gil in
            do throws(PythonError) {
                let asyncio = try gil.importModule("asyncio")
                let loop = try gil.call(try gil.attribute(asyncio, "get_running_loop").share())
                _ = try gil.call(try gil.attribute(loop, "stop").share())
            } catch {
                FileDescriptorLog.write("apus: cannot stop the asyncio loop: \(error)\n")
            }
        }
    }

    private func threadMain() {
        let thread = PythonThreadState()
        thread.withGIL { gil in
            do throws(PythonError) {
                let host = try gil.importModule("apus._asyncio_host")
                let run = try gil.attribute(host, "run").share()
                let drain = try gil.makeFunction { [unowned self] gil, _ throws(PythonError) in
                    self.drain(gil)
                    return gil.none()
                }
                var arguments = CallArguments(capacity: 3)
                arguments.append(try gil.int(Int(wakeupFD)))
                arguments.append(drain)
                if let gilClock { arguments.append(try gilClock.pollFunction(gil)) }
                _ = try gil.call(run, positional: arguments)
            } catch {
                FileDescriptorLog.write("apus: the asyncio loop stopped: \(error.formattedTraceback(gil))\n")
            }
        }
        close(wakeupFD)
        thread.dispose()
    }

    private func drain(_ gil: borrowing GIL) {
        // This thread holds the GIL for the loop's whole life, so references released without
        // the GIL on other threads (a finished request's objects) are let go here.
        PendingDecrefs.drain(gil)
        let jobs = queue.withLock { q -> [Job] in
            q.wakePending = false
            defer { q.jobs.removeAll(keepingCapacity: true) }
            return q.jobs
        }
        for job in jobs { job(gil) }
    }
}

/// Last-resort messages from threads that have no logger at hand.
package enum FileDescriptorLog {
    package static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
