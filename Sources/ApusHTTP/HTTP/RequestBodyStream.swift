internal import ApusLoop

/// The rest of a request body that had not arrived when the request was handed to the
/// responder (a responder that takes bodies as streams, see `HTTPResponder`). The reader pulls:
/// each `read` takes what has arrived since the last one, so a reader that stops reading stops
/// the connection reading (past 64 KiB buffered), and a slow upload never fills memory.
///
/// Its bytes come from a `RequestBodySource`: an HTTP/1.1 connection's decoder, or an HTTP/2
/// stream's DATA frames (whose flow-control window opens as the reader takes them).
///
/// Confined to the loop thread of its connection: call it there (`ResponseSlot.loop`); every
/// access checks it.
public final class RequestBodyStream: Sendable {
    private struct State {
        weak var source: (any RequestBodySource)?
        var pendingRead: ((_ bytes: [UInt8]?, _ more: Bool) -> Void)?
        var isComplete = false
    }

    private let state: LoopBound<State>

    /// The reader waiting for bytes.
    var pendingRead: ((_ bytes: [UInt8]?, _ more: Bool) -> Void)? {
        get { state.pendingRead }
        set { state.pendingRead = newValue }
    }

    public internal(set) var isComplete: Bool {
        get { state.isComplete }
        set { state.isComplete = newValue }
    }

    private var source: (any RequestBodySource)? { state.source }

    /// Made on the loop thread.
    init(source: any RequestBodySource) {
        state = LoopBound(State(source: source), on: source.core.loop)
    }

    /// Calls `then` with the next piece of the body and whether more follows; `then(nil,
    /// false)` if the body cannot be read to its end (the client went away, the body was too
    /// large or malformed). Once complete, `then([], false)`.
    public func read(then: @escaping (_ bytes: [UInt8]?, _ more: Bool) -> Void) {
        guard !isComplete else { return then([], false) }
        guard let source else { return then(nil, false) }
        precondition(pendingRead == nil, "RequestBodyStream.read called while a read is pending")
        pendingRead = then
        source.serveBodyRead(self)
    }

    /// What `collect` got.
    public enum Collected {
        /// The whole body, and its bytes' hold on the server's budget: keep it while the
        /// body is held.
        case body([UInt8], BodyReservation)
        /// The body cannot be read to its end; the connection has answered (or closed).
        case failed
        /// Holding the whole body would pass the server's budget for bodies in memory
        /// (`HTTPLimits.maxBufferedBodyBytes`); the rest is left unread.
        case overBudget
    }

    /// Reads the whole rest of the body, after `prefix` (which arrived with the head).
    public func collect(_ prefix: [UInt8], then: @escaping (Collected) -> Void) {
        guard let budget = source?.core.bodyBudget else { return then(.failed) }
        let reservation = BodyReservation(budget: budget)
        guard reservation.take(prefix.count) else { return then(.overBudget) }
        var body = prefix
        func next() {
            read { bytes, more in
                guard let bytes else { return then(.failed) }
                guard reservation.take(bytes.count) else { return then(.overBudget) }
                body.append(contentsOf: bytes)
                if more { next() } else { then(.body(body, reservation)) }
            }
        }
        next()
    }

    /// The body cannot be read any further.
    func fail() {
        isComplete = true
        let reader = pendingRead
        pendingRead = nil
        reader?(nil, false)
    }
}

/// Where a `RequestBodyStream`'s bytes come from. Loop thread.
protocol RequestBodySource: AnyObject {
    var core: HTTPServerCore { get }
    /// Hands the stream's pending reader what has arrived, or leaves it waiting for more.
    func serveBodyRead(_ stream: RequestBodyStream)
}
