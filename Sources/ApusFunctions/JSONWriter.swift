/// Appends JSON to a byte buffer: the event a worker gets is written field by field, which
/// costs a fraction of an encoder's reflection for a shape that never changes.
struct JSONWriter {
    private(set) var output: [UInt8] = []

    init(capacity: Int) {
        output.reserveCapacity(capacity)
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        output.append(contentsOf: text.utf8)
    }

    mutating func bytes(_ bytes: [UInt8]) {
        output.append(contentsOf: bytes)
    }

    /// A string literal: quotes, backslashes and control characters escaped, the rest as UTF-8.
    mutating func string(_ text: String) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): output.append(contentsOf: [92, 92])
            case 0x0A: output.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    mutating func optionalString(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    mutating func object<Value>(_ values: [String: Value], _ write: (inout JSONWriter, Value) -> Void) {
        output.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in values {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            string(key)
            output.append(UInt8(ascii: ":"))
            write(&self, value)
        }
        output.append(UInt8(ascii: "}"))
    }

    mutating func array<Value>(_ values: [Value], _ write: (inout JSONWriter, Value) -> Void) {
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            write(&self, value)
        }
        output.append(UInt8(ascii: "]"))
    }
}
