public import ApusHTTP

/// A response's header fields with the semantics of Starlette's `MutableHeaders` over an ASGI
/// message's raw list, so that native middleware leaves fields in exactly the order and
/// spelling Starlette's would: names are matched as given (Starlette's responses keep them
/// lower-cased), `set` replaces the first field of a name in place and drops the others, or
/// appends.
public struct HeaderList: Sendable {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    public init(_ headers: HTTPHeaders) {
        fields = headers.fields
    }

    public var headers: HTTPHeaders { HTTPHeaders(fields) }

    /// The first value of `name` (given lower-case).
    public func first(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }

    public func contains(_ name: String) -> Bool { first(name) != nil }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { $0.name == name }.map(\.value)
    }

    /// `headers[name] = value`.
    public mutating func set(_ name: String, _ value: String) {
        guard let first = fields.firstIndex(where: { $0.name == name }) else {
            fields.append((name, value))
            return
        }
        fields[first] = (name, value)
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if fields[index].name == name { fields.remove(at: index) } else { index += 1 }
        }
    }

    /// `del headers[name]`.
    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name == name }
    }

    /// `", ".join([*headers.getlist(name), value])` set as the field's one value: how
    /// Starlette adds to `Vary`.
    public mutating func append(toList name: String, _ value: String) {
        set(name, (values(name) + [value]).joined(separator: ", "))
    }
}
