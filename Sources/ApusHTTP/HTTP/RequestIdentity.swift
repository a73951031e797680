/// What ties one request's log lines together: its id (`X-Request-ID`, the client's or one made
/// here) and, when the client is part of a trace, the W3C trace id of its `traceparent`.
public struct RequestIdentity: Sendable {
    public let requestID: String
    public let traceID: String?

    /// The identity of a request with `headers`: the client's `X-Request-ID` if it is a sane
    /// one (1 to 200 visible ASCII characters), else one of `ids`.
    static func of(_ headers: HTTPHeaders, ids: inout RequestIDGenerator) -> (RequestIdentity, madeHere: Bool) {
        let traceID = headers["traceparent"].flatMap(Self.traceID(ofTraceparent:))
        if let given = headers["x-request-id"], Self.isSane(given) {
            return (RequestIdentity(requestID: given, traceID: traceID), false)
        }
        return (RequestIdentity(requestID: ids.next(), traceID: traceID), true)
    }

    private static func isSane(_ id: String) -> Bool {
        let bytes = id.utf8
        return !bytes.isEmpty && bytes.count <= 200 && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// The trace id of a version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`), or nil for
    /// anything else, an all-zero id included (W3C Trace Context, section 3.2).
    public static func traceID(ofTraceparent value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0] != "ff", parts[1].count == 32, parts[2].count == 16,
              parts[3].count == 2, parts[0...3].allSatisfy({ $0.utf8.allSatisfy(Self.isLowerHex) }),
              parts[1].utf8.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        return String(parts[1])
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

extension HTTPRequestHead {
    /// The log fields that tie a line about this request to its access line: `request_id`
    /// (the `X-Request-ID` it came with or was given) and `trace_id` (of its `traceparent`).
    public var logFields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if let id = headers["x-request-id"] { fields.append(("request_id", id)) }
        if let trace = headers["traceparent"].flatMap(RequestIdentity.traceID(ofTraceparent:)) { fields.append(("trace_id", trace)) }
        return fields
    }
}

/// Request ids made on one loop thread: 32 hex digits from a SplitMix64 stream seeded once from
/// the system's generator. Unique in practice and cheap (no system call per request); not
/// secret, and not meant to be.
struct RequestIDGenerator {
    private var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    mutating func next() -> String {
        let high = step(), low = step()
        return Self.hex(high) + Self.hex(low)
    }

    private mutating func step() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
