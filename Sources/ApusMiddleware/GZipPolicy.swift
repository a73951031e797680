internal import ApusHTTP

/// Starlette's `GZipMiddleware` (1.10): a request whose `Accept-Encoding` mentions gzip gets
/// its response compressed, any other gets `Vary: Accept-Encoding` only; small complete
/// bodies, 206s, bodies already encoded and excluded media types pass untouched.
public struct GZipPolicy: Sendable {
    public var minimumSize: Int
    public var compressLevel: Int
    /// `exclude_content_types`, normalized as the middleware keeps them.
    public var excludedContentTypes: [String]

    public init(minimumSize: Int, compressLevel: Int, excludedContentTypes: [String]) {
        self.minimumSize = minimumSize
        self.compressLevel = compressLevel
        self.excludedContentTypes = excludedContentTypes
    }

    func responder(for head: HTTPRequestHead) -> GZipResponder {
        GZipResponder(policy: self, compresses: (head.headers["accept-encoding"] ?? "").contains("gzip"))
    }

    /// Whether the response passes untouched whatever its size (`IdentityResponder`'s test).
    func leavesAlone(status: Int, _ headers: HeaderList) -> Bool {
        if headers.contains("content-encoding") || status == 206 { return true }
        let contentType = headers.first("content-type") ?? ""
        let mediaType = PythonText.strip(String(contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0])).lowercased()
        var mediaTypes = [mediaType, String(mediaType.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0]) + "/*"]
        if mediaType.hasPrefix("application/grpc+") { mediaTypes.append("application/grpc") }
        return mediaTypes.contains { excludedContentTypes.contains($0) }
    }
}

/// One response's way through the gzip middleware: the head and first body decide, later
/// pieces of a streamed body follow.
struct GZipResponder: Sendable {
    let policy: GZipPolicy
    /// gzip (`GZipResponder`) or identity (`IdentityResponder`).
    let compresses: Bool
    private var passing = false
    private var compressor: GZipCompressor?

    init(policy: GZipPolicy, compresses: Bool) {
        self.policy = policy
        self.compresses = compresses
    }

    /// The head with the first body; `more`: a streamed body follows.
    mutating func start(status: Int, _ headers: inout HeaderList, _ body: inout [UInt8], more: Bool) {
        if policy.leavesAlone(status: status, headers) || body.count < policy.minimumSize && !more {
            passing = true
            return
        }
        let compressed = compress(body, last: !more)
        headers.append(toList: "vary", "Accept-Encoding")
        guard compressed != body else { return }
        headers.set("content-encoding", "gzip")
        if more {
            headers.remove("content-length")
        } else {
            headers.set("content-length", String(compressed.count))
        }
        body = compressed
    }

    /// A later piece of a streamed body.
    mutating func next(_ body: inout [UInt8], more: Bool) {
        guard !passing else { return }
        body = compress(body, last: !more)
    }

    private mutating func compress(_ body: [UInt8], last: Bool) -> [UInt8] {
        guard compresses else { return body }
        if compressor == nil { compressor = GZipCompressor(level: policy.compressLevel) }
        return compressor?.compress(body, last: last) ?? body
    }
}

/// Python's `str.strip()` over Latin-1 text: the characters it treats as whitespace.
enum PythonText {
    static func strip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !isSpace($0) })!
        return String(scalars[start...end])
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0: return true
        default: return scalar.properties.isWhitespace
        }
    }
}
