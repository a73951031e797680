/// Reads the JSON of a worker's frames. Frames are small and their shape is the server's own
/// (see `WorkerMessage`), so one pass over the bytes into a plain tree costs a fraction of a
/// `Decodable` decoder's reflection, on a path every request of a worker function takes.
enum JSON: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    static func parse(_ bytes: [UInt8]) throws(FrameError) -> JSON {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.at == bytes.count else { throw FrameError(description: "text after the JSON value") }
        return value
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0
        /// Deeper nesting than any reply needs is refused rather than followed down the stack.
        static let maxDepth = 64

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
        }

        func failure(_ what: String) -> FrameError { FrameError(description: "\(what) at byte \(at) of a frame") }

        mutating func value(depth: Int) throws(FrameError) -> JSON {
            guard depth < Self.maxDepth else { throw failure("JSON nested too deep") }
            skipSpace()
            guard at < bytes.count else { throw failure("the end of the JSON") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                at += 1
                var object: [String: JSON] = [:]
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(object) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw failure("no ':'") }
                    at += 1
                    object[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard at < bytes.count else { throw failure("an unterminated object") }
                    if bytes[at] == UInt8(ascii: "}") { at += 1; return .object(object) }
                    guard bytes[at] == UInt8(ascii: ",") else { throw failure("no ',' or '}'") }
                    at += 1
                }
            case UInt8(ascii: "["):
                at += 1
                var array: [JSON] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(array) }
                while true {
                    array.append(try value(depth: depth + 1))
                    skipSpace()
                    guard at < bytes.count else { throw failure("an unterminated array") }
                    if bytes[at] == UInt8(ascii: "]") { at += 1; return .array(array) }
                    guard bytes[at] == UInt8(ascii: ",") else { throw failure("no ',' or ']'") }
                    at += 1
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "n"): try word("null"); return .null
            default:
                let start = at
                while at < bytes.count, Self.isNumberByte(bytes[at]) { at += 1 }
                guard at > start, let number = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else {
                    throw failure("not a JSON value")
                }
                return .number(number)
            }
        }

        private static func isNumberByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
        }

        private mutating func word(_ text: StaticString) throws(FrameError) {
            let count = text.utf8CodeUnitCount
            guard at + count <= bytes.count,
                  text.withUTF8Buffer({ Array($0) == Array(bytes[at..<(at + count)]) }) else { throw failure("not a JSON value") }
            at += count
        }

        mutating func string() throws(FrameError) -> String {
            guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw failure("no string") }
            at += 1
            let start = at
            // The common case, no escapes: the bytes are the string.
            while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") { at += 1 }
            guard at < bytes.count else { throw failure("an unterminated string") }
            if bytes[at] == UInt8(ascii: "\"") {
                at += 1
                return String(decoding: bytes[start..<(at - 1)], as: UTF8.self)
            }
            var text = Array(bytes[start..<at])
            while at < bytes.count {
                let byte = bytes[at]
                at += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: text, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard at < bytes.count else { throw failure("an unterminated escape") }
                    let escape = bytes[at]
                    at += 1
                    switch escape {
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar), at + 1 < bytes.count,
                           bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                            at += 2
                            let low = try hex4()
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                        }
                        text.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                    default: text.append(escape)
                    }
                default:
                    text.append(byte)
                }
            }
            throw failure("an unterminated string")
        }

        private mutating func hex4() throws(FrameError) -> UInt32 {
            guard at + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[at..<(at + 4)], as: UTF8.self), radix: 16) else {
                throw failure("a bad \\u escape")
            }
            at += 4
            return value
        }
    }
}
