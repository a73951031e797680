/// `application/x-www-form-urlencoded` pairs of a query string, as Starlette reads them
/// (`parse_qsl(keep_blank_values=True)`): "+" is a space, %XX is decoded, order is kept.
enum QueryString {
    static func parse(_ query: String) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        var pairs: [(String, String)] = []
        for part in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = part.firstIndex(of: UInt8(ascii: "="))
            let name = equals.map { part[part.startIndex..<$0] } ?? part[...]
            let value = equals.map { part[part.index(after: $0)...] } ?? part[part.endIndex...]
            pairs.append((decode(name), decode(value)))
        }
        return pairs
    }

    private static func decode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(Substring(bytes))
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), bytes.distance(from: i, to: bytes.endIndex) >= 3,
                      let high = hex(bytes[bytes.index(i, offsetBy: 1)]), let low = hex(bytes[bytes.index(i, offsetBy: 2)]) {
                out.append(high << 4 | low)
                i = bytes.index(i, offsetBy: 3)
                continue
            } else {
                out.append(byte)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
