internal import ApusPython

/// The messages of an answer from Python to the runtime (`apus._contract`: `Body`, `More`, `File`,
/// `Error`, ...): one named tuple type per kind, told apart here by its type and read by the
/// positions of its fields. Each type's `_fields` are checked against the fields below when the
/// types are first looked up, so a binary and an `apus` package of different versions refuse to
/// serve rather than misread each other.
enum ResponseMessage {
    enum Kind: CaseIterable {
        case body, outerBody, more, file, error, abort, read
        case webSocketAccept, webSocketSend, webSocketClose, webSocketConsumed

        /// The type's name in `apus._contract`, and its fields in order.
        var contract: (name: String, fields: [String]) {
            switch self {
            case .body: ("Body", BodyField.names)
            case .outerBody: ("OuterBody", BodyField.names)
            case .more: ("More", MoreField.names)
            case .file: ("File", FileField.names)
            case .error: ("Error", ErrorField.names)
            case .abort: ("Abort", ["reason"])
            case .read: ("Read", ["waiter"])
            case .webSocketAccept: ("WebSocketAccept", WebSocketAcceptField.names)
            case .webSocketSend: ("WebSocketSend", ["data"])
            case .webSocketClose: ("WebSocketClose", WebSocketCloseField.names)
            case .webSocketConsumed: ("WebSocketConsumed", ["count"])
            }
        }
    }

    /// `Body` and `OuterBody`: the response's head and its first piece of body.
    enum BodyField: Int, MessageField { case status, headers, body, more, waiter }
    /// The next pieces of the body.
    enum MoreField: Int, MessageField { case body, more, waiter }
    /// A whole response whose body is the file at `path`.
    enum FileField: Int, MessageField { case status, headers, path }
    /// The app raised: the exception, its traceback's text, whether its answer was complete.
    enum ErrorField: Int, MessageField { case exception, traceback, answered }
    enum WebSocketAcceptField: Int, MessageField { case subprotocol, headers }
    enum WebSocketCloseField: Int, MessageField { case code, reason }
    /// The one field of `Abort` (`reason`), `Read` (`waiter`), `WebSocketSend` (`data`) and
    /// `WebSocketConsumed` (`count`).
    static let onlyField = 0

    /// Looked up on first use, with the GIL (which orders every use).
    nonisolated(unsafe) private static var types: [(type: PyObjectRef, kind: Kind)]?

    /// The kind of `message`, by its type.
    static func kind(of message: borrowing PyOwned, _ gil: borrowing GIL) throws(PythonError) -> Kind {
        for entry in try lookUp(gil) where gil.hasExactType(message, entry.type) { return entry.kind }
        throw .runtime("a message of a type apus._contract does not name came from the Python side")
    }

    private static func lookUp(_ gil: borrowing GIL) throws(PythonError) -> [(type: PyObjectRef, kind: Kind)] {
        if let types { return types }
        let contract = try gil.importModule("apus._contract")
        var found: [(type: PyObjectRef, kind: Kind)] = []
        for kind in Kind.allCases {
            let (name, fields) = kind.contract
            let type = try gil.attribute(contract, name).share()
            var declared: [String] = []
            for item in try gil.items(try gil.attribute(type, "_fields")) { declared.append(gil.swiftString(item) ?? "?") }
            guard declared == fields else {
                throw .runtime("""
                    the runtime reads apus._contract.\(name) as (\(fields.joined(separator: ", "))) but the apus package \
                    makes it (\(declared.joined(separator: ", "))): the binary and its Python package are of different versions
                    """)
            }
            found.append((type, kind))
        }
        types = found
        return found
    }
}

/// A message type's fields, in order: the case's raw value is its position.
protocol MessageField: RawRepresentable<Int>, CaseIterable {}

extension MessageField {
    static var names: [String] { allCases.map { "\($0)" } }
}

extension GIL {
    /// Field `field` of a message (see `ResponseMessage`).
    func field(_ message: borrowing PyOwned, _ field: some MessageField) throws(PythonError) -> PyOwned {
        try tupleItem(message, field.rawValue)
    }
}
