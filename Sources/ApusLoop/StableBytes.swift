/// Bytes that stay at one address, unchanged, for as long as their owner lives (a Python
/// `bytes` object, a block the stream copied into): what a queued write points at. A stream
/// keeps the owner until libuv is done with the bytes, so a large body is written from where
/// it already is instead of being copied first.
public protocol StableBytes: AnyObject, Sendable {
    var bytes: UnsafeRawBufferPointer { get }
}

/// The stream's own copy of bytes it could not write at once.
final class CopiedBytes: StableBytes, @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init(_ source: UnsafeRawBufferPointer) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 1)
        copy.copyMemory(from: source)
        bytes = UnsafeRawBufferPointer(copy)
    }

    deinit {
        bytes.deallocate()
    }
}
