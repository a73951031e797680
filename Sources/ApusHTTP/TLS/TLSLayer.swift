internal import ApusLoop
internal import CCrypto
#if canImport(Glibc)
internal import Glibc
#endif

/// One connection's TLS, in the server's role, as a `StreamLayer` of its socket: OpenSSL reads
/// the socket's bytes from one memory BIO and writes what goes back into another, so the
/// event loop does the I/O and OpenSSL only the cryptography. Confined to the loop thread.
final class TLSLayer: StreamLayer {
    private let ssl: OpaquePointer
    /// Socket bytes for OpenSSL to read, and OpenSSL's bytes for the socket (owned by `ssl`).
    private let incoming: OpaquePointer
    private let outgoing: OpaquePointer
    /// Plaintext read out of OpenSSL, handed to the owner a piece at a time.
    private var plaintext = [UInt8](repeating: 0, count: 16 * 1024)
    private var finished = false

    init?(context: OpaquePointer) {
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
        guard BIO_write(incoming, bytes.baseAddress, Int32(bytes.count)) == Int32(bytes.count) else {
            return .failed("cannot buffer what the socket read")
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

    func encode(_ bytes: UnsafeRawBufferPointer, send: (UnsafeRawBufferPointer) -> Void) -> Bool {
        guard !finished else { return false }
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
        guard !finished else { return }
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
