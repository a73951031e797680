@testable import ApusFunctions
import FoundationEssentials
import Logging
import Testing

/// The scheduler's timing, retries, overlap and state, on a clock the test moves.
@Suite struct FunctionSchedulerTests {
    final class FakeEnvironment: ScheduleEnvironment {
        var now: Double = 1_000_000
        var timer: (at: Double, body: () -> Void)?
        /// Runs waiting for their answer: the schedule's key, the attempt, and how to answer.
        var pending: [(key: String, attempt: Int, answer: (Int, [UInt8]) -> Void)] = []
        var invoked: [(at: Double, key: String, attempt: Int)] = []
        var saved: [UInt8] = []
        var cronAnswers: [Double?] = []
        /// Answers every run at once with this status, if set.
        var autoAnswer: Int?

        func arm(after seconds: Double, _ body: @escaping () -> Void) { timer = (now + seconds, body) }

        func invoke(_ schedule: FunctionsManifest.Schedule, attempt: Int, then: @escaping (Int, [UInt8]) -> Void) {
            invoked.append((now, schedule.key, attempt))
            if let autoAnswer { return then(autoAnswer, []) }
            pending.append((schedule.key, attempt, then))
        }

        func nextCronRun(_ schedule: FunctionsManifest.Schedule, after: Double, then: @escaping (Double?) -> Void) {
            then(cronAnswers.isEmpty ? nil : cronAnswers.removeFirst())
        }

        func save(_ state: [UInt8]) { saved = state }

        func random() -> Double { 0.5 }

        /// Moves the clock to `moment`, firing the timer each time it comes due on the way.
        func advance(to moment: Double) {
            while let timer, timer.at <= moment {
                now = max(now, timer.at)
                self.timer = nil
                timer.body()
            }
            now = moment
        }

        func answer(_ status: Int, body: String = "") {
            let run = pending.removeFirst()
            run.answer(status, Array(body.utf8))
        }

        var state: [String: ScheduleState] {
            (try? ScheduleStateFile.decode(saved).get()) ?? [:]
        }
    }

    static func schedule(_ key: String = "GET /tick", every: Int? = 10, cron: String? = nil, retry: String = "false",
                         overlap: String = "queue") throws -> FunctionsManifest.Schedule {
        let retryJSON = retry == "false"
            ? #"{"enabled":false,"max_attempts":1,"base_delay_seconds":1,"max_delay_seconds":30,"jitter":0}"#
            : retry
        let json = """
            {"key":"\(key)","function":"tick.py","runtime":"python","config":"fn.config.json","target":"/tick",
             "headers":[],"trigger":{"type":"schedule"},"user":null,
             "schedule":{"every_seconds":\(every.map(String.init) ?? "null"),"cron":\(cron.map { "\"\($0)\"" } ?? "null"),
                         "timezone":"UTC","method":"GET","body":null,"retry":\(retryJSON),"overlap":"\(overlap)"}}
            """
        return try JSONDecoder().decode(FunctionsManifest.Schedule.self, from: Data(json.utf8))
    }

    private func scheduler(_ environment: FakeEnvironment, restored: [String: ScheduleState] = [:]) -> FunctionScheduler {
        FunctionScheduler(environment: environment, restored: restored, logger: Logger(label: "test"))
    }

    @Test func everySecondsRunsOnTheEpochsMultiplesAndNotAtStart() throws {
        let environment = FakeEnvironment()
        environment.now = 1_000_003
        let scheduler = scheduler(environment)
        scheduler.update([try Self.schedule()])
        #expect(environment.invoked.isEmpty)
        environment.advance(to: 1_000_009.9)
        #expect(environment.invoked.isEmpty)
        environment.advance(to: 1_000_010)
        #expect(environment.invoked.map(\.at) == [1_000_010])
        environment.answer(200)
        environment.autoAnswer = 200
        environment.advance(to: 1_000_035)
        #expect(environment.invoked.map(\.at) == [1_000_010, 1_000_020, 1_000_030])
        #expect(environment.state["GET /tick"]?.next == 1_000_040)
        #expect(environment.state["GET /tick"]?.runs == 3)
    }

    @Test func aFailedRunIsRetriedWithBackOffUntilItsAttemptsAreSpent() throws {
        let environment = FakeEnvironment()
        let retry = #"{"enabled":true,"max_attempts":3,"base_delay_seconds":2,"max_delay_seconds":30,"jitter":0}"#
        let scheduler = scheduler(environment)
        scheduler.update([try Self.schedule(every: 100, retry: retry)])
        environment.advance(to: 1_000_100)
        environment.answer(503, body: #"{"error":"function unavailable"}"#)
        #expect(environment.state["GET /tick"]?.lastError == "retrying 2/3 in 2s: status 503: function unavailable")
        environment.advance(to: 1_000_101.9)
        #expect(environment.invoked.count == 1)
        environment.advance(to: 1_000_102)
        #expect(environment.invoked.map(\.attempt) == [1, 2])
        environment.answer(500)
        environment.advance(to: 1_000_106)  // 2 * 2^1 seconds later
        #expect(environment.invoked.map(\.attempt) == [1, 2, 3])
        environment.answer(500)
        environment.advance(to: 1_000_150)
        #expect(environment.invoked.count == 3)
        #expect(environment.state["GET /tick"]?.lastError == "status 500")
        #expect(environment.state["GET /tick"]?.failures == 3)
        #expect(environment.state["GET /tick"]?.retryDue == nil)
    }

    @Test func aClientErrorIsNotRetried() throws {
        let environment = FakeEnvironment()
        let retry = #"{"enabled":true,"max_attempts":3,"base_delay_seconds":1,"max_delay_seconds":30,"jitter":0}"#
        let scheduler = scheduler(environment)
        scheduler.update([try Self.schedule(every: 100, retry: retry)])
        environment.advance(to: 1_000_100)
        environment.answer(404)
        environment.advance(to: 1_000_150)
        #expect(environment.invoked.count == 1)
        #expect(environment.state["GET /tick"]?.lastStatus == 404)
    }

    @Test func aRunDueWhileTheLastRunsWaitsForItOrIsSkipped() throws {
        for overlap in ["queue", "skip"] {
            let environment = FakeEnvironment()
            let scheduler = scheduler(environment)
            scheduler.update([try Self.schedule(every: 10, overlap: overlap)])
            environment.advance(to: 1_000_010)
            environment.advance(to: 1_000_035)  // two more came due meanwhile
            #expect(environment.invoked.count == 1)
            environment.answer(200)
            if overlap == "queue" {
                #expect(environment.invoked.count == 2, "the missed runs collapse into one, at once")
                #expect(environment.invoked.last?.at == 1_000_035)
            } else {
                #expect(environment.invoked.count == 1)
                #expect(environment.state["GET /tick"]?.skipped == 2)
            }
        }
    }

    @Test func aRestartRunsWhatCameDueMeanwhileAndResumesARetry() throws {
        let environment = FakeEnvironment()
        var overdue = ScheduleState()
        overdue.next = 999_990
        var retrying = ScheduleState()
        retrying.next = 1_000_500
        retrying.retryDue = 1_000_002
        retrying.retryAttempt = 2
        let scheduler = scheduler(environment, restored: ["GET /a": overdue, "GET /b": retrying])
        let retry = #"{"enabled":true,"max_attempts":3,"base_delay_seconds":1,"max_delay_seconds":30,"jitter":0}"#
        scheduler.update([try Self.schedule("GET /a", every: 60), try Self.schedule("GET /b", every: 1000, retry: retry)])
        environment.advance(to: 1_000_000)
        #expect(environment.invoked.map(\.key) == ["GET /a"])
        environment.advance(to: 1_000_002)
        #expect(environment.invoked.map(\.key) == ["GET /a", "GET /b"])
        #expect(environment.invoked.last?.attempt == 2)
    }

    @Test func cronTimesComeFromTheCalendarAndAChangedScheduleStartsAfresh() throws {
        let environment = FakeEnvironment()
        environment.cronAnswers = [1_000_050, 1_000_200]
        let scheduler = scheduler(environment)
        scheduler.update([try Self.schedule(every: nil, cron: "*/5 * * * *")])
        environment.advance(to: 1_000_050)
        #expect(environment.invoked.map(\.at) == [1_000_050])
        environment.answer(200)
        #expect(environment.state["GET /tick"]?.next == 1_000_200)
        scheduler.update([try Self.schedule(every: 30)])
        #expect(environment.state["GET /tick"]?.next == 1_000_080)
        #expect(environment.state["GET /tick"]?.runs == 1, "the state's counts stay")
    }
}
