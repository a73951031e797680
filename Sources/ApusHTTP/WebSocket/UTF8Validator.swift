/// Checks UTF-8 as it arrives, piece by piece (RFC 3629): a text message split across frames
/// is checked frame by frame, so an invalid one is refused as soon as the bad byte arrives, not
/// once the whole message is in (RFC 6455 §8.1).
struct UTF8Validator {
    /// Continuation bytes still expected for the character in progress.
    private var remaining = 0
    /// The range the next continuation byte must be in (narrower after E0, ED, F0 and F4, which
    /// exclude overlong forms, surrogates and code points past U+10FFFF).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    /// False at the first byte that cannot be UTF-8 (the validator is then spent).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if remaining == 0 {
                if byte < 0x80 { continue }
                switch byte {
                case 0xC2...0xDF: remaining = 1
                case 0xE0: (remaining, lower) = (2, 0xA0)
                case 0xE1...0xEC, 0xEE...0xEF: remaining = 2
                case 0xED: (remaining, upper) = (2, 0x9F)
                case 0xF0: (remaining, lower) = (3, 0x90)
                case 0xF1...0xF3: remaining = 3
                case 0xF4: (remaining, upper) = (3, 0x8F)
                default: return false
                }
            } else {
                guard byte >= lower && byte <= upper else { return false }
                remaining -= 1
                (lower, upper) = (0x80, 0xBF)
            }
        }
        return true
    }

    mutating func feed(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// No character is left unfinished.
    var isComplete: Bool { remaining == 0 }

    static func isValid(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.feed(bytes) && validator.isComplete
    }
}
