/// Header fields in arrival order. Request header names are lower-cased by the parser (as in
/// ASGI), so lookups compare names exactly after lower-casing the key.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public var count: Int { fields.count }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// The first value for `name` (case-insensitive).
    public subscript(name: String) -> String? {
        for field in fields where field.name.equalsIgnoringASCIICase(name) { return field.value }
        return nil
    }

    /// Every value for `name` (case-insensitive), in order.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func removeAll(where shouldRemove: ((name: String, value: String)) -> Bool) {
        fields.removeAll(where: shouldRemove)
    }

    /// Takes out the fields of a handler's response that the server owns — `transfer-encoding`
    /// and `connection` — in one pass; returns the `content-length` values (which stay) and
    /// whether a `connection` field asked to close.
    mutating func takeFramingFields() -> (lengths: [String], closeAsked: Bool) {
        var lengths: [String] = []
        var closeAsked = false
        fields.removeAll { field in
            if field.name.equalsIgnoringASCIICase("content-length") {
                lengths.append(field.value)
                return false
            }
            if field.name.equalsIgnoringASCIICase("transfer-encoding") { return true }
            guard field.name.equalsIgnoringASCIICase("connection") else { return false }
            if field.value.split(separator: ",").contains(where: { $0.trimmingWhitespace().equalsIgnoringASCIICase("close") }) {
                closeAsked = true
            }
            return true
        }
        return (lengths, closeAsked)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

extension String {
    /// Header names and tokens are ASCII; compares the two texts' UTF-8 storage in place,
    /// without lower-cased copies.
    func equalsIgnoringASCIICase(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        return withUTF8Bytes { mine in
            other.withUTF8Bytes { theirs in
                for index in 0..<mine.count where mine[index] != theirs[index] {
                    let folded = mine[index] | 0x20
                    guard folded == theirs[index] | 0x20, folded >= UInt8(ascii: "a"), folded <= UInt8(ascii: "z") else {
                        return false
                    }
                }
                return true
            }
        }
    }
}
