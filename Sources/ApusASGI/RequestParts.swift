internal import ApusPython
internal import ApusHTTP

/// What Python gets for each request it serves (the ASGI app's `Server.handle`, a plan's `run`
/// or `start`): a named tuple (`apus._contract.RequestParts`) whose fields are
/// `apus._contract.REQUEST_PARTS_FIELDS`. The package's list is checked against this one when the
/// type is made, so a binary and an `apus` package of different versions refuse to start rather
/// than read each other's fields wrongly.
enum RequestParts {
    static let fields = [
        "method", "http_version", "path", "raw_path", "query_string", "headers", "client", "server", "path_params",
        "more_body", "tls",
    ]

    /// Made on first use, with the GIL (which orders every use).
    nonisolated(unsafe) private static var made: StructSequenceType?

    static func type(_ gil: borrowing GIL) throws(PythonError) -> StructSequenceType {
        if let made { return made }
        let contract = try gil.importModule("apus._contract")
        var expected: [String] = []
        for item in try gil.items(try gil.attribute(contract, "REQUEST_PARTS_FIELDS")) {
            expected.append(gil.swiftString(item) ?? "?")
        }
        guard expected == fields else {
            throw .runtime("""
                the runtime hands Python a request as (\(fields.joined(separator: ", "))) but the apus package \
                reads (\(expected.joined(separator: ", "))): the binary and its Python package are of different versions
                """)
        }
        let type = try StructSequenceType(
            name: "apus.RequestParts", doc: "One request, as the runtime hands it to Python.", fields: fields, gil)
        try gil.setAttribute(contract, "RequestParts", type.type)
        made = type
        return type
    }
}

extension StructSequenceType {
    /// `request` as a `RequestParts` (this type must be `RequestParts.type`): the path
    /// parameters the route table matched, as raw text (a plan's; nil for the app).
    func requestParts(_ request: HTTPRequest, pathParameters: [String: String]?, _ gil: borrowing GIL) throws(PythonError) -> PyOwned {
        var parts = CallArguments(capacity: RequestParts.fields.count)
        parts.append(try gil.str(request.method))
        parts.append(try gil.str(request.version.number))
        parts.append(try gil.str(request.path))
        parts.append(try gil.latin1Bytes(request.rawPath))
        parts.append(try gil.latin1Bytes(request.query))
        parts.append(try gil.headerList(request.headers))
        parts.append(try gil.str(request.client))
        parts.append(try gil.str(request.server))
        if let pathParameters { parts.append(try gil.stringDict(pathParameters)) } else { parts.append(gil.none()) }
        parts.append(gil.bool(request.bodyStream != nil))
        if let tls = request.tls { parts.append(try gil.tlsExtension(tls)) } else { parts.append(gil.none()) }
        return try make(parts, gil)
    }
}

extension GIL {
    /// The ASGI `tls` extension's dict for a connection (ASGI's TLS extension, 0.2), with the
    /// name the client asked for (SNI) as `server_name`.
    func tlsExtension(_ tls: TLSConnectionInfo) throws(PythonError) -> PyOwned {
        let info = try dict()
        try setItem(info, "server_cert", none())
        var chain = CallArguments(capacity: tls.clientCertificateChain.count)
        for certificate in tls.clientCertificateChain { chain.append(try str(certificate)) }
        try setItem(info, "client_cert_chain", try list(chain))
        try setItem(info, "client_cert_name", try tls.clientCertificateName.map { text throws(PythonError) in try str(text) } ?? none())
        try setItem(info, "client_cert_error", try tls.clientCertificateError.map { text throws(PythonError) in try str(text) } ?? none())
        try setItem(info, "tls_version", try int(tls.version))
        try setItem(info, "cipher_suite", try int(tls.cipherSuite))
        try setItem(info, "server_name", try tls.serverName.map { text throws(PythonError) in try str(text) } ?? none())
        return info
    }
}
