internal import CLibUV

/// The one life cycle of every libuv handle here (timers, signals, prepare hooks, folder
/// watchers, listeners, streams, child processes):
/// - its memory is allocated here and initialized by libuv's init for its kind (a failed init
///   frees it, with nothing to close);
/// - `attach` ties it to its owner, retained through the handle's `data`, so that every
///   callback finds the owner alive (`owner(of:)`);
/// - `close()`, once, hands it to `uv_close`, whose callback releases the owner and frees the
///   memory: nothing uses the handle after that (`isClosed`).
final class LoopHandle {
    let raw: UnsafeMutableRawPointer
    private(set) var isClosed = false

    /// A handle of `byteCount` bytes, initialized by `initialize` (libuv's init, returning its
    /// code). `failureLeavesItOpen`: a failed init still made the handle (`uv_spawn`'s), which
    /// must then be closed rather than freed.
    init(byteCount: Int, failureLeavesItOpen: Bool = false, _ initialize: (UnsafeMutableRawPointer) -> Int32) throws(UVError) {
        raw = .allocate(byteCount: byteCount, alignment: 16)
        raw.assumingMemoryBound(to: uv_handle_t.self).pointee.data = nil
        let result = initialize(raw)
        if result < 0 {
            if failureLeavesItOpen {
                isClosed = true
                uv_close(raw.assumingMemoryBound(to: uv_handle_t.self)) { handle in UnsafeMutableRawPointer(handle!).deallocate() }
            } else {
                raw.deallocate()
            }
            throw UVError(code: result)
        }
    }

    /// A handle of type `Handle` (`uv_timer_t`, ...).
    convenience init<Handle>(_ type: Handle.Type, _ initialize: (UnsafeMutablePointer<Handle>) -> Int32) throws(UVError) {
        try self.init(byteCount: MemoryLayout<Handle>.size) { initialize($0.assumingMemoryBound(to: Handle.self)) }
    }

    /// A handle whose init fails only when misused (a timer's, a prepare hook's, an unbound
    /// pipe's or TCP handle's): a failure stops here with the call's name.
    static func infallible<Handle>(_ type: Handle.Type, _ call: StaticString,
                                   _ initialize: (UnsafeMutablePointer<Handle>) -> Int32) -> LoopHandle {
        do {
            return try LoopHandle(type, initialize)
        } catch {
            preconditionFailure("\(call) failed: \(error)")
        }
    }

    /// The handle as its kind's type.
    func typed<Handle>(_ type: Handle.Type) -> UnsafeMutablePointer<Handle> { raw.assumingMemoryBound(to: Handle.self) }

    var handle: UnsafeMutablePointer<uv_handle_t> { raw.assumingMemoryBound(to: uv_handle_t.self) }

    /// Ties the handle to `owner`, which it keeps alive until its close callback.
    func attach(_ owner: AnyObject) {
        precondition(handle.pointee.data == nil, "a libuv handle attached twice")
        handle.pointee.data = Unmanaged.passRetained(owner).toOpaque()
    }

    /// The owner of the handle a libuv callback was given.
    static func owner<Owner: AnyObject>(of handle: UnsafeMutableRawPointer?, as type: Owner.Type = Owner.self) -> Owner {
        // SAFETY: data holds the retained owner from `attach` until the close callback.
        Unmanaged<Owner>.fromOpaque(handle!.assumingMemoryBound(to: uv_handle_t.self).pointee.data).takeUnretainedValue()
    }

    /// Closes the handle; its owner is released and its memory freed in libuv's close callback.
    func close() {
        precondition(!isClosed, "a libuv handle closed twice")
        isClosed = true
        uv_close(handle) { handle in
            if let owner = handle!.pointee.data { Unmanaged<AnyObject>.fromOpaque(owner).release() }
            UnsafeMutableRawPointer(handle!).deallocate()
        }
    }
}
