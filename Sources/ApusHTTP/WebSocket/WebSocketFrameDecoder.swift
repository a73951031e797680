/// Turns a client's bytes into frames (RFC 6455 §5.2), checking what a frame alone can break:
/// reserved bits, unknown opcodes, an unmasked frame, a control frame fragmented or longer
/// than 125 bytes, a length past the message limit (refused from the header, before the
/// payload is buffered). Pure: no I/O.
struct WebSocketFrameDecoder {
    /// Bytes a message (and so a frame) may hold.
    let maxMessageBytes: Int
    /// RSV1 may be set (permessage-deflate was negotiated).
    let compressionAllowed: Bool
    private var buffer: [UInt8] = []
    private var readIndex = 0

    init(maxMessageBytes: Int, compressionAllowed: Bool = false) {
        self.maxMessageBytes = maxMessageBytes
        self.compressionAllowed = compressionAllowed
    }

    var bufferedByteCount: Int { buffer.count - readIndex }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// The next whole frame, or nil until more bytes arrive.
    mutating func next() throws(WebSocketFailure) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let first = buffer[readIndex]
        let second = buffer[readIndex + 1]
        let fin = first & 0x80 != 0
        let rsv1 = first & 0x40 != 0
        guard first & 0x30 == 0 else { throw .protocolError("reserved bits set") }
        guard let opcode = WebSocketFrame.Opcode(rawValue: first & 0x0F) else {
            throw .protocolError("unknown opcode \(first & 0x0F)")
        }
        if rsv1 && (!compressionAllowed || opcode.isControl) {
            throw .protocolError("RSV1 set without a negotiated compression")
        }
        guard second & 0x80 != 0 else { throw .protocolError("a client frame must be masked") }
        var length = UInt64(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(buffer[readIndex + 2]) << 8 | UInt64(buffer[readIndex + 3])
            headerLength = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for offset in 2..<10 { length = length << 8 | UInt64(buffer[readIndex + offset]) }
            guard length >> 63 == 0 else { throw .protocolError("frame length has its top bit set") }
            headerLength = 10
        }
        if opcode.isControl {
            guard fin else { throw .protocolError("fragmented control frame") }
            guard length <= 125 else { throw .protocolError("control frame longer than 125 bytes") }
        } else if length > UInt64(maxMessageBytes) {
            throw .tooBig("frame of \(length) bytes, past the message limit of \(maxMessageBytes)")
        }
        let total = headerLength + 4 + Int(length)
        guard available >= total else { return nil }
        let maskStart = readIndex + headerLength
        let payloadStart = maskStart + 4
        var payload = Array(buffer[payloadStart..<(payloadStart + Int(length))])
        let mask = (buffer[maskStart], buffer[maskStart + 1], buffer[maskStart + 2], buffer[maskStart + 3])
        Self.unmask(&payload, mask)
        readIndex += total
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        }
        return WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: payload)
    }

    /// XORs the payload with the 4-byte key, eight bytes at a time.
    private static func unmask(_ payload: inout [UInt8], _ key: (UInt8, UInt8, UInt8, UInt8)) {
        let keyBytes = [key.0, key.1, key.2, key.3]
        payload.withUnsafeMutableBytes { raw in
            let count = raw.count
            var index = 0
            if count >= 8 {
                var word: UInt64 = 0
                withUnsafeMutableBytes(of: &word) { w in
                    for offset in 0..<8 { w[offset] = keyBytes[offset & 3] }
                }
                while index + 8 <= count {
                    let value = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ word
                    raw.storeBytes(of: value, toByteOffset: index, as: UInt64.self)
                    index += 8
                }
            }
            while index < count {
                raw[index] ^= keyBytes[index & 3]
                index += 1
            }
        }
    }
}
