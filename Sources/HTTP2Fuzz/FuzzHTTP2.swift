import ApusHTTP
import FuzzDriver

/// libFuzzer entry point (`make fuzz-http2`): an HTTP/2 server session (`HTTP2Session`, over
/// nghttp2) fed the connection preface and then the input as client bytes, in reads of the
/// sizes the input says, answering every request it completes (whole, or streamed in pieces
/// that the input also picks) and taking its output after each read. Checked on every input:
/// - nothing crashes or traps (the session's buffers, the read callback's copies, resets of
///   streams with bodies pending);
/// - the session's callbacks keep their order: a stream's header fields and its body come
///   after it opened and before it closed, each request ends once;
/// - what the server sends stays bounded (no output that grows without the client sending).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP2(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard let session = HTTP2Session(maxConcurrentStreams: 16, maxHeaderListBytes: 4096, initialWindowBytes: 65_535) else {
        return 0
    }
    let server = FuzzServer(session: session)
    session.delegate = server
    let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    guard preface.withUnsafeBytes({ session.receive($0) }) else { return 0 }
    var offset = 0
    var output: [UInt8] = []
    while offset < input.count {
        let length = 1 + Int(input[offset]) % 97
        let choice = input[offset]
        offset += 1
        let end = min(input.count, offset + length)
        let ok = session.receive(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[offset..<end])))
        offset = end
        server.answer(choice)
        output.removeAll(keepingCapacity: true)
        guard session.takeOutput(into: &output), ok else { break }
        precondition(output.count <= 4 * 1024 * 1024, "a read made \(output.count) bytes of output")
    }
    return 0
}

/// The server's side: answers what the session hands it, and checks the order of its calls.
final class FuzzServer: HTTP2SessionDelegate {
    enum Phase { case head, body, ended }

    let session: HTTP2Session
    private var open: [Int32: Phase] = [:]
    private var answered: Set<Int32> = []
    /// Streamed responses not yet ended.
    private var streaming: [Int32] = []

    init(session: HTTP2Session) {
        self.session = session
    }

    func streamOpened(_ id: Int32) {
        precondition(open[id] == nil, "stream \(id) opened twice")
        open[id] = .head
    }

    func header(_ id: Int32, name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        precondition(open[id] == .head, "a header field of stream \(id) outside its head")
    }

    func headersEnded(_ id: Int32, endStream: Bool) {
        precondition(open[id] == .head, "stream \(id)'s head ended twice or out of place")
        open[id] = endStream ? .ended : .body
    }

    func dataArrived(_ id: Int32, _ bytes: UnsafeRawBufferPointer) {
        precondition(open[id] == .body, "body bytes of stream \(id) outside its body")
    }

    func requestEnded(_ id: Int32) {
        precondition(open[id] == .body, "stream \(id) ended twice or before its head")
        open[id] = .ended
    }

    func streamClosed(_ id: Int32, errorCode: UInt32) {
        open[id] = nil
        answered.remove(id)
        streaming.removeAll { $0 == id }
    }

    /// Answers each request that ended: whole, or streamed (its pieces sent on later calls).
    func answer(_ choice: UInt8) {
        for (id, phase) in open where phase == .ended && !answered.contains(id) {
            answered.insert(id)
            let body = [UInt8](repeating: choice, count: Int(choice) * 97)
            if choice & 1 == 0 {
                session.submitResponse(id, status: 200, headers: [("content-type", "text/plain")], body: body, ended: true)
            } else {
                session.submitResponse(id, status: 200, headers: [], body: [], ended: false)
                streaming.append(id)
            }
        }
        for id in streaming {
            let last = choice & 2 != 0
            session.appendBody(id, [UInt8](repeating: 120, count: Int(choice) * 31), ended: last)
            if choice & 4 != 0 { session.reset(id) }
        }
        if choice & 2 != 0 { streaming.removeAll() }
        if choice == 255 { session.goAway() }
    }
}

@_cdecl("HTTP2Fuzz_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzHTTP2(data!, size) }
}
