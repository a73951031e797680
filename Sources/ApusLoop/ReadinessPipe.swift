/// A pipe a child process inherits as file descriptor 3 and writes one byte to once it is
/// ready (a worker that has bound its port). `onReady` runs once on the loop thread: true for
/// the byte, false if the pipe closed without it (the child exited first). The pipe closes
/// itself after that, or when `close()` is called.
public final class ReadinessPipe: ByteStreamDelegate {
    /// The descriptor the child sees.
    public static let childDescriptor: Int32 = 3

    let stream: PipeStream
    private var onReady: (@Sendable (Bool) -> Void)?

    public init(loop: EventLoop, onReady: @escaping @Sendable (Bool) -> Void) throws(UVError) {
        stream = PipeStream(loop: loop)
        self.onReady = onReady
    }

    /// After the child was spawned with this pipe: waits for its byte.
    func startReading() {
        stream.delegate = self
        stream.startReading()
    }

    public func streamDidRead(_ bytes: UnsafeRawBufferPointer) { finish(true) }
    public func streamDidEnd(error: UVError?) { finish(false) }
    public func streamDidDrain() {}

    private func finish(_ ready: Bool) {
        let callback = onReady
        close()
        callback?(ready)
    }

    /// Stops waiting; `onReady` is not called.
    public func close() {
        onReady = nil
        stream.close()
    }
}
