internal import ApusPython
internal import ApusHTTP
internal import Logging

/// One WebSocket handshake handed to the ASGI app (`Server.handle_websocket`): turns what the
/// app sends through `native` (see `apus._websocket_host`) into the 101 and the session's
/// frames, or into a denial response on the request's slot, and hands the session's messages
/// to the app's `receive`.
final class ASGIWebSocketChannel: @unchecked Sendable {
    private let slot: ResponseSlot
    private let upgrade: WebSocketUpgrade
    private let application: ASGIApplication
    private let asyncio: AsyncioThread
    private let logger: Logger
    private let exceptionSink: PyObjectRef?
    private let head: HTTPRequestHead
    /// Touched only on the asyncio thread.
    private var session: WebSocketSession?
    private var cycle: PyObjectRef?
    private var leftEarly = false
    /// A denial response that streams its body.
    private var denialWriter: ResponseBodyWriter?

    init(slot: ResponseSlot, upgrade: WebSocketUpgrade, application: ASGIApplication, asyncio: AsyncioThread,
         logger: Logger, exceptionSink: PyObjectRef?, head: HTTPRequestHead) {
        self.slot = slot
        self.upgrade = upgrade
        self.application = application
        self.asyncio = asyncio
        self.logger = logger
        self.exceptionSink = exceptionSink
        self.head = head
    }

    /// The logger for lines about this request, with its request and trace ids.
    private var requestLogger: Logger { logger.about(head) }
    private var description: String { "WebSocket \(head.target)" }

    /// With the GIL, on the asyncio thread: builds the request's parts and starts the app.
    func start(_ request: HTTPRequest, _ gil: borrowing GIL) {
        do throws(PythonError) {
            var arguments = CallArguments(capacity: 2)
            arguments.append(try application.requestParts.requestParts(request, pathParameters: nil, gil))
            arguments.append(try gil.makeFunction { [self] gil, message throws(PythonError) in
                try receive(message, gil)
            })
            let cycle = try gil.call(application.handleWebSocket, positional: arguments).share()
            self.cycle = cycle
            if leftEarly { _ = try? gil.call(application.disconnected, [cycle]) }
        } catch {
            requestLogger.error("cannot start \(description) in Python:\n\(error.formattedTraceback(gil))")
            slot.abort()
        }
    }

    /// On the loop thread: the client left before the handshake was answered.
    func clientDisconnected() {
        asyncio.submit { [self] gil in
            guard let cycle else { return leftEarly = true }
            _ = try? gil.call(application.disconnected, [cycle])
        }
    }

    /// A message from the app's `send` (or its end), on the asyncio thread. What it returns is
    /// `WebSocketSend`'s answer: True (sent), False (the session is over), None (wait for
    /// `send_done`).
    private func receive(_ message: consuming PyOwned, _ gil: borrowing GIL) throws(PythonError) -> PyOwned {
        typealias Failure = ResponseMessage.ErrorField
        typealias Accept = ResponseMessage.WebSocketAcceptField
        typealias Close = ResponseMessage.WebSocketCloseField
        switch try ResponseMessage.kind(of: message, gil) {
        case .webSocketSend:
            let payload = try gil.tupleItem(message, ResponseMessage.onlyField)
            let bytes: [UInt8]
            let text: Bool
            if let string = gil.swiftString(payload) {
                (bytes, text) = (Array(string.utf8), true)
            } else {
                (bytes, text) = (try gil.bufferBytes(payload), false)
            }
            guard let session else { return gil.bool(false) }
            switch session.send(bytes, text: text, then: { [self] ok in sendDone(ok) }) {
            case .sent: return gil.bool(true)
            case .closed: return gil.bool(false)
            case .waiting: return gil.none()
            }
        case .webSocketConsumed:
            session?.consumed(bytes: gil.swiftInt(try gil.tupleItem(message, ResponseMessage.onlyField)) ?? 0)
        case .webSocketAccept:
            let chosen = try gil.field(message, Accept.subprotocol)
            let subprotocol = gil.isNone(chosen) ? nil : gil.swiftString(chosen)
            let headers = HTTPHeaders(try gil.stringPairs(try gil.field(message, Accept.headers)))
            session = slot.acceptWebSocket(upgrade, subprotocol: subprotocol, headers: headers) { [self] event in
                deliver(event)
            }
        case .webSocketClose:
            let code = gil.swiftInt(try gil.field(message, Close.code)) ?? Int(WebSocketCloseCode.normal)
            let reason = gil.swiftString(try gil.field(message, Close.reason)) ?? ""
            session?.close(code: UInt16(clamping: code), reason: reason)
        case .body:
            try respondWithDenial(message, gil)
        case .more:
            try continueDenial(message, gil)
        case .error:
            let exception = try gil.field(message, Failure.exception).share()
            let traceback = gil.swiftString(try gil.field(message, Failure.traceback)) ?? ""
            requestLogger.error("Exception in ASGI application (\(description))\n\(traceback)")
            if let exceptionSink { _ = try? gil.call(exceptionSink, [exception]) }
            failed()
        case .abort:
            let reason = gil.swiftString(try gil.tupleItem(message, ResponseMessage.onlyField)) ?? "the ASGI app broke the protocol"
            requestLogger.error("\(reason) (\(description))")
            failed()
        case .outerBody, .read, .file:
            throw .runtime("an HTTP request's message for a WebSocket session")
        }
        return gil.none()
    }

    /// The app failed: 500 if the handshake is unanswered, else the session closes with 1011.
    private func failed() {
        if let session {
            session.close(code: WebSocketCloseCode.internalError, reason: "")
        } else {
            slot.abort()
        }
    }

    /// `websocket.http.response.*` (or a close before the accept: 403), as an HTTP response.
    private func respondWithDenial(_ message: borrowing PyOwned, _ gil: borrowing GIL) throws(PythonError) {
        typealias Body = ResponseMessage.BodyField
        let status = gil.swiftInt(try gil.field(message, Body.status)) ?? 500
        let headers = HTTPHeaders(try gil.stringPairs(try gil.field(message, Body.headers)))
        let body = try gil.bufferBytes(try gil.field(message, Body.body))
        let more = gil.isTrue(try gil.field(message, Body.more))
        guard more else { return slot.complete(HTTPResponse(status: status, headers: headers, body: body)) }
        let waiter = try gil.field(message, Body.waiter).share()
        let writer = slot.startStream(status: status, headers: headers)
        denialWriter = writer
        writer.write(body) { [self] ok in resume(waiter, ok) }
    }

    /// The next piece of a denial's body.
    private func continueDenial(_ message: borrowing PyOwned, _ gil: borrowing GIL) throws(PythonError) {
        typealias More = ResponseMessage.MoreField
        guard let writer = denialWriter else { throw .runtime("denial body before its start") }
        let body = try gil.bufferBytes(try gil.field(message, More.body))
        if gil.isTrue(try gil.field(message, More.more)) {
            let waiter = try gil.field(message, More.waiter).share()
            writer.write(body) { [self] ok in resume(waiter, ok) }
        } else {
            if !body.isEmpty { writer.write(body) { _ in } }
            writer.finish()
        }
    }

    private func resume(_ waiter: PyObjectRef, _ ok: Bool) {
        asyncio.submit { [self] gil in
            _ = try? gil.call(application.resume, [waiter, gil.bool(ok).share()])
        }
    }

    /// A send that waited for the client may go on (or the session is over).
    private func sendDone(_ ok: Bool) {
        asyncio.submit { [self] gil in
            guard let cycle else { return }
            _ = try? gil.call(application.webSocketSendDone, [cycle, gil.bool(ok).share()])
        }
    }

    /// Hands a session event to the app's side (`WebSocketCycle.deliver`), on the asyncio thread.
    private func deliver(_ event: WebSocketEvent) {
        asyncio.submit { [self] gil in
            guard let cycle else { return }
            do throws(PythonError) {
                var items = CallArguments(capacity: 3)
                switch event {
                case .text(let bytes):
                    items.append(try gil.str("text"))
                    items.append(try gil.str(String(decoding: bytes, as: UTF8.self)))
                    items.append(try gil.int(bytes.count))
                case .binary(let bytes):
                    items.append(try gil.str("bytes"))
                    items.append(try gil.bytes(bytes))
                    items.append(try gil.int(bytes.count))
                case .closed(let code, let reason):
                    items.append(try gil.str("close"))
                    items.append(try gil.int(Int(code)))
                    items.append(try gil.str(reason))
                }
                let value = try gil.tuple(items).share()
                _ = try gil.call(application.webSocketReceived, [cycle, value])
            } catch {
                requestLogger.error("cannot hand a WebSocket message to the app (\(description)): \(error)")
            }
        }
    }
}
