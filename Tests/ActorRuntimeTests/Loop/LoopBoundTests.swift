@testable import ApusLoop
import Testing

@Suite struct LoopBoundTests {
    @Test func itsValueIsReadAndWrittenOnTheLoop() async throws {
        let loop = try EventLoop()
        try loop.start()
        defer {
            loop.stop()
            loop.join()
        }
        let box = LoopBound(sending: [1, 2], to: loop)
        let done = Semaphore()
        let seen = PThreadMutex<[Int]>([])
        loop.execute {
            box.value.append(3)
            seen.withLock { $0 = box.value }
            done.signal()
        }
        done.wait()
        #expect(seen.withLock { $0 } == [1, 2, 3])
    }

    @Test func beforeTheLoopStartsTheThreadSettingItUpMayUseIt() async throws {
        let loop = try EventLoop()
        let box = LoopBound([1], on: loop)
        box.value.append(2)  // set-up, before the loop runs
        try loop.start()
        defer {
            loop.stop()
            loop.join()
        }
        let done = Semaphore()
        let seen = PThreadMutex<[Int]>([])
        loop.execute {
            seen.withLock { $0 = box.value }
            done.signal()
        }
        done.wait()
        #expect(seen.withLock { $0 } == [1, 2])
    }

    @Test func openingItOffTheLoopStopsTheProcess() async throws {
        await #expect(processExitsWith: .failure) {
            let loop = try EventLoop()
            try loop.start()
            let box = LoopBound(sending: 1, to: loop)
            _ = box.value  // not the loop thread: a precondition failure
        }
    }
}
