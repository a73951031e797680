@testable import ApusHTTP
import Testing

/// The connection's rules, driven event by event with a hand-moved clock: no sockets.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine<ManualClock, Int, String>

    private func machine(_ clock: ManualClock = ManualClock()) -> Machine {
        var limits = HTTPLimits()
        limits.headTimeoutMilliseconds = 10_000
        limits.keepAliveTimeoutMilliseconds = 5_000
        limits.writeTimeoutMilliseconds = 30_000
        return Machine(clock: clock, limits: limits)
    }

    @Test func aKeptAliveConnectionReadsTheNextRequestAndIdlesOnceTheResponseIsWritten() {
        let clock = ManualClock()
        var connection = machine(clock)
        #expect(connection.bytesArrived(readingBody: false, buffered: 40) == .process(pauseReading: false))
        connection.headArrived()
        connection.dispatched(1)
        #expect(!connection.takesRequests)
        #expect(connection.mayKeepAlive(requested: true, draining: false))
        #expect(connection.responseQueued(keepAlive: true, queued: 100) == .readNext)
        #expect(connection.takesRequests)
        // Queued bytes take any time to go out; the idle time starts after them.
        clock.advance(20_000)
        #expect(connection.deadline(queued: 50, betweenRequests: true, streamingBody: false) == .none)
        connection.writesDrained(queued: 0, nextRequestStarted: false)
        clock.advance(4_999)
        #expect(connection.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .none)
        clock.advance(1)
        #expect(connection.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .close)
    }

    @Test func pipelinedBytesPauseReadingPastTheLimitWhileAResponseIsOwed() {
        var connection = machine()
        connection.dispatched(1)
        #expect(connection.bytesArrived(readingBody: false, buffered: Machine.pipelineBufferLimit) == .process(pauseReading: false))
        #expect(connection.bytesArrived(readingBody: false, buffered: Machine.pipelineBufferLimit + 1) == .process(pauseReading: true))
        // Paused once; a second report does not pause again.
        #expect(connection.bytesArrived(readingBody: false, buffered: Machine.pipelineBufferLimit + 2) == .process(pauseReading: false))
        _ = connection.responseQueued(keepAlive: true, queued: 0)
        #expect(!connection.takesRequests)
        let stillBehind = connection.resumeReading(pendingWrites: 1_000, highWater: 500)
        let caughtUp = connection.resumeReading(pendingWrites: 100, highWater: 500)
        #expect(!stillBehind && caughtUp)
        #expect(connection.takesRequests)
    }

    @Test func noKeepAliveWhenThePeerClosedOrTheServerDrains() {
        var connection = machine()
        #expect(!connection.mayKeepAlive(requested: false, draining: false))
        #expect(!connection.mayKeepAlive(requested: true, draining: true))
        connection.dispatched(1)
        let closesNow = connection.drainRequested(betweenRequests: true)
        #expect(!closesNow)  // busy: closes after the response
        #expect(!connection.mayKeepAlive(requested: true, draining: false))
    }

    @Test func anIdleConnectionClosesAtOnceOnDrainAndANewOneGetsAMomentForItsRequest() {
        var connection = machine()
        let midRequest = connection.drainRequested(betweenRequests: false)  // part of a request is here
        var idle = machine()
        idle.dispatched(1)
        _ = idle.responseQueued(keepAlive: true, queued: 0)
        let idleCloses = idle.drainRequested(betweenRequests: true)
        #expect(!midRequest && idleCloses)

        let clock = ManualClock()
        var fresh = machine(clock)
        let freshCloses = fresh.drainRequested(betweenRequests: true)
        #expect(!freshCloses && !fresh.mayKeepAlive(requested: true, draining: false))
        clock.advance(ConnectionTimers<ManualClock>.drainGraceMilliseconds - 1)
        #expect(fresh.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .none)
        clock.advance(1)
        #expect(fresh.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .close)
    }

    @Test func aClientThatClosesWhileItsRequestIsAnsweredHasLeft() {
        var responding = machine()
        responding.dispatched(7)
        responding.peerClosing()
        #expect(responding.peerEnded(failed: false, pendingWrites: 0) == .close)
        guard case .responding(let pending)? = responding.close() else {
            Issue.record("expected the pending request, whose responder hears the client left")
            return
        }
        #expect(pending == 7)

        var streaming = machine()
        streaming.dispatched(8)
        streaming.streamStarted("stream")
        #expect(streaming.peerEnded(failed: false, pendingWrites: 100) == .close)
    }

    @Test func aClientThatClosesAfterItsLastResponseIsQueuedGetsItThenTheConnectionCloses() {
        let clock = ManualClock()
        var connection = machine(clock)
        connection.dispatched(7)
        #expect(connection.responseQueued(keepAlive: false, queued: 10) == .finish)
        connection.peerClosing()
        #expect(connection.peerEnded(failed: false, pendingWrites: 10) == .keepOpen)
        #expect(connection.bytesArrived(readingBody: false, buffered: 10) == .ignore)
        #expect(connection.startLinger() == .shutdown)  // nothing left to read from a closed peer
        #expect(connection.startLinger() == .none)  // once
        connection.shutdownCompleted()
        clock.advance(ConnectionTimers<ManualClock>.lingerMilliseconds)
        #expect(connection.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .close)
    }

    @Test func aLastResponseLingersReadingUntilThePeerCloses() {
        var connection = machine()
        connection.dispatched(1)
        #expect(connection.responseQueued(keepAlive: false, queued: 0) == .finish)
        #expect(connection.startLinger() == .shutdownAndRead)
        #expect(connection.peerEnded(failed: false, pendingWrites: 5) == .keepOpen)  // still writing
        #expect(connection.peerEnded(failed: false, pendingWrites: 0) == .close)
    }

    @Test func aPeerThatFailsClosesTheConnectionWhateverItsState() {
        var connection = machine()
        connection.dispatched(1)
        #expect(connection.peerEnded(failed: true, pendingWrites: 0) == .close)
        guard case .responding(let pending)? = connection.close() else {
            Issue.record("expected the pending request")
            return
        }
        #expect(pending == 1)
        let again = connection.close()
        #expect(again == nil)  // closes once
        #expect(connection.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .none)
    }

    @Test func timeoutsNameWhatDidNotArrive() {
        let clock = ManualClock()
        var connection = machine(clock)
        _ = connection.bytesArrived(readingBody: false, buffered: 3)
        clock.advance(10_000)
        #expect(connection.deadline(queued: 0, betweenRequests: false, streamingBody: false) == .headTimeout)

        var reading = machine(clock)
        reading.dispatched(1)
        reading.waitingForBody()
        clock.advance(10_000)
        #expect(reading.deadline(queued: 0, betweenRequests: false, streamingBody: true) == .bodyTimeout)

        var idle = machine(clock)
        clock.advance(10_000)
        #expect(idle.deadline(queued: 0, betweenRequests: true, streamingBody: false) == .close)
    }

    @Test func aStreamWaitsForTheClientOnlyWhileItMakesProgress() {
        let clock = ManualClock()
        var connection = machine(clock)
        connection.dispatched(1)
        connection.streamStarted("stream")
        connection.streamWaiting(queued: 1_000)
        // Writes drained while streaming do not start the idle timer: the stream goes on.
        connection.writesDrained(queued: 0, nextRequestStarted: false)
        clock.advance(29_999)
        #expect(connection.deadline(queued: 900, betweenRequests: true, streamingBody: false) == .none)
        clock.advance(29_999)
        #expect(connection.deadline(queued: 900, betweenRequests: true, streamingBody: false) == .none)
        clock.advance(1)
        #expect(connection.deadline(queued: 900, betweenRequests: true, streamingBody: false) == .close)
    }
}
