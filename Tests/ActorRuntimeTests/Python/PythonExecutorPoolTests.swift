@testable import ActorRuntime
import ApusLoop
import Testing

extension PythonTests {
    /// The executor pool without sockets: every job runs, a job blocked outside the GIL does not
    /// hold back the next one, and shutdown finishes what is queued. Waits are bounded, so a
    /// failure is a failed expectation, not a hang.
    @Suite struct PythonExecutorPoolTests {
        init() throws {
            try #require(TestInterpreter.started)
        }

        @Test func everyJobSubmittedFromManyThreadsRuns() {
            let pool = PythonExecutorPool(maxThreads: 4)
            defer { pool.shutdown() }
            let total = 2_000
            let ran = PThreadMutex(0)
            let allRan = Semaphore()
            let submitters = Semaphore()
            for _ in 0..<4 {
                spawnDetachedThread(name: "test-submitter") {
                    for _ in 0..<(total / 4) {
                        pool.submit { _ in
                            if ran.withLock({ $0 += 1; return $0 }) == total { allRan.signal() }
                        }
                    }
                    submitters.signal()
                }
            }
            for _ in 0..<4 { #expect(submitters.wait(milliseconds: 10_000)) }
            #expect(allRan.wait(milliseconds: 10_000))
            #expect(ran.withLock { $0 } == total)
        }

        @Test func aJobBlockedOutsideTheGILDoesNotHoldBackTheNext() {
            let pool = PythonExecutorPool(maxThreads: 2)
            defer { pool.shutdown() }
            let secondRan = Semaphore()
            let firstDone = Semaphore()
            pool.submit { gil in
                // Blocks (as a handler waiting on a socket would) until the second job has run:
                // only another thread can run it.
                let ranMeanwhile = Python.withoutGIL(gil) { secondRan.wait(milliseconds: 5_000) }
                #expect(ranMeanwhile)
                firstDone.signal()
            }
            pool.submit { _ in secondRan.signal() }
            #expect(firstDone.wait(milliseconds: 10_000))
        }

        @Test func releasingAJobThatRanMayQueueAnother() {
            // A job is released outside the pool's lock: what it held may be a Python object
            // whose finalizer runs any code, here one that queues a job. Under the lock, this
            // would wait for the lock forever.
            let pool = PythonExecutorPool(maxThreads: 1)
            let queuedOnRelease = Semaphore()
            // Two jobs at once: the first is run and let go by its thread while the queue
            // still lists it, the second then empties the queue.
            QueuesAJobWhenReleased.submitTwo(to: pool, ran: queuedOnRelease)
            let ran = queuedOnRelease.wait(milliseconds: 10_000)
            #expect(ran)
            if ran { pool.shutdown() }
        }

        @Test func shutdownFinishesTheQueuedWork() {
            let pool = PythonExecutorPool(maxThreads: 1)
            let count = PThreadMutex(0)
            let finished = Semaphore()
            for index in 0..<100 {
                pool.submit { _ in
                    count.withLock { $0 += 1 }
                    if index == 99 { finished.signal() }
                }
            }
            pool.shutdown()
            #expect(finished.wait(milliseconds: 10_000))
            #expect(count.withLock { $0 } == 100)
        }
    }
}

/// Queues a job when released (as a Python finalizer may).
private final class QueuesAJobWhenReleased: Sendable {
    let pool: PythonExecutorPool
    let ran: Semaphore

    init(pool: PythonExecutorPool, ran: Semaphore) {
        self.pool = pool
        self.ran = ran
    }

    /// Submits a job that holds the only reference to one, and an empty job after it.
    static func submitTwo(to pool: PythonExecutorPool, ran: Semaphore) {
        let held = QueuesAJobWhenReleased(pool: pool, ran: ran)
        let jobs: [PythonExecutorPool.Job] = [{ _ in withExtendedLifetime(held) {} }, { _ in }]
        pool.submit(contentsOf: jobs)
    }

    deinit {
        let ran = self.ran
        pool.submit { _ in ran.signal() }
    }
}
