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
        let stream = RequestBodyStream(source: self)
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
