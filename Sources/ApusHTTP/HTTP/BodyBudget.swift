internal import ApusLoop
internal import Synchronization

/// The request-body bytes a server holds whole in memory at once, across its connections
/// (bodies collected for handlers that take them whole), bounded by
/// `HTTPLimits.maxBufferedBodyBytes`: many slow uploads cannot add up to more.
final class BodyBudget: Sendable {
    let limit: Int
    private let used = PThreadMutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if it does not have them.
    func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
    }

    func release(_ bytes: Int) {
        used.withLock { $0 -= bytes }
    }

    var inUse: Int { used.withLock { $0 } }
}

/// The bytes of one body held against the server's budget; given back when the last reference
/// goes (when the body has been handed on and dropped), on whatever thread that is. It grows
/// only on the loop thread, while the body is collected, before it is handed on.
public final class BodyReservation: Sendable {
    private let budget: BodyBudget
    /// Atomic: it grows on the loop thread and is read by the deinit, wherever that runs.
    private let bytes = Atomic<Int>(0)

    init(budget: BodyBudget) {
        self.budget = budget
    }

    /// Holds `count` more bytes; false (and nothing more held) if the budget does not have them.
    func take(_ count: Int) -> Bool {
        guard budget.reserve(count) else { return false }
        bytes.add(count, ordering: .relaxed)
        return true
    }

    deinit {
        budget.release(bytes.load(ordering: .relaxed))
    }
}
