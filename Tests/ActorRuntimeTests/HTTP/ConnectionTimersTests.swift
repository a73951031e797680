@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Testing

/// A clock the test moves by hand.
final class ManualClock: MillisecondClock {
    var now: UInt64 = 1_000

    func advance(_ milliseconds: UInt64) { now += milliseconds }
}

@Suite struct ConnectionTimersTests {
    private func timers(_ clock: ManualClock) -> ConnectionTimers<ManualClock> {
        var limits = HTTPLimits()
        limits.headTimeoutMilliseconds = 10_000
        limits.keepAliveTimeoutMilliseconds = 5_000
        limits.writeTimeoutMilliseconds = 30_000
        return ConnectionTimers(clock: clock, limits: limits)
    }

    @Test func aHeadMustArriveInTime() {
        let clock = ManualClock()
        var state = timers(clock)
        clock.advance(9_999)
        #expect(state.expiry(queued: 0) == .none)
        clock.advance(1)
        #expect(state.expiry(queued: 0) == .requestTimeout)
    }

    @Test func theIdleTimerStartsWhenTheResponseIsWrittenNotWhenItIsQueued() {
        let clock = ManualClock()
        var state = timers(clock)
        state.requestDispatched()
        state.responseQueued(queued: 16 << 20, last: false)
        // A slow reader takes 11 s over a big response, making progress all along.
        for left in stride(from: 15 << 20, through: 0, by: -(1 << 20)) {
            clock.advance(700)
            #expect(state.expiry(queued: left) == .none)
        }
        state.writesDrained(nextRequestStarted: false)
        clock.advance(4_999)
        #expect(state.expiry(queued: 0) == .none)
        clock.advance(1)
        #expect(state.expiry(queued: 0) == .close)
    }

    @Test func aClientThatStopsReadingIsClosedAfterTheWriteTimeout() {
        let clock = ManualClock()
        var state = timers(clock)
        state.requestDispatched()
        state.responseQueued(queued: 8 << 20, last: false)
        clock.advance(29_999)
        #expect(state.expiry(queued: 8 << 20) == .none)
        clock.advance(1)
        #expect(state.expiry(queued: 8 << 20) == .close)
    }

    @Test func theLingerStartsAfterTheLastResponseIsFlushed() {
        let clock = ManualClock()
        var state = timers(clock)
        state.requestDispatched()
        state.responseQueued(queued: 1 << 20, last: true)
        clock.advance(10_000)
        #expect(state.expiry(queued: 1 << 19) == .none)
        state.writesDrained(nextRequestStarted: false)
        #expect(state.deadline == .linger(clock.now + 2_000))
        clock.advance(2_000)
        #expect(state.expiry(queued: 0) == .close)
    }

    @Test func noHeadTimerWhileTheServerHasStoppedReading() {
        let clock = ManualClock()
        var state = timers(clock)
        state.readingPaused(true)
        clock.advance(60_000)
        #expect(state.expiry(queued: 0) == .none)
        state.readingPaused(false)
        clock.advance(9_999)
        #expect(state.expiry(queued: 0) == .none)
        clock.advance(1)
        #expect(state.expiry(queued: 0) == .requestTimeout)
    }

    @Test func aPipelinedRequestAlreadyHereGetsTheHeadTimerNotTheIdleOne() {
        let clock = ManualClock()
        var state = timers(clock)
        state.requestDispatched()
        state.responseQueued(queued: 10, last: false)
        state.writesDrained(nextRequestStarted: true)
        #expect(state.deadline == .head(clock.now + 10_000))
    }

    @Test func aMovingBodyKeepsItsTimerFresh() {
        let clock = ManualClock()
        var state = timers(clock)
        state.headArrived()
        for _ in 0..<5 {
            clock.advance(9_000)
            state.requestBytesArrived(readingBody: true)
            #expect(state.expiry(queued: 0) == .none)
        }
        clock.advance(10_000)
        #expect(state.expiry(queued: 0) == .requestTimeout)
    }

    @Test func theFirstByteAfterIdleStartsTheHeadTimer() {
        let clock = ManualClock()
        var state = timers(clock)
        state.requestDispatched()
        state.responseQueued(queued: 0, last: false)
        state.writesDrained(nextRequestStarted: false)
        clock.advance(4_000)
        state.requestBytesArrived(readingBody: false)
        #expect(state.deadline == .head(clock.now + 10_000))
    }
}
