/// A TLS connection as the ASGI `tls` extension describes it to the app, read once its
/// handshake is done: the protocol version and cipher suite (their IANA numbers), the name the
/// client asked for (SNI), and the client's certificate when one was asked for and sent.
public struct TLSConnectionInfo: Sendable {
    /// 0x0303 for TLS 1.2, 0x0304 for TLS 1.3.
    public let version: Int
    public let cipherSuite: Int
    public let serverName: String?
    /// PEM, the client's certificate first, then the rest of the chain it sent.
    public let clientCertificateChain: [String]
    /// The client certificate's subject, as RFC 4514 writes a distinguished name.
    public let clientCertificateName: String?
    public let clientCertificateError: String?
}
