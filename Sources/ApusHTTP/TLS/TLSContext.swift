internal import ApusLoop
internal import CCrypto
#if canImport(Glibc)
internal import Glibc
#endif

/// The server's TLS settings, as uvicorn's `--ssl-*` options name them, loaded once into an
/// OpenSSL context that every connection's `TLSLayer` shares: the certificate chain and its
/// key, TLS 1.2 and 1.3, ALPN (h2 and HTTP/1.1), a server-side session cache and tickets (session
/// resumption), and, when asked, client certificates checked against a CA file.
public final class TLSContext: @unchecked Sendable {
    /// uvicorn's `--ssl-cert-reqs`: Python's `ssl.CERT_NONE`, `CERT_OPTIONAL`, `CERT_REQUIRED`.
    public enum ClientCertificates: Int, Sendable {
        case none = 0
        case optional = 1
        case required = 2
    }

    public struct Settings: Sendable {
        public var certificateFile: String
        public var keyFile: String?
        public var keyPassword: String?
        public var caCertificates: String?
        public var clientCertificates = ClientCertificates.none
        /// An OpenSSL cipher list for TLS 1.2, or nil for OpenSSL's default (AEAD suites first).
        /// uvicorn's default, "TLSv1", names only the suites TLS 1.0 had (CBC with SHA-1), which
        /// Python 3.12's clients, among others, no longer offer. TLS 1.3's suites are OpenSSL's.
        public var ciphers: String?
        /// ALPN offers h2 before HTTP/1.1 (the server speaks HTTP/2: `--http auto` or `2`).
        public var offersHTTP2 = false

        public init(certificateFile: String) {
            self.certificateFile = certificateFile
        }
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    // SAFETY: the context is read-only once made (OpenSSL's SSL_CTX is then safe to share
    // between threads); only SSL_new reads it, on the loop thread.
    let context: OpaquePointer
    /// Kept for the context's password callback, which reads it while the key loads.
    private let password: UnsafeMutablePointer<CChar>?

    public init(_ settings: Settings) throws(LoadError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw Self.failure("cannot make a TLS context") }
        self.context = context
        password = settings.keyPassword.map { strdup($0) }
        if let password { apus_ssl_ctx_password(context, password) }
        guard apus_ssl_ctx_set_min_tls12(context) == 1 else { throw Self.failure("TLS 1.2 and 1.3") }
        guard SSL_CTX_use_certificate_chain_file(context, settings.certificateFile) == 1 else {
            throw Self.failure("--ssl-certfile \(settings.certificateFile)")
        }
        let keyFile = settings.keyFile ?? settings.certificateFile
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw Self.failure("--ssl-keyfile \(keyFile)")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw Self.failure("--ssl-keyfile \(keyFile) does not match --ssl-certfile \(settings.certificateFile)")
        }
        if let ciphers = settings.ciphers, SSL_CTX_set_cipher_list(context, ciphers) != 1 {
            throw Self.failure("--ssl-ciphers \(ciphers)")
        }
        if let caCertificates = settings.caCertificates {
            guard SSL_CTX_load_verify_locations(context, caCertificates, nil) == 1 else {
                throw Self.failure("--ssl-ca-certs \(caCertificates)")
            }
        }
        switch settings.clientCertificates {
        case .none: SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        case .optional: SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        case .required: SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        }
        // Resumed sessions must come from this server's own (required when peers are verified).
        let sessionContext: [UInt8] = Array("apus".utf8)
        _ = SSL_CTX_set_session_id_context(context, sessionContext, UInt32(sessionContext.count))
        apus_ssl_ctx_cache_sessions(context)
        apus_ssl_ctx_alpn(context, settings.offersHTTP2 ? 1 : 0)
    }

    deinit {
        SSL_CTX_free(context)
        free(password)
    }

    /// A connection's layer, in the server's role; `handshakeDone` hears each completed
    /// handshake's CPU seconds.
    func makeLayer(loop: EventLoop, handshakeDone: ((Double) -> Void)?) -> TLSLayer? {
        TLSLayer(context: context, loop: loop, handshakeDone: handshakeDone)
    }

    /// OpenSSL's reason, after what was being done.
    private static func failure(_ doing: String) -> LoadError {
        LoadError(description: "\(doing): \(TLSLayer.lastError())")
    }
}
