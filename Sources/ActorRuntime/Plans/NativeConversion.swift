/// Which raw parameter text can be converted without pydantic: plain decimal integers and
/// floats. Anything else goes to pydantic, which either accepts it too or produces the exact
/// 422 error.
enum NativeConversion {
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
