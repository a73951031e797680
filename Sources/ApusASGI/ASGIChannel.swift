package import ApusPython
package import ApusHTTP
package import ApusMiddleware
package import Logging

/// One request handed to Python: the ASGI app (`Server.handle`) or a route's plan (`run` or
/// `start`), called as `entry(request_parts, body, native)`, or `entry(event, body_size,
/// native)` for a Python function's plan (its event holds the body). It turns what Python sends through `native` (see
/// `apus._asgi_host`) into the response on the request's slot.
package final class ASGIChannel: @unchecked Sendable {
    private let slot: ResponseSlot
    private let application: ASGIApplication
    private let entry: PlanEntry
    private let asyncio: AsyncioThread
    private let logger: Logger
    private let exceptionSink: PyObjectRef?
    /// Touched only on the asyncio thread.
    private var writer: ResponseBodyWriter?
    private var cycle: PyObjectRef?
    /// The client left before the app started (both touched only on the asyncio thread).
    private var leftEarly = false
    /// The rest of the request body (used on the loop thread only).
    private var bodyStream: RequestBodyStream?
    /// The app's middleware that the runtime runs, for this response (touched only by the
    /// thread running the request's Python).
    private var rewriter: ResponseRewriter?
    /// The request line's method and target, for log lines (only ever built on errors).
    private let head: HTTPRequestHead
    /// The logger for lines about this request, with its request and trace ids.
    private var requestLogger: Logger { logger.about(head) }
    private var description: String { "\(head.method) \(head.target)" }

    package init(slot: ResponseSlot, application: ASGIApplication, entry: PlanEntry, asyncio: AsyncioThread,
         logger: Logger, exceptionSink: PyObjectRef?, head: HTTPRequestHead, rewriter: ResponseRewriter? = nil) {
        self.slot = slot
        self.application = application
        self.entry = entry
        self.asyncio = asyncio
        self.logger = logger
        self.exceptionSink = exceptionSink
        self.head = head
        self.rewriter = rewriter
    }

    /// With the GIL (the asyncio thread, or an executor thread for a plan that runs there):
    /// builds the request's parts (`RequestParts`, named) and calls the entry. The parts end
    /// with the path parameters the route table matched, as raw text (a plan's; None for the
    /// app), and whether more of the body is to come (read through `("read", waiter)` messages).
    package func start(_ request: HTTPRequest, pathParameters: [String: String]? = nil, _ gil: borrowing GIL) {
        bodyStream = request.bodyStream
        do throws(PythonError) {
            let parts = try application.requestParts.requestParts(request, pathParameters: pathParameters, gil)
            try call(with: parts, try gil.bytes(request.body), gil)
        } catch {
            failedToStart(error, gil)
        }
    }

    /// With the GIL: calls a Python function's plan with its event and the body's size
    /// (`entry(event, body_size, native)`).
    package func start(_ event: FunctionEvent, _ source: FunctionEventSource, bodySize: Int, _ gil: borrowing GIL) {
        do throws(PythonError) {
            try call(with: try gil.eventDict(event, source), try gil.int(bodySize), gil)
        } catch {
            failedToStart(error, gil)
        }
    }

    private func call(with first: consuming PyOwned, _ second: consuming PyOwned, _ gil: borrowing GIL) throws(PythonError) {
        var arguments = CallArguments(capacity: 3)
        arguments.append(first)
        arguments.append(second)
        arguments.append(try gil.makeFunction { [self] gil, message throws(PythonError) in
            try receive(message, gil)
            return gil.none()
        })
        let cycle = try gil.call(try entry.resolve(gil), positional: arguments)
        // A plan run on an executor thread is over when it returns: it may return its
        // whole response as a message (a `Body`: the fast path), and there is no cycle to keep.
        if gil.isTuple(cycle) { return try receive(cycle, gil) }
        guard !gil.isNone(cycle) else { return }
        let kept = cycle.share()
        self.cycle = kept
        if leftEarly { _ = try? gil.call(application.disconnected, [kept]) }
    }

    private func failedToStart(_ error: PythonError, _ gil: borrowing GIL) {
        requestLogger.error("cannot start \(description) in Python (the app, or the route's plan):\n\(error.formattedTraceback(gil))")
        slot.abort()
    }

    /// On the loop thread: the connection closed before the response was complete.
    package func clientDisconnected() {
        asyncio.submit { [self] gil in
            guard let cycle else { return leftEarly = true }
            _ = try? gil.call(application.disconnected, [cycle])
        }
    }

    /// A message from the app's `send` (or its end), on the asyncio thread.
    private func receive(_ message: consuming PyOwned, _ gil: borrowing GIL) throws(PythonError) {
        typealias Body = ResponseMessage.BodyField
        typealias More = ResponseMessage.MoreField
        typealias Failure = ResponseMessage.ErrorField
        let kind = try ResponseMessage.kind(of: message, gil)
        switch kind {
        case .body, .outerBody:
            let status = gil.swiftInt(try gil.field(message, Body.status)) ?? 0
            var headers = HTTPHeaders(try gil.stringPairs(try gil.field(message, Body.headers)))
            let bodyObject = try gil.field(message, Body.body)
            let more = gil.isTrue(try gil.field(message, Body.more))
            if kind == .outerBody { rewriter = nil }
            let waiter = more ? try gil.field(message, Body.waiter).share() : nil
            if let inPlace = inPlaceBody(bodyObject, gil), more || headers.holdsLength(inPlace.bytes.count) {
                let writer = slot.startStream(status: status, headers: headers)
                if more { self.writer = writer }
                return stream(.inPlace(inPlace), writer, waiter: waiter)
            }
            var body = try gil.bufferBytes(bodyObject)
            if let current = rewriter {
                let rewritten = withoutGILIfLarge(body.count, gil) { [headers, body] in
                    var (rewriter, headers, body) = (current, headers, body)
                    rewriter.start(status: status, &headers, &body, more: more)
                    return (rewriter, headers, body)
                }
                (rewriter, headers, body) = rewritten
            }
            if more {
                let writer = slot.startStream(status: status, headers: headers)
                self.writer = writer
                stream(.copied(body), writer, waiter: waiter)
            } else {
                slot.complete(HTTPResponse(status: status, headers: headers, body: body))
            }
        case .more:
            guard let writer else { throw .runtime("body piece before the response started") }
            let bodyObject = try gil.field(message, More.body)
            let more = gil.isTrue(try gil.field(message, More.more))
            let waiter = more ? try gil.field(message, More.waiter).share() : nil
            if let inPlace = inPlaceBody(bodyObject, gil) {
                return stream(.inPlace(inPlace), writer, waiter: waiter)
            }
            var body = try gil.bufferBytes(bodyObject)
            if let current = rewriter {
                let rewritten = withoutGILIfLarge(body.count, gil) { [body] in
                    var (rewriter, body) = (current, body)
                    rewriter.next(&body, more: more)
                    return (rewriter, body)
                }
                (rewriter, body) = rewritten
            }
            stream(.copied(body), writer, waiter: waiter)
        case .file:
            let status = gil.swiftInt(try gil.field(message, ResponseMessage.FileField.status)) ?? 0
            let headers = HTTPHeaders(try gil.stringPairs(try gil.field(message, ResponseMessage.FileField.headers)))
            guard let path = gil.swiftString(try gil.field(message, ResponseMessage.FileField.path)) else {
                throw .runtime("a file response's path is not a str")
            }
            FileBody.send(path: path, status: status, headers: headers, via: slot, logger: requestLogger,
                          rewrite: rewriter.map { Self.rewriteFile($0, status: status) })
        case .error:
            let exception = try gil.field(message, Failure.exception).share()
            let traceback = gil.swiftString(try gil.field(message, Failure.traceback)) ?? ""
            requestLogger.error("Exception in ASGI application (\(description))\n\(traceback)")
            if let exceptionSink { _ = try? gil.call(exceptionSink, [exception]) }
            if !gil.isTrue(try gil.field(message, Failure.answered)) { slot.abort() }
        case .read:
            let waiter = try gil.tupleItem(message, ResponseMessage.onlyField).share()
            guard let stream = bodyStream else { return resumeRead(waiter, nil, false) }
            slot.loop.execute { [self] in
                stream.read { bytes, more in self.resumeRead(waiter, bytes, more) }
            }
        case .abort:
            let reason = gil.swiftString(try gil.tupleItem(message, ResponseMessage.onlyField)) ?? "the ASGI app broke the protocol"
            requestLogger.error("\(reason) (\(description))")
            slot.abort()
        case .webSocketAccept, .webSocketSend, .webSocketClose, .webSocketConsumed:
            throw .runtime("a WebSocket message for an HTTP request")
        }
    }

    /// The middleware the runtime runs, applied to a file's pieces as `FileBody` reads them.
    private static func rewriteFile(_ rewriter: ResponseRewriter, status: Int) -> FileBody.Rewrite {
        let state = RewriterState(rewriter)
        return { headers, piece, last in
            if var head = headers {
                state.rewriter.start(status: status, &head, &piece, more: !last)
                headers = head
            } else {
                state.rewriter.next(&piece, more: !last)
            }
        }
    }

    /// Runs `work` on `size` bytes of body (compression), without the GIL when it is large
    /// enough to hold up other Python threads.
    private func withoutGILIfLarge<R>(_ size: Int, _ gil: borrowing GIL, _ work: @Sendable () -> R) -> R {
        size >= 64 * 1024 ? Python.withoutGIL(gil, work) : work()
    }

    /// Hands a piece of the request body (nil: it cannot be read) to the app's `receive`.
    private func resumeRead(_ waiter: PyObjectRef, _ bytes: [UInt8]?, _ more: Bool) {
        asyncio.submit { [self] gil in
            do throws(PythonError) {
                var value: PyObjectRef
                if let bytes {
                    var pair = CallArguments(capacity: 2)
                    pair.append(try gil.bytes(bytes))
                    pair.append(gil.bool(more))
                    value = try gil.tuple(pair).share()
                } else {
                    value = gil.none().share()
                }
                _ = try gil.call(application.resume, [waiter, value])
            } catch {
                requestLogger.error("cannot hand the request body to the app (\(description)): \(error)")
            }
        }
    }

    /// Queues a piece; the app's `send` resumes once the client has taken it.
    /// Writes a piece of a streamed body. With more to come (`waiter`), the app's `send` waits
    /// on `waiter` until the client has room; the last piece ends the stream.
    private func stream(_ piece: OutgoingPiece, _ writer: ResponseBodyWriter, waiter: PyObjectRef?) {
        let then: @Sendable (Bool) -> Void
        if let waiter {
            then = { [self] ok in
                asyncio.submit { [self] gil in
                    _ = try? gil.call(application.resume, [waiter, gil.bool(ok).share()])
                }
            }
        } else {
            then = { _ in }
        }
        switch piece {
        case .copied(let bytes) where !bytes.isEmpty || waiter != nil: writer.write(bytes, then: then)
        case .copied: break
        case .inPlace(let buffer): writer.write(inPlace: buffer, then: then)
        }
        if waiter == nil { writer.finish() }
    }

    /// Bodies from this size on are written from the Python object itself: copying them would
    /// cost more than keeping the object until the socket has taken it.
    private static let inPlaceMinimumBytes = 256 * 1024

    /// `object` as a body written in place, if it is large enough and no middleware the runtime
    /// runs has to rewrite it.
    private func inPlaceBody(_ object: borrowing PyOwned, _ gil: borrowing GIL) -> PythonBytesBuffer? {
        guard rewriter == nil else { return nil }
        return PythonBytesBuffer(object, atLeast: Self.inPlaceMinimumBytes, gil, releasingOn: asyncio)
    }
}

/// The rewriter of a file response, used by one pool thread at a time (`FileBody` reads one
/// piece after the other).
private final class RewriterState: @unchecked Sendable {
    var rewriter: ResponseRewriter

    init(_ rewriter: ResponseRewriter) {
        self.rewriter = rewriter
    }
}

/// A piece of a response body for the writer: copied, or written from the Python object.
private enum OutgoingPiece {
    case copied([UInt8])
    case inPlace(PythonBytesBuffer)
}

private extension HTTPHeaders {
    /// Whether a body of `count` bytes may go out as a stream held to its length: the app gave
    /// no `content-length` (one is added) or the right one. A wrong one is left to the complete
    /// response's checks, which answer 500.
    mutating func holdsLength(_ count: Int) -> Bool {
        let declared = values(for: "content-length")
        if declared.isEmpty {
            add("content-length", String(count))
            return true
        }
        return declared.count == 1 && Int(declared[0]) == count
    }
}

extension Logger {
    /// This logger with the request's log fields (`HTTPRequestHead.logFields`) as metadata:
    /// made only for the lines written about one request (its errors), never per request.
    func about(_ head: HTTPRequestHead) -> Logger {
        var logger = self
        for field in head.logFields { logger[metadataKey: field.name] = "\(field.value)" }
        return logger
    }
}
