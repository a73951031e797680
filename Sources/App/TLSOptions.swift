import ActorRuntime
import ArgumentParser
import Glibc

/// TLS, as uvicorn names its options: `--ssl-certfile` turns it on.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("ssl-certfile"), help: "Serve HTTPS with this certificate chain (PEM).")
    var certificateFile: String?

    @Option(name: .customLong("ssl-keyfile"), help: "The certificate's private key (PEM; by default in --ssl-certfile).")
    var keyFile: String?

    @Option(name: .customLong("ssl-keyfile-password"), help: "The password of an encrypted --ssl-keyfile.")
    var keyPassword: String?

    @Option(name: .customLong("ssl-cert-reqs"),
            help: "Client certificates: 0 not asked, 1 checked when sent, 2 required (Python's ssl.CERT_*).")
    var certificateRequirements = 0

    @Option(name: .customLong("ssl-ca-certs"), help: "CA certificates (PEM) that client certificates are checked against.")
    var caCertificates: String?

    @Option(name: .customLong("ssl-ciphers"),
            help: "OpenSSL cipher list for TLS 1.2 (default: OpenSSL's own, AEAD suites first).")
    var ciphers: String?

    /// uvicorn's protocol choice; Apus negotiates TLS 1.2 or 1.3, which is what uvicorn's
    /// default (ssl.PROTOCOL_TLS_SERVER, 17) and ssl.PROTOCOL_TLS (2) mean.
    @Option(name: .customLong("ssl-version"), help: .hidden)
    var version: Int?

    var isOn: Bool { certificateFile != nil }

    func validate() throws {
        if let version, version != 17 && version != 2 {
            throw ValidationError("--ssl-version \(version): Apus negotiates TLS 1.2 or 1.3; drop the option")
        }
        if ClientCertificates(rawValue: certificateRequirements) == nil {
            throw ValidationError("--ssl-cert-reqs must be 0, 1 or 2")
        }
        if certificateFile == nil && (keyFile != nil || caCertificates != nil || keyPassword != nil) {
            throw ValidationError("--ssl-keyfile, --ssl-ca-certs and --ssl-keyfile-password go with --ssl-certfile")
        }
        if certificateRequirements != 0 && caCertificates == nil {
            throw ValidationError("--ssl-cert-reqs \(certificateRequirements) checks client certificates against --ssl-ca-certs: give it")
        }
        for (name, file) in [("ssl-certfile", certificateFile), ("ssl-keyfile", keyFile), ("ssl-ca-certs", caCertificates)] {
            if let file, !SystemFiles.isFile(file) { throw ValidationError("--\(name) \(file): no such file") }
        }
    }

    private typealias ClientCertificates = TLSContext.ClientCertificates

    /// The loaded context, or nil without --ssl-certfile; a one-line error and exit 1 if OpenSSL
    /// refuses a file.
    /// `offersHTTP2`: ALPN offers h2 (`--http auto` or `2`).
    func context(offersHTTP2: Bool) -> TLSContext? {
        guard let certificateFile else { return nil }
        var settings = TLSContext.Settings(certificateFile: SystemFiles.absolutePath(certificateFile))
        settings.offersHTTP2 = offersHTTP2
        settings.keyFile = keyFile.map(SystemFiles.absolutePath)
        settings.keyPassword = keyPassword ?? SystemFiles.environment[Self.workerPasswordVariable]
        settings.caCertificates = caCertificates.map(SystemFiles.absolutePath)
        settings.clientCertificates = ClientCertificates(rawValue: certificateRequirements) ?? .none
        settings.ciphers = ciphers
        do {
            return try TLSContext(settings)
        } catch {
            Console.error("error: TLS: \(error)")
            Console.terminate(1)
        }
    }

    /// A worker process reads the key's password from its environment, not from its command
    /// line, which any user of the machine can list.
    static let workerPasswordVariable = "APUS_WORKER_SSL_KEYFILE_PASSWORD"

    /// The same options for a worker process (files as absolute paths); the password goes to
    /// the environment the workers inherit.
    func workerArguments() -> [String] {
        guard let certificateFile else { return [] }
        var arguments = ["--ssl-certfile", SystemFiles.absolutePath(certificateFile),
                         "--ssl-cert-reqs", String(certificateRequirements)]
        if let ciphers { arguments += ["--ssl-ciphers", ciphers] }
        if let keyFile { arguments += ["--ssl-keyfile", SystemFiles.absolutePath(keyFile)] }
        if let keyPassword { setenv(Self.workerPasswordVariable, keyPassword, 1) }
        if let caCertificates { arguments += ["--ssl-ca-certs", SystemFiles.absolutePath(caCertificates)] }
        return arguments
    }
}
