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
