/// What Python gets for each request it serves (the ASGI app's `Server.handle`, a plan's `run`
/// or `start`): a named tuple (`apus._contract.RequestParts`) whose fields are
/// `apus._contract.REQUEST_PARTS_FIELDS`. The package's list is checked against this one when the
/// type is made, so a binary and an `apus` package of different versions refuse to start rather
/// than read each other's fields wrongly.
enum RequestParts {
    static let fields = [
        "method", "http_version", "path", "raw_path", "query_string", "headers", "client", "server", "path_params",
        "more_body",
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
