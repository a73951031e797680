/// Decodes `Transfer-Encoding: chunked` incrementally: byte by byte through chunk headers and
/// trailers, by whole runs through chunk data. Chunk extensions and trailer fields are checked
/// for well-formedness and then dropped.
struct ChunkedBodyDecoder {
    private enum State {
        case size
        case extensionBytes
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailerLineStart
        case trailerName
        case trailerValue
        case trailerLF
        case finalLF
        case done
    }

    private var state = State.size
    private var chunkSize = 0
    private var sizeDigits = 0
    private var trailerBytes = 0
    private var inTrailers = false
    /// Chunk-extension bytes so far, in this body: capped, so the body limit bounds what is read.
    private var extensionBytes = 0

    /// The most chunk-extension bytes a body may carry (llhttp and Node cap them the same way,
    /// after CVE-2024-22019).
    static let maxExtensionBytes = 16 * 1024

    var isDone: Bool { if case .done = state { true } else { false } }

    /// Consumes as much of `input` as it can, appending chunk data to `body`. Returns how many
    /// bytes were consumed; stops right after the final CRLF of the message.
    mutating func decode(
        _ input: UnsafeRawBufferPointer, into body: inout [UInt8], limits: HTTPLimits
    ) throws(HTTPParseError) -> Int {
        var i = 0
        while i < input.count {
            let byte = input[i]
            switch state {
            case .size:
                if let digit = HTTPBytes.hexValue(byte) {
                    guard sizeDigits < 15 else { throw .badRequest("chunk size too long") }
                    chunkSize = chunkSize << 4 | digit
                    sizeDigits += 1
                    guard body.count + chunkSize <= limits.maxBodyBytes else { throw .bodyTooLarge }
                } else if sizeDigits > 0 && byte == UInt8(ascii: ";") {
                    state = .extensionBytes
                } else if sizeDigits > 0 && byte == HTTPBytes.cr {
                    state = .sizeLF
                } else {
                    throw .badRequest("malformed chunk size")
                }
            case .extensionBytes:
                if byte == HTTPBytes.cr {
                    state = .sizeLF
                } else if !HTTPBytes.isFieldValueChar(byte) {
                    throw .badRequest("invalid character in chunk extension")
                } else {
                    extensionBytes += 1
                    guard extensionBytes <= Self.maxExtensionBytes else { throw .badRequest("chunk extensions too long") }
                }
            case .sizeLF:
                guard byte == HTTPBytes.lf else { throw .badRequest("bare CR in chunk header") }
                inTrailers = chunkSize == 0
                state = inTrailers ? .trailerLineStart : .data(remaining: chunkSize)
                chunkSize = 0
                sizeDigits = 0
            case .data(let remaining):
                let take = min(remaining, input.count - i)
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<(i + take)]))
                i += take
                state = remaining == take ? .dataCR : .data(remaining: remaining - take)
                continue
            case .dataCR:
                guard byte == HTTPBytes.cr else { throw .badRequest("chunk data longer than its size") }
                state = .dataLF
            case .dataLF:
                guard byte == HTTPBytes.lf else { throw .badRequest("bare CR after chunk data") }
                state = .size
            case .trailerLineStart:
                if byte == HTTPBytes.cr {
                    state = .finalLF
                } else {
                    guard HTTPBytes.isTokenChar(byte) else { throw .badRequest("malformed trailer field") }
                    state = .trailerName
                }
            case .trailerName:
                if byte == HTTPBytes.colon {
                    state = .trailerValue
                } else if !HTTPBytes.isTokenChar(byte) {
                    throw .badRequest("malformed trailer field")
                }
            case .trailerValue:
                if byte == HTTPBytes.cr {
                    state = .trailerLF
                } else if !HTTPBytes.isFieldValueChar(byte) {
                    throw .badRequest("invalid character in trailer value")
                }
            case .trailerLF:
                guard byte == HTTPBytes.lf else { throw .badRequest("bare CR in trailer") }
                state = .trailerLineStart
            case .finalLF:
                guard byte == HTTPBytes.lf else { throw .badRequest("bare CR after trailers") }
                state = .done
                return i + 1
            case .done:
                return i
            }
            if inTrailers {
                trailerBytes += 1
                guard trailerBytes <= limits.maxHeadBytes else { throw .headTooLarge("trailer section too large") }
            }
            i += 1
        }
        return i
    }
}
