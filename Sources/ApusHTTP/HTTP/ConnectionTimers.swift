internal import ApusLoop
/// Milliseconds from a monotonic source: the loop's cached time in the server, a hand-moved
/// value in tests.
public protocol MillisecondClock {
    var now: UInt64 { get }
}

/// The event loop's time (`uv_now`), as connections see it.
struct LoopClock: MillisecondClock {
    let loop: EventLoop
    var now: UInt64 { loop.now }
}

/// When a connection gives up, as a state machine: events move it, `expiry` says what is due.
/// No I/O and no real time (the clock is injected), so every rule is unit-tested.
///
/// The rules:
/// - a request head (and the rest of a body being read) must arrive within the head timeout of
///   the connection, of the request's first byte, or of the last body bytes — but no head timer
///   runs while the server itself has stopped reading (a reader behind on its responses);
/// - once a response is queued, the connection waits for the client to take it: only a write
///   that makes no progress for the write timeout ends it, however long the response;
/// - the idle timeout between requests, and the linger after a final response, start when the
///   last byte of the response has been written.
struct ConnectionTimers<Clock: MillisecondClock> {
    enum Deadline: Equatable {
        case none
        /// A head, or the body being read, must arrive by then.
        case head(UInt64)
        /// Idle between requests until then.
        case keepAlive(UInt64)
        /// Response bytes are queued: they must make progress by then (`queued` bytes at the last
        /// look).
        case write(UInt64, queued: Int)
        /// Reading and discarding after the final response, until then.
        case linger(UInt64)
    }

    /// What `expiry` found.
    enum Expiry: Equatable {
        case none
        /// The connection has nothing more to do, or the client stopped reading: close it.
        case close
        /// A request (head or body) did not arrive in time.
        case requestTimeout
    }

    static var lingerMilliseconds: UInt64 { 2_000 }

    let clock: Clock
    let limits: HTTPLimits
    private(set) var deadline: Deadline
    /// The server stopped reading (back-pressure): no head timer while it stays so.
    private(set) var readingPaused = false
    /// Whether the response in flight is the connection's last (it lingers after it).
    private var lingerAfterWrites = false

    init(clock: Clock, limits: HTTPLimits) {
        self.clock = clock
        self.limits = limits
        deadline = .head(clock.now + limits.headTimeoutMilliseconds)
    }

    private var headDeadline: Deadline { .head(clock.now + limits.headTimeoutMilliseconds) }

    /// Request bytes arrived: the first byte after an idle period starts the head timer, and a
    /// body that keeps moving keeps its timer fresh.
    mutating func requestBytesArrived(readingBody: Bool) {
        if case .keepAlive = deadline {
            deadline = headDeadline
        } else if readingBody, case .head = deadline {
            deadline = headDeadline
        }
    }

    /// A head arrived; its body (if any) has the head timeout to arrive.
    mutating func headArrived() {
        deadline = headDeadline
    }

    /// The request is with the responder: nothing times out on the client's side.
    mutating func requestDispatched() {
        deadline = .none
        lingerAfterWrites = false
    }

    /// The responder waits for more of the body.
    mutating func waitingForBody() {
        deadline = headDeadline
    }

    /// The responder got body bytes; it is the responder's turn again.
    mutating func bodyDelivered() {
        deadline = .none
    }

    /// A response was queued with `queued` bytes not yet written; `last`: the connection
    /// closes after it.
    mutating func responseQueued(queued: Int, last: Bool) {
        lingerAfterWrites = last
        deadline = .write(clock.now + limits.writeTimeoutMilliseconds, queued: queued)
    }

    /// A streamed response waits for the client to take what is queued: the write timeout runs.
    mutating func streamWaiting(queued: Int) {
        deadline = .write(clock.now + limits.writeTimeoutMilliseconds, queued: queued)
    }

    var isWaitingForWrites: Bool {
        if case .write = deadline { return true }
        return false
    }

    /// Everything queued was written: the idle (or linger) timer starts now. `nextRequestStarted`:
    /// bytes of a next request are already here.
    mutating func writesDrained(nextRequestStarted: Bool) {
        guard isWaitingForWrites else { return }
        if lingerAfterWrites {
            deadline = .linger(clock.now + Self.lingerMilliseconds)
        } else if nextRequestStarted {
            deadline = headDeadline
        } else {
            deadline = .keepAlive(clock.now + limits.keepAliveTimeoutMilliseconds)
        }
    }

    /// The server is shutting down and the connection has not sent a request yet: it has a
    /// moment (or the head timeout, if shorter) to send one.
    mutating func drainGrace() {
        deadline = .head(clock.now + min(limits.headTimeoutMilliseconds, Self.drainGraceMilliseconds))
    }

    static var drainGraceMilliseconds: UInt64 { 250 }

    mutating func readingPaused(_ paused: Bool) {
        guard paused != readingPaused else { return }
        readingPaused = paused
        // The head timer restarts when the server reads again.
        if !paused, case .head = deadline { deadline = headDeadline }
    }

    /// What is due now; `queued`: the response bytes still unwritten.
    mutating func expiry(queued: Int) -> Expiry {
        let now = clock.now
        switch deadline {
        case .none:
            return .none
        case .keepAlive(let at), .linger(let at):
            return now >= at ? .close : .none
        case .write(let at, let before):
            if queued < before {
                deadline = .write(now + limits.writeTimeoutMilliseconds, queued: queued)
                return .none
            }
            return now >= at ? .close : .none
        case .head(let at):
            guard now >= at, !readingPaused else { return .none }
            return .requestTimeout
        }
    }
}
