internal import CNGHTTP2

/// What an HTTP/2 session hears from the client, as nghttp2 decodes it: a request's header
/// fields, its end, its body's bytes, a stream's close. Called synchronously from `receive`
/// (and, for closes, from `takeOutput`), on the loop thread.
package protocol HTTP2SessionDelegate: AnyObject {
    /// A client's request opens stream `id`.
    func streamOpened(_ id: Int32)
    /// One header field of the request (names arrive lowercase, validated by nghttp2).
    func header(_ id: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)
    /// The request's head is complete; `endStream`: it has no body.
    func headersEnded(_ id: Int32, endStream: Bool)
    /// A piece of the request's body.
    func dataArrived(_ id: Int32, _ bytes: UnsafeRawBufferPointer)
    /// The request's body is complete.
    func requestEnded(_ id: Int32)
    /// The stream is closed (answered, or reset by either side); `errorCode` 0 is a clean end.
    func streamClosed(_ id: Int32, errorCode: UInt32)
}

/// nghttp2's server session over memory buffers: the client's bytes go in with `receive`, the
/// bytes to send come out of `takeOutput`, responses go in with `submitResponse` and
/// `appendBody`. nghttp2 does the framing, HPACK, flow control, stream states and the
/// protocol's checks; this file is the only one that touches its pointers.
///
/// Why nghttp2: the HTTP/2 library Debian ships, that curl and Node (on libuv) run on, kept and
/// fuzzed for a decade; it works on memory buffers, so it fits a loop that owns the socket.
package final class HTTP2Session {
    /// A response body waiting to be framed: nghttp2 pulls it as flow control allows.
    private final class OutgoingBody {
        var bytes: [UInt8] = []
        var offset = 0
        var ended = false
        /// nghttp2 was told there is nothing yet (`NGHTTP2_ERR_DEFERRED`): resume on more.
        var deferred = false
        var pending: Int { bytes.count - offset }
    }

    package weak var delegate: (any HTTP2SessionDelegate)?
    private var session: OpaquePointer?
    private var outgoing: [Int32: OutgoingBody] = [:]

    /// The server's SETTINGS: `maxConcurrentStreams`, and `maxHeaderListBytes` (the client is
    /// told; the connection enforces it).
    package init?(maxConcurrentStreams: UInt32, maxHeaderListBytes: UInt32, initialWindowBytes: UInt32) {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameReceived)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunk)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        // The window of a stream opens as its reader takes the body (`consumed`), so a request
        // whose app does not read holds no more than one window; the connection's opens as DATA
        // arrives (in `onDataChunk`), so one slow reader never stalls the other streams.
        var options: OpaquePointer?
        guard nghttp2_option_new(&options) == 0, let options else { return nil }
        defer { nghttp2_option_del(options) }
        nghttp2_option_set_no_auto_window_update(options, 1)
        var made: OpaquePointer?
        guard nghttp2_session_server_new2(&made, callbacks, nil, options) == 0, let made else { return nil }
        session = made
        nghttp2_session_set_user_data(made, Unmanaged.passUnretained(self).toOpaque())
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: maxConcurrentStreams),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: maxHeaderListBytes),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: initialWindowBytes),
        ]
        guard nghttp2_submit_settings(made, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count) == 0,
              nghttp2_session_set_local_window_size(made, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindowBytes) == 0
        else { return nil }
    }

    /// The connection's receive window: large, since it is opened as DATA arrives (what bounds
    /// memory is each stream's window and the server's budget for bodies).
    private static let connectionWindowBytes: Int32 = 16 * 1024 * 1024

    /// The reader of stream `id`'s body took `count` bytes: the client may send that many more.
    package func consumed(_ id: Int32, _ count: Int) {
        guard let session, count > 0 else { return }
        nghttp2_session_consume_stream(session, id, count)
    }

    deinit {
        if let session { nghttp2_session_del(session) }
    }

    /// Feeds the client's bytes; false when the session cannot go on (a protocol error, a bad
    /// preface, a flood): what it queued (a GOAWAY) should still be sent, then the connection closed.
    package func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let session, let base = bytes.baseAddress else { return session != nil }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        return consumed >= 0
    }

    /// Appends every byte the session has to send to `output`; false on a fatal error.
    package func takeOutput(into output: inout [UInt8]) -> Bool {
        guard let session else { return false }
        while true {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 { return false }
            guard count > 0, let data else { return true }
            output.append(contentsOf: UnsafeBufferPointer(start: data, count: count))
        }
    }

    /// Whether the session is over: neither side has anything more to say.
    package var isFinished: Bool {
        guard let session else { return true }
        return nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    /// Starts the response on stream `id`: its status and header fields (names lowercase, no
    /// connection-specific fields), then `body`; `ended`: the body is complete (else more comes
    /// through `appendBody`). False if the stream can no longer be answered.
    @discardableResult
    package func submitResponse(_ id: Int32, status: Int, headers: [(name: String, value: String)], body: [UInt8], ended: Bool) -> Bool {
        guard let session else { return false }
        var text: [UInt8] = []
        var spans: [(name: Range<Int>, value: Range<Int>)] = []
        func add(_ name: String, _ value: String) {
            let nameStart = text.count
            text.append(contentsOf: name.utf8)
            let valueStart = text.count
            Latin1.withBytes(of: value) { text.append(contentsOf: $0) }  // header text is Latin-1
            spans.append((nameStart..<valueStart, valueStart..<text.count))
        }
        add(":status", String(status))
        for (name, value) in headers { add(name, value) }
        let hasBody = !ended || !body.isEmpty
        if hasBody {
            let source = OutgoingBody()
            source.bytes = body
            source.ended = ended
            outgoing[id] = source
        }
        let result = text.withUnsafeMutableBufferPointer { buffer -> Int32 in
            let base = buffer.baseAddress!
            var fields = spans.map { span in
                nghttp2_nv(name: base + span.name.lowerBound, value: base + span.value.lowerBound,
                           namelen: span.name.count, valuelen: span.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            guard hasBody else { return nghttp2_submit_response(session, id, &fields, fields.count, nil) }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: readBody)
            return nghttp2_submit_response(session, id, &fields, fields.count, &provider)
        }
        if result != 0 { outgoing[id] = nil }
        return result == 0
    }

    /// More of stream `id`'s body; `ended`: that was the last of it.
    package func appendBody(_ id: Int32, _ bytes: [UInt8], ended: Bool) {
        guard let session, let source = outgoing[id] else { return }
        if source.offset > 64 * 1024 && source.offset * 2 > source.bytes.count {
            source.bytes.removeFirst(source.offset)
            source.offset = 0
        }
        source.bytes.append(contentsOf: bytes)
        if ended { source.ended = true }
        if source.deferred {
            source.deferred = false
            nghttp2_session_resume_data(session, id)
        }
    }

    /// Bytes of stream `id`'s body not yet framed (held back by flow control, or not yet taken).
    package func pendingBodyBytes(_ id: Int32) -> Int { outgoing[id]?.pending ?? 0 }

    /// RST_STREAM's code for a stream the server did not process (the client may retry it).
    package static let refusedStream = NGHTTP2_REFUSED_STREAM.rawValue

    /// Resets stream `id` (an internal error unless `errorCode` says otherwise).
    package func reset(_ id: Int32, errorCode: UInt32 = NGHTTP2_INTERNAL_ERROR.rawValue) {
        guard let session else { return }
        outgoing[id] = nil
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, errorCode)
    }

    /// GOAWAY: no stream after the last the server processed will be; those it has go on.
    package func goAway() {
        guard let session else { return }
        nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            NGHTTP2_NO_ERROR.rawValue, nil, 0)
    }

    // MARK: nghttp2's calls

    fileprivate func read(_ id: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int,
                          flags: UnsafeMutablePointer<UInt32>) -> Int {
        guard let source = outgoing[id] else { return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue) }
        let count = min(length, source.pending)
        if count > 0 {
            source.bytes.withUnsafeBufferPointer { bytes in
                buffer.update(from: bytes.baseAddress! + source.offset, count: count)
            }
            source.offset += count
        }
        if source.pending == 0 {
            if source.ended {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                outgoing[id] = nil
            } else if count == 0 {
                source.deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
        }
        return count
    }

    fileprivate func closed(_ id: Int32, errorCode: UInt32) {
        outgoing[id] = nil
        delegate?.streamClosed(id, errorCode: errorCode)
    }

    fileprivate static func owner(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session? {
        userData.map { Unmanaged<HTTP2Session>.fromOpaque($0).takeUnretainedValue() }
    }
}

private func isRequestHeaders(_ frame: UnsafePointer<nghttp2_frame>) -> Bool {
    frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) && frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
}

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
    guard let frame, let owner = HTTP2Session.owner(userData) else { return 0 }
    if isRequestHeaders(frame) { owner.delegate?.streamOpened(frame.pointee.hd.stream_id) }
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, userData in
    guard let frame, let owner = HTTP2Session.owner(userData), isRequestHeaders(frame) else { return 0 }
    // Trailers (a second HEADERS) are not read: ASGI has no place for request trailers.
    owner.delegate?.header(
        frame.pointee.hd.stream_id, name: UnsafeRawBufferPointer(start: name, count: nameLength),
        value: UnsafeRawBufferPointer(start: value, count: valueLength))
    return 0
}

private let onFrameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
    guard let frame, let owner = HTTP2Session.owner(userData) else { return 0 }
    let id = frame.pointee.hd.stream_id
    let endStream = frame.pointee.hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
    switch UInt32(frame.pointee.hd.type) {
    case NGHTTP2_HEADERS.rawValue:
        if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
            owner.delegate?.headersEnded(id, endStream: endStream)
        } else if endStream {
            owner.delegate?.requestEnded(id)
        }
    case NGHTTP2_DATA.rawValue where endStream:
        owner.delegate?.requestEnded(id)
    default:
        break
    }
    return 0
}

private let onDataChunk: nghttp2_on_data_chunk_recv_callback = { session, _, id, data, length, userData in
    guard let session, let owner = HTTP2Session.owner(userData) else { return 0 }
    nghttp2_session_consume_connection(session, length)
    owner.delegate?.dataArrived(id, UnsafeRawBufferPointer(start: data, count: length))
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, id, errorCode, userData in
    HTTP2Session.owner(userData)?.closed(id, errorCode: errorCode)
    return 0
}

private let readBody: nghttp2_data_source_read_callback = { _, id, buffer, length, flags, _, userData in
    guard let buffer, let flags, let owner = HTTP2Session.owner(userData) else {
        return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }
    return owner.read(id, into: buffer, length: length, flags: flags)
}
