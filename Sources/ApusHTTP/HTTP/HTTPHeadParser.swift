/// Parses one complete request head (request line, header fields, empty line) and applies the
/// framing rules of RFC 9112. Strict on purpose: anything ambiguous between two parsers is the
/// raw material of request smuggling, so it is refused rather than guessed at.
enum HTTPHeadParser {
    typealias Bytes = UnsafeRawBufferPointer

    /// `head` runs from the first byte of the request line through the final CRLF CRLF. The
    /// caller has checked that every LF is preceded by CR.
    static func parse(_ head: Bytes, limits: HTTPLimits) throws(HTTPParseError) -> HTTPRequestHead {
        var cursor = 0
        let line = try nextLine(head, from: &cursor)
        let (method, target, version) = try parseRequestLine(UnsafeRawBufferPointer(rebasing: head[line]))
        do throws(HTTPParseError) {
            var headers = HTTPHeaders()
            var fields = FramingFields()
            while true {
                let range = try nextLine(head, from: &cursor)
                if range.isEmpty { break }
                if headers.count == limits.maxHeaderCount {
                    throw .headTooLarge("more than \(limits.maxHeaderCount) header fields")
                }
                let (name, value) = try parseField(UnsafeRawBufferPointer(rebasing: head[range]))
                fields.note(name: name, value: value)
                headers.add(name, value)
            }
            return try fields.head(method: method, target: target, version: version, headers: headers, limits: limits)
        } catch {
            var refused = error
            refused.requestLine = (method, target, version)
            throw refused
        }
    }

    /// The range of the next line without its CRLF; rejects a CR that does not end a line.
    private static func nextLine(_ head: Bytes, from cursor: inout Int) throws(HTTPParseError) -> Range<Int> {
        let start = cursor
        var i = start
        while i < head.count {
            if head[i] == HTTPBytes.cr {
                guard i + 1 < head.count, head[i + 1] == HTTPBytes.lf else { throw .badRequest("bare CR") }
                cursor = i + 2
                return start..<i
            }
            if head[i] == HTTPBytes.lf { throw .badRequest("bare LF") }
            i += 1
        }
        throw .badRequest("unterminated line")
    }

    private static func parseRequestLine(_ line: Bytes) throws(HTTPParseError) -> (String, String, HTTPVersion) {
        var i = 0
        while i < line.count, HTTPBytes.isTokenChar(line[i]) { i += 1 }
        guard i > 0, i < line.count, line[i] == HTTPBytes.space else { throw .badRequest("malformed method") }
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<i]), as: UTF8.self)

        let targetStart = i + 1
        i = targetStart
        while i < line.count, HTTPBytes.isTargetChar(line[i]) { i += 1 }
        guard i > targetStart, i < line.count, line[i] == HTTPBytes.space else { throw .badRequest("malformed request target") }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: line[targetStart..<i]), as: UTF8.self)

        let version = try parseVersion(UnsafeRawBufferPointer(rebasing: line[(i + 1)...]))
        return (method, target, version)
    }

    private static func parseVersion(_ text: Bytes) throws(HTTPParseError) -> HTTPVersion {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard text.count == 8, text.prefix(5).elementsEqual(prefix),
              text[6] == UInt8(ascii: "."),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[5]),
              (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(text[7])
        else { throw .badRequest("malformed HTTP version") }
        switch (text[5], text[7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .versionNotSupported
        }
    }

    private static func parseField(_ line: Bytes) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first, first != HTTPBytes.space, first != HTTPBytes.tab else {
            throw .badRequest("obsolete line folding")
        }
        var i = 0
        while i < line.count, HTTPBytes.isTokenChar(line[i]) { i += 1 }
        guard i < line.count, line[i] == HTTPBytes.colon else {
            throw .badRequest(i < line.count && (line[i] == HTTPBytes.space || line[i] == HTTPBytes.tab)
                ? "whitespace before colon" : "malformed header name")
        }
        guard i > 0 else { throw .badRequest("empty header name") }
        let name = HTTPBytes.lowercasedASCIIString(UnsafeRawBufferPointer(rebasing: line[0..<i]))

        var start = i + 1
        var end = line.count
        while start < end, line[start] == HTTPBytes.space || line[start] == HTTPBytes.tab { start += 1 }
        while end > start, line[end - 1] == HTTPBytes.space || line[end - 1] == HTTPBytes.tab { end -= 1 }
        for j in start..<end where !HTTPBytes.isFieldValueChar(line[j]) {
            throw .badRequest("invalid character in header value")
        }
        return (name, Latin1.string(UnsafeRawBufferPointer(rebasing: line[start..<end])))
    }
}

/// The header fields that decide framing and connection handling, gathered while parsing.
private struct FramingFields {
    var contentLengths: [String] = []
    var transferEncodings: [String] = []
    var hostCount = 0
    var host: String?
    var connectionTokens: [String] = []
    var expect: String?

    mutating func note(name: String, value: String) {
        switch name {
        case "content-length": contentLengths.append(value)
        case "transfer-encoding": transferEncodings.append(value)
        case "host":
            hostCount += 1
            host = value
        case "connection": connectionTokens += commaList(value)
        case "expect": expect = value
        default: break
        }
    }

    func head(
        method: String, target: String, version: HTTPVersion, headers: HTTPHeaders, limits: HTTPLimits
    ) throws(HTTPParseError) -> HTTPRequestHead {
        if version == .http1_1 && hostCount != 1 || hostCount > 1 {
            throw .badRequest(hostCount == 0 ? "missing Host header" : "more than one Host header")
        }
        if let host, !HostHeader.isValid(host) { throw .badRequest("invalid Host header") }
        let framing = try bodyFraming(version: version, limits: limits)

        let tokens = connectionTokens.map { $0.lowercased() }
        let keepAlive = tokens.contains("close") ? false
            : version == .http1_1 || tokens.contains("keep-alive")

        var expectsContinue = false
        if let expect {
            guard expect.equalsIgnoringASCIICase("100-continue") else { throw .expectationFailed }
            expectsContinue = version == .http1_1
        }
        return HTTPRequestHead(
            method: method, target: target, version: version, headers: headers,
            framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    private func bodyFraming(version: HTTPVersion, limits: HTTPLimits) throws(HTTPParseError) -> HTTPBodyFraming {
        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else { throw .badRequest("both Content-Length and Transfer-Encoding") }
            guard version == .http1_1 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = transferEncodings.flatMap(commaList).map { $0.lowercased() }
            guard !codings.contains(""), codings.last == "chunked" else {
                throw .badRequest("final transfer coding is not chunked")
            }
            guard codings.count == 1 else {
                throw codings.dropLast().contains("chunked") ? .badRequest("chunked applied twice") : .codingNotImplemented
            }
            return .chunked
        }
        guard let text = contentLengths.first else { return .none }
        guard contentLengths.count == 1 else { throw .badRequest("more than one Content-Length") }
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw .badRequest("malformed Content-Length")
        }
        guard text.utf8.count <= 18, let length = Int(text) else { throw .bodyTooLarge }
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        return length == 0 ? .none : .length(length)
    }
}

/// Splits "a, b ,c" into ["a", "b", "c"]; empty members stay, so callers can refuse them.
private func commaList(_ value: String) -> [String] {
    value.split(separator: ",", omittingEmptySubsequences: false).map {
        String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// RFC 9112 §3.2 / RFC 3986 §3.2.2: `Host = uri-host [ ":" port ]`, the host an IP literal in
/// brackets, or a reg-name of unreserved, percent-encoded and sub-delimiter characters (an IPv4
/// address is one of those). Empty is allowed (a request without an authority).
enum HostHeader {
    /// One pass over the bytes (this runs for every request).
    static func isValid(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            var index = 0
            if bytes.first == UInt8(ascii: "[") {
                index = 1
                while index < bytes.count, isIPLiteralByte(bytes[index]) { index += 1 }
                guard index > 1, index < bytes.count, bytes[index] == UInt8(ascii: "]") else { return false }
                index += 1
            } else {
                while index < bytes.count, bytes[index] != HTTPBytes.colon {
                    guard isRegNameByte(bytes[index]) else { return false }
                    index += 1
                }
            }
            guard index < bytes.count else { return true }
            guard bytes[index] == HTTPBytes.colon else { return false }
            index += 1
            while index < bytes.count {
                guard bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") else { return false }
                index += 1
            }
            return true
        }
    }

    private static func isIPLiteralByte(_ byte: UInt8) -> Bool {
        HTTPBytes.hexValue(byte) != nil || byte == HTTPBytes.colon || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "v") || byte == UInt8(ascii: "V")
    }

    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        // unreserved "-._~", "%" of pct-encoded, sub-delims "!$&'()*+,;="
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }
}
