/// The rest of a request body that had not arrived when the request was handed to the
/// responder (a responder that takes bodies as streams, see `HTTPResponder`). The reader pulls:
/// each `read` takes what has arrived since the last one, so a reader that stops reading stops
/// the connection reading (past 64 KiB buffered), and a slow upload never fills memory.
///
/// Confined to the loop thread of its connection: call it there (`ResponseSlot.loop`).
public final class RequestBodyStream: @unchecked Sendable {
    private weak var connection: HTTPConnection?
    /// The reader waiting for bytes.
    fileprivate var pendingRead: ((_ bytes: [UInt8]?, _ more: Bool) -> Void)?
    public fileprivate(set) var isComplete = false

    init(connection: HTTPConnection) {
        self.connection = connection
    }

    /// Calls `then` with the next piece of the body and whether more follows; `then(nil,
    /// false)` if the body cannot be read to its end (the client went away, the body was too
    /// large or malformed). Once complete, `then([], false)`.
    public func read(then: @escaping (_ bytes: [UInt8]?, _ more: Bool) -> Void) {
        guard !isComplete else { return then([], false) }
        guard let connection else { return then(nil, false) }
        precondition(pendingRead == nil, "RequestBodyStream.read called while a read is pending")
        pendingRead = then
        connection.serveBodyRead(self)
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
        guard let budget = connection?.core.bodyBudget else { return then(.failed) }
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
    fileprivate func fail() {
        isComplete = true
        let reader = pendingRead
        pendingRead = nil
        reader?(nil, false)
    }
}

extension HTTPConnection {
    /// Hands `head` to the responder, with the body that is already here; the rest (if any)
    /// follows through a `RequestBodyStream`.
    func dispatchStreaming(_ head: HTTPRequestHead) {
        var prefix: [UInt8] = []
        do {
            while let part = try decoder.nextBodyPart() {
                guard case .bytes(let bytes) = part else {
                    return dispatch(self.request(head, body: prefix))
                }
                prefix.append(contentsOf: bytes)
            }
        } catch {
            return reject(error)
        }
        let stream = RequestBodyStream(connection: self)
        bodyStream = stream
        var whole = self.request(head, body: prefix)
        whole.bodyStream = stream
        dispatch(whole)
    }

    /// For a responder that takes whole bodies: reads the rest of `request`'s body within the
    /// server's budget for bodies in memory, then hands it over.
    func respondWhenComplete(_ request: HTTPRequest, _ slot: ResponseSlot) {
        request.withWholeBody(via: slot) { [core] whole in core.responder.respond(to: whole, via: slot) }
    }

    /// Serves a pending read of the current body stream from what the decoder holds.
    func serveBodyRead(_ stream: RequestBodyStream) {
        guard stream === bodyStream, let reader = stream.pendingRead else { return }
        sendContinueIfOwed()
        var bytes: [UInt8] = []
        var ended = false
        do {
            while let part = try decoder.nextBodyPart() {
                guard case .bytes(let piece) = part else {
                    ended = true
                    break
                }
                bytes.append(contentsOf: piece)
                if bytes.count >= Self.bodyPieceBytes { break }
            }
        } catch {
            stream.fail()
            bodyStream = nil
            return rejectDuringResponse(error)
        }
        guard ended || !bytes.isEmpty else {
            // Nothing new: wait for the socket. A body that stops arriving times out.
            if machine.peerClosed { return endBody(failed: true) }
            machine.waitingForBody()
            resumeReadingForBody()
            return
        }
        stream.pendingRead = nil
        if ended {
            stream.isComplete = true
            bodyStream = nil
        }
        machine.responderResumed()
        resumeReadingForBody()
        reader(bytes, !ended)
    }

    /// New bytes arrived, or the client went away, while a body read waits.
    func bodyBytesArrived() {
        if let stream = bodyStream, stream.pendingRead != nil { serveBodyRead(stream) }
    }

    /// The body stream ends without its bytes (the client closed, or the connection did).
    func endBody(failed: Bool) {
        guard let stream = bodyStream else { return }
        bodyStream = nil
        if failed { stream.fail() }
    }

    /// After the response: the part of the body nobody read is read and dropped, so the next
    /// request starts where it should. Returns false while more of it is still to arrive.
    func discardUnreadBody() -> Bool {
        guard let stream = bodyStream else { return true }
        do {
            while let part = try decoder.nextBodyPart() {
                if case .end = part {
                    bodyStream = nil
                    stream.isComplete = true
                    return true
                }
            }
        } catch {
            bodyStream = nil
            stream.fail()
            reject(error)
            return false
        }
        return false
    }

    /// Pieces handed to a reader are at most this large.
    static let bodyPieceBytes = 64 * 1024
}

extension HTTPRequest {
    /// Calls `then` with this request whose body is whole: at once if it is, else once the rest
    /// of its stream has been read, within the server's budget for bodies in memory (the body's
    /// hold on that budget lasts until the response ends). A body that cannot be read to its
    /// end is answered by the connection; one past the budget gets a 503. For a part of a
    /// responder that takes streams (`HTTPResponder.streamsRequestBodies`) but needs the whole
    /// body. On the loop thread.
    public func withWholeBody(via slot: ResponseSlot, then: @escaping (HTTPRequest) -> Void) {
        guard let stream = bodyStream else { return then(self) }
        stream.collect(body) { collected in
            switch collected {
            case .failed:
                return  // the connection has answered
            case .overBudget:
                slot.overBudgetWarning(self)
                slot.complete(.bodiesOverBudget)
            case .body(let body, let reservation):
                var whole = self
                whole.body = body
                whole.bodyStream = nil
                slot.heldBody = reservation
                then(whole)
            }
        }
    }
}
