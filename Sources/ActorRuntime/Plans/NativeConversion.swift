/// The happy path of argument conversion, without pydantic: plain decimal integers and
/// floats, the boolean words pydantic accepts, and strings. Anything else returns nil and goes
/// to pydantic, which either accepts it too or produces the exact 422 error.
enum NativeConversion {
    static func convert(_ raw: String, _ kind: RoutePlan.Kind, _ gil: borrowing GIL) throws(PythonError) -> PyOwned? {
        switch kind {
        case .str:
            return try gil.str(raw)
        case .int:
            guard isPlainInteger(raw), let value = Int(raw) else { return nil }
            return try gil.int(value)
        case .float:
            guard isPlainDecimal(raw), let value = Double(raw) else { return nil }
            return try gil.float(value)
        case .bool:
            switch raw.lowercased() {
            case "true", "1", "yes", "on", "t", "y": return gil.bool(true)
            case "false", "0", "no", "off", "f", "n": return gil.bool(false)
            default: return nil
            }
        case .other, .model:
            return nil
        }
    }

    /// -?[0-9]{1,18}: always fits an Int, never needs pydantic's rules for signs or spaces.
    static func isPlainInteger(_ raw: String) -> Bool {
        var digits = raw.utf8[...]
        if digits.first == UInt8(ascii: "-") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.count <= 18 && digits.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// -?[0-9]+(.[0-9]+)?
    static func isPlainDecimal(_ raw: String) -> Bool {
        var text = raw.utf8[...]
        if text.first == UInt8(ascii: "-") { text = text.dropFirst() }
        let parts = text.split(separator: UInt8(ascii: "."), maxSplits: 1, omittingEmptySubsequences: false)
        return !text.isEmpty && text.count <= 30 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        }
    }
}
