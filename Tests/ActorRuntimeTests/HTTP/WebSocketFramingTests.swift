@testable import ApusHTTP
import Testing

/// The WebSocket protocol's pure parts, without sockets: frames in pieces, masking, the
/// message rules, UTF-8 checked as it arrives, and the handshake's accept value.
@Suite struct WebSocketFramingTests {
    /// A client frame: masked with `key`.
    private func frame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, key: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        if payload.count < 126 {
            bytes.append(0x80 | UInt8(payload.count))
        } else {
            bytes += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        bytes += key
        bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        return bytes
    }

    @Test func aFrameArrivingByteByByteIsUnmaskedWhole() throws {
        var decoder = WebSocketFrameDecoder(maxMessageBytes: 1 << 20)
        let payload = Array("a payload longer than eight bytes, to unmask by words ✓".utf8)
        let bytes = frame(0x1, payload)
        for byte in bytes.dropLast() {
            decoder.feed([byte])
            #expect(try decoder.next() == nil)
        }
        decoder.feed([bytes.last!])
        #expect(try decoder.next() == WebSocketFrame(fin: true, rsv1: false, opcode: .text, payload: payload))
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func framesBreakingTheRulesAreRefusedWithTheirCode() {
        func failure(_ bytes: [UInt8], limit: Int = 100) -> UInt16? {
            var decoder = WebSocketFrameDecoder(maxMessageBytes: limit)
            decoder.feed(bytes)
            do {
                _ = try decoder.next()
                return nil
            } catch {
                return error.code
            }
        }
        #expect(failure([0x81, 0x05] + Array("hello".utf8)) == 1002)  // not masked
        #expect(failure([0xC1, 0x80, 0, 0, 0, 0]) == 1002)  // RSV1 without an extension
        #expect(failure([0x83, 0x80, 0, 0, 0, 0]) == 1002)  // reserved opcode
        #expect(failure([0x09, 0x80, 0, 0, 0, 0]) == 1002)  // fragmented ping
        #expect(failure(frame(0x9, [UInt8](repeating: 0, count: 126))) == 1002)
        // Past the limit from the header alone, before any payload arrives.
        #expect(failure([0x82, 0x80 | 126, 0x01, 0x00]) == 1009)
    }

    @Test func fragmentsMakeOneMessageWithControlFramesBetween() throws {
        var reader = WebSocketMessageReader(maxMessageBytes: 100)
        let check = Array("é".utf8)
        #expect(try reader.take(.init(fin: false, rsv1: false, opcode: .text, payload: Array("caf".utf8) + [check[0]])) == nil)
        #expect(try reader.take(.init(fin: true, rsv1: false, opcode: .ping, payload: [7])) == .ping([7]))
        #expect(try reader.take(.init(fin: true, rsv1: false, opcode: .continuation, payload: [check[1]])) == .text(Array("café".utf8)))
    }

    @Test func messageRulesAreEnforced() {
        func failure(_ frames: [WebSocketFrame], limit: Int = 10) -> UInt16? {
            var reader = WebSocketMessageReader(maxMessageBytes: limit)
            do {
                for frame in frames { _ = try reader.take(frame) }
                return nil
            } catch {
                return error.code
            }
        }
        #expect(failure([.init(fin: true, rsv1: false, opcode: .continuation, payload: [])]) == 1002)
        #expect(failure([.init(fin: false, rsv1: false, opcode: .text, payload: []),
                         .init(fin: true, rsv1: false, opcode: .binary, payload: [])]) == 1002)
        #expect(failure([.init(fin: false, rsv1: false, opcode: .binary, payload: Array(repeating: 0, count: 6)),
                         .init(fin: true, rsv1: false, opcode: .continuation, payload: Array(repeating: 0, count: 6))]) == 1009)
        #expect(failure([.init(fin: true, rsv1: false, opcode: .text, payload: [0xED, 0xA0, 0x80])]) == 1007)
        #expect(failure([.init(fin: false, rsv1: false, opcode: .text, payload: [0xC3]),
                         .init(fin: true, rsv1: false, opcode: .continuation, payload: [0x28])]) == 1007)
        #expect(failure([.init(fin: true, rsv1: false, opcode: .close, payload: [0x03, 0xED])]) == 1002)  // 1005
        #expect(failure([.init(fin: true, rsv1: false, opcode: .close, payload: [0x03])]) == 1002)
        #expect(failure([.init(fin: true, rsv1: false, opcode: .close, payload: [0x03, 0xE8, 0xFF])]) == 1007)
        #expect(failure([.init(fin: true, rsv1: false, opcode: .close, payload: [0x0F, 0xA0])]) == nil)  // 4000
    }

    @Test func utf8IsCheckedPieceByPieceAndRefusesWhatRFC3629Excludes() {
        var split = UTF8Validator()
        #expect(split.feed([0xF0, 0x9F]) && !split.isComplete)
        #expect(split.feed([0x98, 0x80]) && split.isComplete)
        for invalid: [UInt8] in [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x80]] {
            #expect(!UTF8Validator.isValid(invalid))
        }
        #expect(UTF8Validator.isValid(Array("κόσμε ✓ 𝄞".utf8)))
    }

    @Test func theAcceptValueIsRFC6455s() {
        // The example of RFC 6455 §1.3.
        let upgrade = WebSocketUpgrade(key: "dGhlIHNhbXBsZSBub25jZQ==", subprotocols: [], maxMessageBytes: 1, deflate: nil)
        #expect(upgrade.acceptValue == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func serverFramesUseTheShortestLength() {
        var output: [UInt8] = []
        WebSocketFrameEncoder.append(opcode: .binary, payload: [UInt8](repeating: 1, count: 126), to: &output)
        #expect(Array(output.prefix(4)) == [0x82, 126, 0, 126])
        output = []
        WebSocketFrameEncoder.appendClose(code: 1000, reason: String(repeating: "é", count: 70), to: &output)
        #expect(output[1] == 2 + 122)  // 123 bytes would split the 62nd "é"
    }

    @Test func compressionOffersAreNegotiatedAsWebsocketsDoes() {
        #expect(PerMessageDeflate.negotiate(["permessage-deflate"])?.responseValue
            == "permessage-deflate; server_max_window_bits=12")
        #expect(PerMessageDeflate.negotiate(["permessage-deflate; client_max_window_bits"])?.responseValue
            == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12")
        #expect(PerMessageDeflate.negotiate(["permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"])
            == PerMessageDeflate(serverMaxWindowBits: 10, clientMaxWindowBits: 9))
        // Declined: a window zlib cannot make, a value out of range, an unknown or repeated
        // parameter, another extension; the next acceptable offer is taken.
        for refused in ["permessage-deflate; server_max_window_bits=8", "permessage-deflate; client_max_window_bits=16",
                        "permessage-deflate; x=1", "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
                        "permessage-deflate; server_max_window_bits=010", "x-webkit-deflate-frame"] {
            #expect(PerMessageDeflate.negotiate([refused]) == nil, "\(refused)")
        }
        #expect(PerMessageDeflate.negotiate(["permessage-deflate; server_max_window_bits=8, permessage-deflate; client_no_context_takeover"])
            == PerMessageDeflate(clientNoContextTakeover: true))
    }

    @Test func messagesRoundTripThroughTheSessionsStreams() throws {
        let server = MessageCompression(PerMessageDeflate())
        let message = Array(String(repeating: "compress me ✓ ", count: 200).utf8)
        let compressed = try #require(server.compress(message))
        #expect(compressed.count < message.count / 4)
        // The same stream decompresses what it compressed (the client's side, in miniature).
        let client = MessageCompression(PerMessageDeflate(serverMaxWindowBits: 12, clientMaxWindowBits: 12))
        #expect(try client.decompress(compressed, limit: 1 << 20) == message)
        #expect(throws: WebSocketFailure.self) { try client.decompress(compressed, limit: 100) }
    }
}
