@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Testing

/// An actor whose executor is the loop: its methods must run on the loop thread.
private actor LoopBoundCounter {
    let loop: EventLoop
    var count = 0
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    init(loop: EventLoop) { self.loop = loop }

    func increment() -> Bool {
        count += 1
        return loop.inLoop
    }
}

@Suite struct EventLoopTests {
    @Test func actorJobsRunOnTheLoopThread() async throws {
        let loop = try EventLoop()
        try loop.start()
        let counter = LoopBoundCounter(loop: loop)
        for _ in 0..<100 {
            #expect(await counter.increment())
        }
        #expect(await counter.count == 100)
        #expect(!loop.inLoop)
        loop.stop()
        loop.join()
    }

    @Test func executeFromManyThreadsRunsEverything() async throws {
        let loop = try EventLoop()
        try loop.start()
        let done = Semaphore()
        let total = 4 * 1000
        let seen = LoopCounter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<1000 {
                        loop.execute {
                            seen.value += 1
                            if seen.value == total { done.signal() }
                        }
                    }
                }
            }
        }
        let finished = done.wait(milliseconds: 10_000)
        loop.stop()
        loop.join()
        #expect(finished, "not every job ran within 10 s")
        #expect(seen.value == total)
    }

    @Test func aStoppedTimerFiresNoMoreAndAClosedOneIgnoresStop() throws {
        let loop = try EventLoop()
        try loop.start()
        let firedOnce = Semaphore()
        let checked = Semaphore()
        let fires = LoopCounter()
        loop.execute {
            let timer = LoopTimer(loop: loop)
            timer.start(after: 5, repeat: 5) {
                fires.value += 1
                timer.stop()
                firedOnce.signal()
                // Long enough for five more periods: a timer that was not stopped would fire.
                let check = LoopTimer(loop: loop)
                check.start(after: 50) {
                    check.close()
                    timer.close()
                    timer.stop()  // after close: a no-op, not a use of freed memory
                    checked.signal()
                }
            }
        }
        #expect(firedOnce.wait(milliseconds: 5_000))
        #expect(checked.wait(milliseconds: 5_000))
        loop.stop()
        loop.join()
        #expect(fires.value == 1)
    }
}

/// Mutated only on the loop thread; the semaphore publishes the final value.
private final class LoopCounter: @unchecked Sendable {
    var value = 0
}
