/// Bytes read as ISO-8859-1, every byte one character, as ASGI reads header bytes: no byte is
/// lost, and ASCII (nearly every header) takes the fast UTF-8 path.
package enum Latin1 {
    package static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var text = ""
        text.unicodeScalars.reserveCapacity(bytes.count)
        for byte in bytes { text.unicodeScalars.append(Unicode.Scalar(byte)) }
        return text
    }

    /// The other way: calls `body` with the bytes of `text`, whose characters are all below
    /// U+0100, one byte each (header text read as Latin-1 becomes the bytes received). ASCII
    /// text is read where it is stored. Not generic, so that callers in other modules pay no
    /// generic metadata lookup per call.
    @inlinable
    package static func withBytes(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if text.withUTF8Bytes({ bytes in bytes.reduce(0, |) < 0x80 }) { return text.withUTF8Bytes(body) }
        text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }.withUnsafeBufferPointer(body)
    }
}

extension String {
    /// Calls `body` with the text's UTF-8 bytes, read where they are stored (a small string is
    /// spilled to the stack): far cheaper, byte by byte, than stepping `utf8`'s indices.
    /// Inlinable, so that each caller gets it specialized (no generic metadata per call).
    @inlinable
    package func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        return try ContiguousArray(utf8).withUnsafeBufferPointer(body)
    }
}
