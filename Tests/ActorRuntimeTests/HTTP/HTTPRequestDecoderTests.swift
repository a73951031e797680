@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Foundation
import Testing

/// Decodes `raw`, fed in pieces of `step` bytes; returns (head, body) pairs or the error.
private func decode(_ raw: String, step: Int = .max, limits: HTTPLimits = HTTPLimits())
    -> (messages: [(HTTPRequestHead, [UInt8])], error: HTTPParseError?)
{
    decode(bytes: Array(raw.utf8), step: step, limits: limits)
}

private func decode(bytes: [UInt8], step: Int = .max, limits: HTTPLimits = HTTPLimits())
    -> (messages: [(HTTPRequestHead, [UInt8])], error: HTTPParseError?)
{
    var decoder = HTTPRequestDecoder(limits: limits)
    var messages: [(HTTPRequestHead, [UInt8])] = []
    var head: HTTPRequestHead?
    var offset = 0
    repeat {
        let end = min(bytes.count, offset + max(1, min(step, bytes.count)))
        bytes[offset..<end].withUnsafeBytes { decoder.feed($0) }
        offset = end
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let parsed): head = parsed
                case .body(let body): messages.append((head!, body)); head = nil
                }
            }
        } catch {
            return (messages, error)
        }
    } while offset < bytes.count
    return (messages, nil)
}

@Suite struct HTTPRequestDecoderTests {
    @Test func simpleGet() throws {
        let (messages, error) = decode("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Thing:  spaced value \t\r\n\r\n")
        #expect(error == nil)
        let (head, body) = try #require(messages.first)
        #expect(head.method == "GET")
        #expect(head.target == "/a?b=1")
        #expect(head.version == .http1_1)
        #expect(head.keepAlive)
        #expect(head.headers["x-thing"] == "spaced value")
        #expect(head.headers["HOST"] == "x")
        #expect(body.isEmpty)
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func pipelinedMessagesFedInPieces(step: Int) {
        let raw = "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n"
            + "\r\nGET /z HTTP/1.0\r\n\r\n"
        let (messages, error) = decode(raw, step: step)
        #expect(error == nil)
        #expect(messages.map(\.0.target) == ["/e", "/c", "/z"])
        #expect(messages.map { String(decoding: $0.1, as: UTF8.self) } == ["hello", "abcde", ""])
        #expect(messages[2].0.keepAlive == false)
    }

    @Test func connectionTokens() {
        #expect(decode("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n").messages[0].0.keepAlive == false)
        #expect(decode("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").messages[0].0.keepAlive)
        #expect(decode("GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n").messages[0].0.expectsContinue)
    }

    @Test func obsTextIsKeptAsLatin1() {
        var bytes = Array("GET / HTTP/1.1\r\nHost: x\r\nX: caf".utf8)
        bytes += [0xE9]
        bytes += Array("\r\n\r\n".utf8)
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        bytes.withUnsafeBytes { decoder.feed($0) }
        guard case .head(let head)? = try? decoder.next() else {
            Issue.record("no head")
            return
        }
        #expect(head.headers["x"] == "caf\u{E9}")
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ,chunked\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\na\r\n0\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\rX", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", 413),
        ("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000001\r\n", 400),
        ("GET / HTTP/1.9\r\nHost: x\r\n\r\n", 505),
        ("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400),
        ("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: x\r\nX\t: y\r\n\r\n", 400),
    ] as [(String, Int)])
    func rejections(raw: String, status: Int) {
        #expect(decode(raw).error?.status == status)
        #expect(decode(raw, step: 1).error?.status == status)
    }

    @Test func headLimitCountsEveryByte() {
        var limits = HTTPLimits()
        limits.maxHeadBytes = 64
        let raw = "GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 80)
        #expect(decode(raw, limits: limits).error?.status == 431)
        #expect(decode(raw, step: 5, limits: limits).error?.status == 431)
    }

    @Test func chunkedBodyLimit() {
        var limits = HTTPLimits()
        limits.maxBodyBytes = 8
        let raw = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nabcde\r\n0\r\n\r\n"
        #expect(decode(raw, limits: limits).error?.status == 413)
    }

    @Test func incompleteMessageWaits() {
        let (messages, error) = decode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        #expect(messages.isEmpty && error == nil)
    }
}

@Suite struct RequestTargetTests {
    @Test func splits() {
        #expect(RequestTarget.split("/a/b?x=1&y=2") == ("/a/b", "x=1&y=2"))
        #expect(RequestTarget.split("/a%20b%2Fc") == ("/a b/c", ""))
        #expect(RequestTarget.split("http://example.com/p?q") == ("/p", "q"))
        #expect(RequestTarget.split("http://example.com") == ("/", ""))
        #expect(RequestTarget.split("/x#frag") == ("/x", ""))
        #expect(RequestTarget.split("/bad%zz") == ("/bad%zz", ""))
    }

    @Test func dateFormat() {
        #expect(ResponseEncoder.httpDate(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }
}

/// Inputs the fuzzer once found: the outcome must not depend on how bytes are split into reads.
@Suite struct FuzzRegressionTests {
    static let inputs: [String] = {
        let folder = #filePath.split(separator: "/").dropLast(3).joined(separator: "/") + "/fuzz-regressions"
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/" + folder)) ?? []).map { "/\(folder)/\($0)" }
    }()

    @Test func regressionsAreKept() {
        #expect(!Self.inputs.isEmpty)
    }

    @Test(arguments: inputs)
    func outcomeIndependentOfReadBoundaries(path: String) throws {
        let data = try #require(FileManager.default.contents(atPath: path))
        let raw = [UInt8](data)
        var limits = HTTPLimits()
        limits.maxHeadBytes = 1024
        limits.maxHeaderCount = 20
        limits.maxBodyBytes = 2048
        let whole = decode(bytes: raw, limits: limits)
        for step in [1, 2, 7] {
            let split = decode(bytes: raw, step: step, limits: limits)
            #expect(split.error == whole.error)
            #expect(split.messages.map(\.1) == whole.messages.map(\.1))
        }
    }
}
