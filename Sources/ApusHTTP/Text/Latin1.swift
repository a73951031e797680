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
}
