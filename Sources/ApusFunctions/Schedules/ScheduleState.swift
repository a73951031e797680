internal import FoundationEssentials

/// What the scheduler knows of one schedule, kept across restarts in the state file. Times are
/// epoch seconds.
struct ScheduleState: Codable, Equatable {
    /// When the next regular run is due; nil while it is being computed.
    var next: Double?
    /// When the last run started.
    var last: Double?
    var lastStatus: Int?
    /// Why the last run failed ("" when it did not).
    var lastError = ""
    /// A failed run's next attempt, and its number.
    var retryDue: Double?
    var retryAttempt: Int?
    var runs = 0
    var failures = 0
    /// Runs not made because the previous one still ran (`"overlap": "skip"`).
    var skipped = 0

    private enum CodingKeys: String, CodingKey {
        case next, last, runs, failures, skipped
        case lastStatus = "last_status", lastError = "last_error", retryDue = "retry_due", retryAttempt = "retry_attempt"
    }
}

/// The state file: `{"version": 1, "saved_at": ..., "schedules": {"GET /x": {...}}}`, the shape
/// FastFN keeps in `.fastfn/scheduler-state.json`.
struct ScheduleStateFile: Codable {
    var version = 1
    var savedAt: Double
    var schedules: [String: ScheduleState]

    private enum CodingKeys: String, CodingKey {
        case version, schedules
        case savedAt = "saved_at"
    }

    static let longestError = 2000

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(self))) ?? []
    }

    /// The file's schedules, or nil (with why) if it cannot be read as one.
    static func decode(_ bytes: [UInt8]) -> Result<[String: ScheduleState], DecodingFailure> {
        do {
            return .success(try JSONDecoder().decode(ScheduleStateFile.self, from: Data(bytes)).schedules)
        } catch {
            return .failure(DecodingFailure(reason: "\(error)"))
        }
    }

    struct DecodingFailure: Error {
        let reason: String
    }
}
