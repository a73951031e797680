/// A layer between a stream's socket and its owner, such as TLS: what arrives from the socket
/// is decoded into what the owner reads, and what the owner writes is encoded into what the
/// socket sends. Confined to the stream's loop thread, like the stream.
public protocol StreamLayer: AnyObject {
    /// Bytes from the socket. Hands the owner's bytes to `deliver` (none, one piece or more),
    /// and bytes the layer must answer with itself (a handshake's) to `send`.
    func decode(
        _ bytes: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void,
        send: (UnsafeRawBufferPointer) -> Void
    ) -> StreamLayerOutcome

    /// The owner's bytes, encoded and handed to `send`; false if the layer cannot send any more.
    func encode(_ bytes: UnsafeRawBufferPointer, send: (UnsafeRawBufferPointer) -> Void) -> Bool

    /// The layer's own goodbye before the socket's write side closes (TLS's close_notify).
    func finish(send: (UnsafeRawBufferPointer) -> Void)

    /// Set by the stream: a layer that did work off the loop thread calls it, on the loop
    /// thread, when that work is done; the stream then calls `decode` with no new bytes, and the
    /// layer hands over what the work produced.
    var wake: (() -> Void)? { get set }
}

public enum StreamLayerOutcome {
    /// Go on reading.
    case open
    /// Stop reading the socket until the layer wakes the stream (`wake`): it is busy with what
    /// it has (a TLS handshake's step off the loop).
    case hold
    /// The peer ended the layer properly (TLS's close_notify): as the socket's end of file.
    case ended
    /// The peer broke the layer's protocol; the stream ends with this error.
    case failed(String)
}
