internal import ApusLoop

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

/// Body bytes held against the server's budget; given back when the last reference goes (when
/// the body has been handed on and dropped), on whatever thread that is.
public final class BodyReservation: Sendable {
    private let budget: BodyBudget?
    private let bytes: Int
    private let parts: [BodyReservation]

    init(budget: BodyBudget, bytes: Int) {
        self.budget = budget
        self.bytes = bytes
        parts = []
    }

    /// One hold made of several (a body's pieces).
    init(holding parts: [BodyReservation]) {
        budget = nil
        bytes = 0
        self.parts = parts
    }

    deinit {
        budget?.release(bytes)
    }
}
