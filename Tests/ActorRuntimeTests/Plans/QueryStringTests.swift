@testable import ActorRuntime
@testable import ApusHTTP
@testable import ApusLoop
import Testing

@Suite struct QueryStringTests {
    @Test func parsesLikeParseQslWithBlankValues() {
        let pairs = QueryString.parse("a=1&b=x+y%21&a=2&empty=&flag&=v&&%zz=%4")
        #expect(pairs.map(\.name) == ["a", "b", "a", "empty", "flag", "", "%zz"])
        #expect(pairs.map(\.value) == ["1", "x y!", "2", "", "", "v", "%4"])
    }

    @Test func emptyQuery() {
        #expect(QueryString.parse("").isEmpty)
    }

    @Test func utf8Escapes() {
        #expect(QueryString.parse("q=caf%C3%A9").first?.value == "café")
    }
}

@Suite struct NativeConversionTests {
    @Test(arguments: ["0", "42", "-7", "123456789012345678"])
    func plainIntegers(_ text: String) {
        #expect(NativeConversion.isPlainInteger(text))
    }

    /// Everything else goes to pydantic, which knows its own rules for these.
    @Test(arguments: ["", "-", "+5", " 5", "5 ", "1_000", "1.0", "0x10", "1234567890123456789"])
    func notPlainIntegers(_ text: String) {
        #expect(!NativeConversion.isPlainInteger(text))
    }

    @Test(arguments: ["0", "1.5", "-2.25", "10"])
    func plainDecimals(_ text: String) {
        #expect(NativeConversion.isPlainDecimal(text))
    }

    @Test(arguments: ["", ".5", "5.", "1e3", "inf", "nan", "1.2.3", "-"])
    func notPlainDecimals(_ text: String) {
        #expect(!NativeConversion.isPlainDecimal(text))
    }
}
