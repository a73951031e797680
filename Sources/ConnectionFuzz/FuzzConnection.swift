import ApusHTTP
import FuzzDriver

/// libFuzzer entry point (`make fuzz-connection`): a connection as `HTTPConnection` drives it —
/// the request decoder and `ConnectionStateMachine` — under a script of events read from the
/// input: request bytes in reads of any size, responses (kept alive or last, streamed or
/// whole), clock ticks, writes draining, the peer closing, the server draining. Checked on
/// every input:
/// - nothing crashes, whatever the order of events;
/// - one request at a time: nothing is dispatched while a response is owed, and responses come
///   back in the order requests went out;
/// - a closed connection stays closed and does nothing more;
/// - no connection lives forever: unless its responder owes a response, a long enough wait
///   with nothing written ends it;
/// - the input held is bounded: the socket is read (as `HTTPConnection.readSocketIfRoom` reads
///   it) only while no more than the pipeline limit is held, so whatever a client pipelines,
///   the decoder never holds more than the limit and one read. The peer's EOF can come at any
///   point of the script.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConnection(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var script = Script(UnsafeBufferPointer(start: data, count: size))
    var connection = SimulatedConnection()
    while let operation = script.next() {
        connection.perform(operation, &script)
    }
    connection.checkItEnds()
    return 0
}

/// The input, read as operations and their arguments.
struct Script {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func next() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func number(_ limit: Int) -> Int {
        Int(next() ?? 0) % max(limit, 1)
    }

    /// Request bytes: a few whole requests of the shapes that matter, or raw input bytes.
    mutating func requestBytes() -> [UInt8] {
        let shapes = [
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET / HTTP/1.0\r\n\r\n",
            "BAD\r\n\r\n",
        ]
        let choice = number(shapes.count + 2)
        if choice == shapes.count + 1 {
            // A burst of pipelined requests, up to a few hundred KiB: past the pipeline limit.
            let whole = Array(shapes[number(3)].utf8)
            return Array([[UInt8]](repeating: whole, count: 1 + number(256) * 16).joined())
        }
        if choice < shapes.count {
            let whole = Array(shapes[choice].utf8)
            // Part of it, to split reads anywhere.
            return Array(whole[..<(1 + number(whole.count))])
        }
        var raw: [UInt8] = []
        for _ in 0..<number(16) { raw.append(next() ?? 0) }
        return raw
    }
}

final class FuzzClock: MillisecondClock {
    var now: UInt64 = 1_000
}

/// The shell around the machine, as `HTTPConnection` is, with the socket and the responder
/// simulated.
struct SimulatedConnection {
    typealias Machine = ConnectionStateMachine<FuzzClock, Int, Int>

    let clock = FuzzClock()
    let limits: HTTPLimits
    var machine: Machine
    var decoder: HTTPRequestDecoder
    /// Bytes queued for the client and not yet written.
    var queued = 0
    var nextRequest = 0
    var lastAnswered = -1
    var pendingKeepAlive = true
    var closed = false
    var draining = false
    /// The socket is being read (the simulated client's bytes reach the decoder).
    var socketReading = true
    /// The largest read `Script.requestBytes` makes (a burst of 4,081 of the longest of the
    /// first three shapes).
    static let largestRead = 4_081 * 64

    init() {
        var limits = HTTPLimits()
        limits.headTimeoutMilliseconds = 10_000
        limits.keepAliveTimeoutMilliseconds = 5_000
        limits.writeTimeoutMilliseconds = 30_000
        limits.maxBodyBytes = 1_024
        self.limits = limits
        machine = Machine(clock: clock, limits: limits)
        decoder = HTTPRequestDecoder(limits: limits)
    }

    mutating func perform(_ operation: UInt8, _ script: inout Script) {
        if closed {
            // A closed connection ignores everything and stays closed.
            let bytes = script.requestBytes()
            precondition(machine.bytesArrived(readingBody: false, buffered: bytes.count) == .ignore)
            precondition(machine.close() == nil && machine.isClosed)
            precondition(machine.deadline(queued: queued, betweenRequests: true, streamingBody: false) == .none)
            return
        }
        switch operation % 8 {
        case 0, 1:
            read(script.requestBytes())
        case 2:
            respond(keepAliveWanted: script.number(4) != 0, streamed: script.number(3) == 0, size: script.number(200_000))
        case 3:
            clock.now += UInt64(script.number(256)) * 100
            expire()
        case 4:
            // The socket wrote some or all of what was queued.
            queued = script.number(2) == 0 ? 0 : queued / 2
            machine.writesDrained(queued: queued, nextRequestStarted: !decoder.isBetweenRequests)
            if machine.resumeReading(pendingWrites: queued, highWater: 65_536) {
                readSocketIfRoom()
                processRequests()
                readSocketIfRoom()
            }
            if queued == 0, machine.isLingering { machine.shutdownCompleted() }
        case 5:
            machine.peerClosing()
            if machine.peerEnded(failed: script.number(4) == 0, pendingWrites: queued) == .close { close() }
        case 6:
            draining = true
            if machine.drainRequested(betweenRequests: decoder.isBetweenRequests) { close() }
        default:
            // The shell stops reading when too much is queued for the client.
            if queued > 65_536, machine.pauseReading() {
                precondition(!machine.takesRequests)
                socketReading = false
            }
        }
    }

    private mutating func read(_ bytes: [UInt8]) {
        guard socketReading || machine.isLingering else { return }  // the bytes wait in the kernel
        let action = machine.bytesArrived(
            readingBody: decoder.isReadingBody, buffered: decoder.bufferedByteCount + bytes.count)
        guard case .process(let pause) = action else { return }
        if pause { socketReading = false }
        bytes.withUnsafeBytes { decoder.feed($0) }
        processRequests()
        startLinger()
        readSocketIfRoom()
        precondition(decoder.bufferedByteCount <= Machine.pipelineBufferLimit + Self.largestRead,
                     "\(decoder.bufferedByteCount) bytes of input held, past the pipeline limit")
    }

    private mutating func readSocketIfRoom() {
        guard !machine.readingPaused, !machine.isLingering, !machine.isClosed,
              decoder.bufferedByteCount <= Machine.pipelineBufferLimit else { return }
        socketReading = true
    }

    private mutating func processRequests() {
        while machine.takesRequests {
            do {
                guard let event = try decoder.next() else { return }
                switch event {
                case .head(let head):
                    machine.headArrived()
                    pendingKeepAlive = head.keepAlive
                case .body:
                    guard case .reading = machine.state else { preconditionFailure("dispatch while a response is owed") }
                    machine.dispatched(nextRequest)
                    nextRequest += 1
                    precondition(!machine.takesRequests, "a second request taken while one is owed")
                }
            } catch {
                // Rejected: the error response is the last.
                queued += 100
                machine.finishing(queued: queued)
                decoder = HTTPRequestDecoder(limits: limits)
                return
            }
        }
    }

    private mutating func respond(keepAliveWanted: Bool, streamed: Bool, size: Int) {
        guard case .responding(let request) = machine.state else { return }
        precondition(request == lastAnswered + 1, "responses out of order")
        lastAnswered = request
        if streamed {
            machine.streamStarted(request)
            queued += size
            machine.streamWaiting(queued: queued)
            machine.responderResumed()
        } else {
            queued += size
        }
        let keepAlive = keepAliveWanted && machine.mayKeepAlive(requested: pendingKeepAlive, draining: draining)
        switch machine.responseQueued(keepAlive: keepAlive, queued: queued) {
        case .readNext:
            if machine.resumeReading(pendingWrites: queued, highWater: 65_536) || machine.takesRequests {
                readSocketIfRoom()
                processRequests()
                readSocketIfRoom()
            }
        case .finish:
            decoder = HTTPRequestDecoder(limits: limits)
        }
        startLinger()
    }

    private mutating func startLinger() {
        _ = machine.startLinger()
    }

    private mutating func expire() {
        switch machine.deadline(queued: queued, betweenRequests: decoder.isBetweenRequests, streamingBody: false) {
        case .none:
            break
        case .close:
            close()
        case .headTimeout, .bodyTimeout:
            queued += 100
            machine.finishing(queued: queued)
            decoder = HTTPRequestDecoder(limits: limits)
            startLinger()
        }
    }

    private mutating func close() {
        precondition(machine.close() != nil)
        closed = true
    }

    /// Liveness: unless a response is owed, waiting long enough with nothing written ends the
    /// connection (through a timeout, then the linger).
    mutating func checkItEnds() {
        for _ in 0..<4 {
            if closed { return }
            if case .responding = machine.state { return }
            clock.now += 10 * 60 * 1_000
            expire()
            if machine.isLingering, queued == 0 { machine.shutdownCompleted() }
        }
        precondition(closed, "a connection outlived every timeout in state \(machine.state)")
    }
}

@_cdecl("ConnectionFuzz_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzConnection(data!, size) }
}
