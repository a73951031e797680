internal import ActorRuntime
internal import ApusHTTP
internal import ApusLoop
internal import FoundationEssentials
internal import Logging

/// The scheduler's world in a running server, on its loop thread: the wall clock, a loop timer,
/// runs sent in memory through the server's own responder (`LocalExchange`: the function's
/// route, config, limits and pool, as a client's request gets them), cron arithmetic from
/// `apus.functions.schedules` (Python's `zoneinfo` knows the time zones) and the state file
/// written off the loop, the last state winning.
final class LiveScheduleEnvironment: ScheduleEnvironment {
    private let loop: EventLoop
    private let responder: any HTTPResponder
    private let stateFile: String
    private let logger: Logger
    private var timer: LoopTimer?
    private var writing = false
    private var unwritten: [UInt8]?
    private var saidWriteFailed = false

    init(loop: EventLoop, responder: any HTTPResponder, stateFile: String, logger: Logger) {
        self.loop = loop
        self.responder = responder
        self.stateFile = stateFile
        self.logger = logger
    }

    var now: Double { Date().timeIntervalSince1970 }

    func arm(after seconds: Double, _ body: @escaping () -> Void) {
        let timer = self.timer ?? LoopTimer(loop: loop)
        self.timer = timer
        timer.stop()
        timer.start(after: UInt64((seconds * 1000).rounded(.up)), body)
    }

    func close() {
        timer?.close()
        timer = nil
    }

    func invoke(_ schedule: FunctionsManifest.Schedule, attempt: Int, then: @escaping (Int, [UInt8]) -> Void) {
        var trigger = schedule.trigger
        trigger["attempt"] = .number(Double(attempt))
        let invocation = FunctionInvocation(
            method: schedule.schedule.method, target: schedule.target,
            headers: schedule.headers.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil },
            body: Array((schedule.schedule.body ?? "").utf8), user: schedule.user, userAgent: "apus-scheduler")
        let request = invocation.request(trigger: trigger)
        LocalExchange.send(request, to: responder, on: loop, logger: logger) { answer in then(answer.status, answer.body) }
    }

    func nextCronRun(_ schedule: FunctionsManifest.Schedule, after: Double, then: @escaping (Double?) -> Void) {
        let encoder = JSONEncoder()
        let settings = (try? encoder.encode(schedule.raw)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let logger = logger
        loop.runOffLoop(producing: { () -> String? in
            do {
                return try PythonModuleCall.text("apus.functions.schedules", "next_run", [.text(settings), .text(String(after))])
            } catch {
                logger.error("schedule \(schedule.key): its next time could not be computed: \(error)")
                return nil
            }
        }, then: { next in then(next.flatMap(Double.init)) })
    }

    func save(_ state: [UInt8]) {
        unwritten = state
        guard !writing else { return }
        writeNext()
    }

    private func writeNext() {
        guard let bytes = unwritten else { return }
        unwritten = nil
        writing = true
        let path = stateFile
        loop.runOffLoop(producing: { () -> String? in
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
                return nil
            } catch {
                return "\(error)"
            }
        }, then: { [self] failure in
            writing = false
            if let reason = failure, !saidWriteFailed {
                saidWriteFailed = true
                logger.warning("the schedules' state cannot be saved in \(path) (\(reason)); a restart starts them afresh")
            }
            writeNext()
        })
    }

    func random() -> Double { Double.random(in: 0..<1) }
}
