@testable import ApusWorkers
import Testing

/// The worker protocol's frames and messages, without processes.
@Suite struct WorkerProtocolTests {
    private func feed(_ decoder: inout FrameDecoder, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { decoder.feed($0) }
    }

    @Test func framesComeOutWholeHoweverTheBytesWereSplit() throws {
        let frames = Frame.encode(Array("{\"a\":1}".utf8)) + Frame.encode(Array("{}".utf8), Array("x".utf8))
        for split in 0...frames.count {
            var decoder = FrameDecoder()
            var out: [[UInt8]] = []
            feed(&decoder, Array(frames[..<split]))
            while let frame = try decoder.next() { out.append(frame) }
            feed(&decoder, Array(frames[split...]))
            while let frame = try decoder.next() { out.append(frame) }
            #expect(out == [Array("{\"a\":1}".utf8), Array("{}x".utf8)])
        }
    }

    @Test func aFrameLongerThanTheLimitIsAnError() {
        var decoder = FrameDecoder()
        feed(&decoder, [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(throws: FrameError.self) { try decoder.next() }
    }

    @Test func aReplyCarriesStatusHeadersAndBody() throws {
        let message = try WorkerMessage.decode(Array(#"""
            {"id": 7, "status": 201, "headers": {"X-B": ["1", "2"], "a": "x\u00e9\"y", "n": 5}, "body": "h\u00e9llo\n"}
            """#.utf8))
        #expect(message.id == 7)
        guard case .reply(let reply) = try message.reply() else { Issue.record("not a reply"); return }
        #expect(reply.status == 201)
        #expect(reply.headers.map { "\($0.name)=\($0.value)" } == ["X-B=1", "X-B=2", "a=xé\"y", "n=5"])
        #expect(reply.body == Array("héllo\n".utf8))
    }

    @Test func binaryBodiesAndHandlerErrors() throws {
        let binary = try WorkerMessage.decode(Array(#"{"id":1,"body":"AAEC/w==","is_base64":true}"#.utf8))
        guard case .reply(let reply) = try binary.reply() else { Issue.record("not a reply"); return }
        #expect(reply.status == 200 && reply.body == [0, 1, 2, 255])
        let failed = try WorkerMessage.decode(Array(#"{"id":2,"error":"Error: boom\n    at handler (x.js:1)"}"#.utf8))
        guard case .failed(let status, let error, let detail) = try failed.reply() else { Issue.record("not a failure"); return }
        #expect(status == 500 && error == "internal server error" && detail == "Error: boom")
    }

    @Test(arguments: ["", "{", "{\"id\":}", "[1,", "nul", "{\"a\":1} x", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)])
    func garbageIsAFrameError(_ text: String) {
        #expect(throws: FrameError.self) { try WorkerMessage.decode(Array(text.utf8)) }
    }

    @Test func aReplyWithAnImpossibleStatusIsAnError() throws {
        let message = try WorkerMessage.decode(Array(#"{"id":1,"status":42}"#.utf8))
        #expect(throws: FrameError.self) { try message.reply() }
    }
}
