internal import ApusLoop

/// Reads one pipe of a child on the loop thread, handing bytes and the end to closures.
final class PipeReader: ByteStreamDelegate {
    let pipe: PipeStream
    private let onBytes: (UnsafeRawBufferPointer) -> Void
    private let onEnd: () -> Void

    init(_ pipe: PipeStream, onBytes: @escaping (UnsafeRawBufferPointer) -> Void, onEnd: @escaping () -> Void) {
        self.pipe = pipe
        self.onBytes = onBytes
        self.onEnd = onEnd
    }

    func start() {
        pipe.delegate = self
        pipe.startReading()
    }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) { onBytes(bytes) }
    func streamDidEnd(error: UVError?) {
        pipe.close()
        onEnd()
    }
    func streamDidDrain() {}
}

/// A child's output, logged line by line under its function's name.
struct LineSplitter {
    private var pending: [UInt8] = []
    /// A line longer than this is logged in pieces.
    private static let maxLine = 16 * 1024

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (String) -> Void) {
        for byte in bytes {
            if byte == 10 {
                flush(emit)
            } else {
                pending.append(byte)
                if pending.count >= Self.maxLine { flush(emit) }
            }
        }
    }

    mutating func flush(_ emit: (String) -> Void) {
        guard !pending.isEmpty else { return }
        if pending.last == 13 { pending.removeLast() }
        emit(String(decoding: pending, as: UTF8.self))
        pending.removeAll(keepingCapacity: true)
    }
}
