internal import CPython
internal import ApusLoop

/// A Python `bytes` object's buffer, written to a socket where it is: a `bytes` object never
/// changes or moves, so its pointer holds while the reference does. The last reference is
/// dropped on the asyncio thread, which holds the GIL, so a large body is freed as soon as it
/// has been written rather than when some thread next attaches.
package final class PythonBytesBuffer: StableBytes, @unchecked Sendable {
    package let bytes: UnsafeRawBufferPointer
    private let object: PyObjectRef
    private let asyncio: AsyncioThread

    /// Nil unless `object` is exactly a `bytes` object (other buffers may change or move) of at
    /// least `minimumCount` bytes.
    package init?(_ object: borrowing PyOwned, atLeast minimumCount: Int, _ gil: borrowing GIL, releasingOn asyncio: AsyncioThread) {
        guard apus_is_bytes(object.pointer) != 0, apus_bytes_size(object.pointer) >= minimumCount else { return nil }
        self.object = PyObjectRef(borrowed: object.pointer, gil)
        bytes = UnsafeRawBufferPointer(start: apus_bytes_data(object.pointer), count: apus_bytes_size(object.pointer))
        self.asyncio = asyncio
    }

    deinit {
        let object = self.object
        // The job, and the reference it holds, are let go on the asyncio thread with the GIL.
        asyncio.submit { _ in withExtendedLifetime(object) {} }
    }
}
