internal import ApusLoop
internal import CCrypto
#if canImport(Glibc)
internal import Glibc
#endif

/// One connection's TLS, in the server's role, as a `StreamLayer` of its socket: OpenSSL reads
/// the socket's bytes from one memory BIO and writes what goes back into another, so the
/// event loop does the I/O and OpenSSL only the cryptography. Confined to the loop thread, but
/// for the handshake's steps: each runs on libuv's thread pool (`EventLoop.runOffLoop`), since
/// its private-key operation (0.07 ms for ECDSA P-256, 0.8 ms for RSA 2048, several for RSA
/// 4096) would stall every other connection of the loop; the SSL object is touched by one
/// thread at a time, as the loop does nothing with it while a step is away.
final class TLSLayer: StreamLayer {
    /// Used by the loop thread, or by one pool thread while `stepAway` (the loop then leaves it
    /// alone), never both.
    private let ssl: OpaquePointer
    /// Socket bytes for OpenSSL to read, and OpenSSL's bytes for the socket (owned by `ssl`).
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// Plaintext read out of OpenSSL, handed to the owner a piece at a time.
    private var plaintext = [UInt8](repeating: 0, count: 16 * 1024)
    private var finished = false
    var wake: (() -> Void)?
    private let loop: EventLoop
    /// Called on the loop thread with the CPU seconds each completed handshake took.
    private let handshakeDone: ((Double) -> Void)?
    /// A handshake step is running on the pool: the socket is not read meanwhile, and what the
    /// last read brought waits in `heldBack`.
    private var stepAway = false
    private var heldBack: [UInt8] = []
    private var handshakeSeconds = 0.0
    /// The last step's failure (OpenSSL's error queue is per thread, so it is read there).
    private var stepFailure: String?

    init?(context: OpaquePointer, loop: EventLoop, handshakeDone: ((Double) -> Void)? = nil) {
        self.loop = loop
        self.handshakeDone = handshakeDone
        guard let ssl = SSL_new(context) else { return nil }
        guard let incoming = BIO_new(BIO_s_mem()), let outgoing = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            return nil
        }
        self.ssl = ssl
        self.incoming = incoming
        self.outgoing = outgoing
        SSL_set_bio(ssl, incoming, outgoing)
        SSL_set_accept_state(ssl)
    }

    deinit {
        SSL_free(ssl)
    }

    func decode(
        _ bytes: UnsafeRawBufferPointer, deliver: (UnsafeRawBufferPointer) -> Void,
        send: (UnsafeRawBufferPointer) -> Void
    ) -> StreamLayerOutcome {
        if stepAway {
            // (The socket is not read again until the step is back: at most one read waits.)
            heldBack.append(contentsOf: bytes)
            return .hold
        }
        if let stepFailure {
            flush(send)  // the alert OpenSSL wrote, if any
            return .failed(stepFailure)
        }
        // Bytes the client sent since the last step: only they can move the handshake on (a
        // partial record left in the BIO cannot, and must not start a step on its own).
        let fresh = bytes.count > 0 || !heldBack.isEmpty
        if !heldBack.isEmpty {
            let held = heldBack
            heldBack = []
            guard held.withUnsafeBytes({ BIO_write(incoming, $0.baseAddress, Int32($0.count)) }) == Int32(held.count) else {
                return .failed("cannot buffer what the socket read")
            }
        }
        if bytes.count > 0 {
            guard BIO_write(incoming, bytes.baseAddress, Int32(bytes.count)) == Int32(bytes.count) else {
                return .failed("cannot buffer what the socket read")
            }
        }
        if apus_ssl_handshake_done(ssl) != 1 {
            // What the step wrote (the server's flight) goes out now; the next step waits for
            // the client's bytes.
            flush(send)
            guard fresh else { return .open }
            handshakeStep()
            return .hold
        }
        // SSL_read does the handshake first, then yields application data until OpenSSL needs
        // more of the socket's bytes; everything decoded now goes to the owner now, so nothing
        // waits inside OpenSSL while the socket is not read.
        var outcome = StreamLayerOutcome.open
        reading: while true {
            let count = plaintext.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                plaintext.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) }
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                break reading
            case SSL_ERROR_ZERO_RETURN:
                outcome = .ended
                break reading
            default:
                outcome = .failed(Self.lastError())
                break reading
            }
        }
        flush(send)
        return outcome
    }

    /// Runs one handshake step (`SSL_do_handshake` on what the client sent) on the pool, then,
    /// back on the loop, wakes the stream so that its output goes out and what follows is read.
    private func handshakeStep() {
        stepAway = true
        // SAFETY: the loop leaves the SSL object alone until the step is back (`stepAway`).
        nonisolated(unsafe) let ssl = self.ssl
        loop.runOffLoop(producing: { () -> StepOutcome in
            var outcome = StepOutcome()
            var start = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
            let result = SSL_do_handshake(ssl)
            let error = SSL_get_error(ssl, result)
            if result != 1 && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                outcome.failure = Self.lastError()
            }
            ERR_clear_error()
            var end = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
            outcome.seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
            outcome.finished = result == 1
            return outcome
        }, then: { [self] outcome in
            stepAway = false
            handshakeSeconds += outcome.seconds
            stepFailure = outcome.failure
            if outcome.finished { handshakeDone?(handshakeSeconds) }
            wake?()
        })
    }

    func encode(_ bytes: UnsafeRawBufferPointer, send: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard !finished, !stepAway else { return false }
        var offset = 0
        while offset < bytes.count {
            let written = SSL_write(ssl, bytes.baseAddress! + offset, Int32(min(bytes.count - offset, Int(Int32.max))))
            guard written > 0 else {
                flush(send)
                return false
            }
            offset += Int(written)
        }
        flush(send)
        return true
    }

    func finish(send: (UnsafeRawBufferPointer) -> Void) {
        guard !finished, !stepAway else { return }
        finished = true
        _ = SSL_shutdown(ssl)
        flush(send)
    }

    /// Whether ALPN chose HTTP/2 (known once the handshake is done: by the first bytes read).
    var choseHTTP2: Bool { apus_ssl_alpn_is_h2(ssl) == 1 }

    /// The connection as the app's `tls` extension describes it; nil until the handshake is done.
    var connectionInfo: TLSConnectionInfo? {
        guard apus_ssl_handshake_done(ssl) == 1 else { return nil }
        let chain = Self.taken(apus_ssl_peer_chain_pem(ssl)).map(Self.certificates) ?? []
        return TLSConnectionInfo(
            version: Int(SSL_version(ssl)), cipherSuite: Int(apus_ssl_cipher_suite(ssl)),
            serverName: apus_ssl_server_name(ssl).map { String(cString: $0) },
            clientCertificateChain: chain, clientCertificateName: Self.taken(apus_ssl_peer_name(ssl)),
            clientCertificateError: apus_ssl_verify_error(ssl).map { String(cString: $0) })
    }

    /// A C string OpenSSL's helpers allocated, as a String; freed.
    private static func taken(_ text: UnsafeMutablePointer<CChar>?) -> String? {
        guard let text else { return nil }
        defer { free(text) }
        return String(cString: text)
    }

    /// Concatenated PEM certificates, one string each.
    private static func certificates(_ pem: String) -> [String] {
        let end = "-----END CERTIFICATE-----"
        return pem.split(separator: end).filter { $0.contains("-----BEGIN") }
            .map { String($0.drop { $0 == "\n" }) + end + "\n" }
    }

    /// What a handshake step made on the pool thread, for the loop.
    private struct StepOutcome: Sendable {
        var finished = false
        var failure: String?
        var seconds = 0.0
    }

    /// Hands what OpenSSL wrote for the socket to `send`.
    private func flush(_ send: (UnsafeRawBufferPointer) -> Void) {
        let pending = apus_bio_pending(outgoing)
        guard pending > 0 else { return }
        var bytes = [UInt8](repeating: 0, count: pending)
        let count = bytes.withUnsafeMutableBytes { BIO_read(outgoing, $0.baseAddress, Int32($0.count)) }
        if count > 0 { bytes.withUnsafeBytes { send(UnsafeRawBufferPointer(rebasing: $0[..<Int(count)])) } }
    }

    /// OpenSSL's oldest queued error, as text.
    static func lastError() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        apus_ssl_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
