/// Decodes `Transfer-Encoding: chunked` incrementally: byte by byte through chunk headers and
/// trailers, by whole runs through chunk data. Chunk extensions and trailer fields are checked
/// for well-formedness and then dropped.
struct ChunkedBodyDecoder {
    private enum State {
        case size
        case chunkExtension(ChunkExtension)
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
                    state = .chunkExtension(.nameStart)
                } else if sizeDigits > 0 && byte == HTTPBytes.cr {
                    state = .sizeLF
                } else {
                    throw .badRequest("malformed chunk size")
                }
            case .chunkExtension(let part):
                if byte == HTTPBytes.cr, part.mayEnd {
                    state = .sizeLF
                } else {
                    extensionBytes += 1
                    guard extensionBytes <= Self.maxExtensionBytes else { throw .badRequest("chunk extensions too long") }
                    guard let next = part.next(byte) else { throw .badRequest("malformed chunk extension") }
                    state = .chunkExtension(next)
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

/// Where the decoder is in a chunk's extensions (RFC 9112 §7.1.1, without the optional
/// whitespace, which llhttp refuses too): `;name`, `;name=token` or `;name="quoted"`, repeated.
enum ChunkExtension {
    case nameStart
    case name
    case valueStart
    case token
    case quoted
    case quotedPair
    case afterQuoted

    /// Whether the extensions may end here (at the line's CR).
    var mayEnd: Bool {
        switch self {
        case .name, .token, .afterQuoted: true
        case .nameStart, .valueStart, .quoted, .quotedPair: false
        }
    }

    /// The state after `byte`, or nil if the extension is malformed.
    func next(_ byte: UInt8) -> ChunkExtension? {
        let semicolon = UInt8(ascii: ";"), quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        switch self {
        case .nameStart:
            return HTTPBytes.isTokenChar(byte) ? .name : nil
        case .name:
            if HTTPBytes.isTokenChar(byte) { return .name }
            if byte == UInt8(ascii: "=") { return .valueStart }
            return byte == semicolon ? .nameStart : nil
        case .valueStart:
            if byte == quote { return .quoted }
            return HTTPBytes.isTokenChar(byte) ? .token : nil
        case .token:
            if HTTPBytes.isTokenChar(byte) { return .token }
            return byte == semicolon ? .nameStart : nil
        case .quoted:
            if byte == quote { return .afterQuoted }
            if byte == backslash { return .quotedPair }
            // qdtext: HTAB, SP, VCHAR except DQUOTE and backslash, obs-text
            return byte == 0x09 || byte == 0x20 || (byte >= 0x21 && byte != 0x7F) ? .quoted : nil
        case .quotedPair:
            return byte == 0x09 || byte == 0x20 || (byte >= 0x21 && byte != 0x7F) ? .quoted : nil
        case .afterQuoted:
            return byte == semicolon ? .nameStart : nil
        }
    }
}
