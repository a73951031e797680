/// How much a client may send, and how long it may take. Defaults follow the documented
/// server defaults (16 KiB head, 100 headers, 16 MiB body, 10 s head, 5 s keep-alive).
public struct HTTPLimits: Sendable {
    /// Request line plus header fields, in bytes; more is answered 431.
    public var maxHeadBytes = 16 * 1024
    /// Header fields per request; more is answered 431.
    public var maxHeaderCount = 100
    /// Decoded request body, in bytes; more is answered 413.
    public var maxBodyBytes = 16 * 1024 * 1024
    /// From the first byte of a request (or the accept) to the end of its head, in milliseconds.
    public var headTimeoutMilliseconds: UInt64 = 10_000
    /// How long an idle keep-alive connection stays open, in milliseconds.
    public var keepAliveTimeoutMilliseconds: UInt64 = 5_000
    /// Bytes queued for a slow reader before the connection stops reading new requests.
    public var writeHighWaterBytes = 1024 * 1024
    /// How long queued response bytes may make no progress (a client that stopped reading)
    /// before the connection closes, in milliseconds. A slow reader that keeps reading is never
    /// cut off.
    public var writeTimeoutMilliseconds: UInt64 = 30_000
    /// Requests the server hands to its responder at once; past it, 503 (uvicorn's
    /// `--limit-concurrency`). Nil: no limit.
    public var maxConcurrentRequests: Int?
    /// Request-body bytes held whole in memory at once, across connections (bodies collected
    /// for handlers that take them whole); a body that would pass it gets 503 and the
    /// connection closes.
    public var maxBufferedBodyBytes = 256 * 1024 * 1024
    /// A WebSocket message, in bytes (uvicorn's `--ws-max-size`); a larger one closes the
    /// session with 1009.
    public var webSocketMaxMessageBytes = 16 * 1024 * 1024
    /// Whether WebSocket sessions may be compressed (permessage-deflate, RFC 7692), when the
    /// client offers it (uvicorn's `--ws-per-message-deflate`, on by default as there).
    public var webSocketPerMessageDeflate = true
    /// A WebSocket that has been silent this long gets a ping (uvicorn's `--ws-ping-interval`,
    /// 20 s); nil: no pings.
    public var webSocketPingIntervalMilliseconds: UInt64? = 20_000
    /// A ping not answered within this closes the session with 1011 (`--ws-ping-timeout`, 20 s).
    public var webSocketPingTimeoutMilliseconds: UInt64? = 20_000

    public init() {}
}
