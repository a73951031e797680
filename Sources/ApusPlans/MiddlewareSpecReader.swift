internal import ApusPython
internal import ApusMiddleware

/// Reads one `apus.plans.native_middleware.MiddlewareSpec` into the layer the runtime runs,
/// checking every field's type: a spec of another shape fails the start, naming the field.
struct MiddlewareSpecReader {
    let spec: PyObjectRef

    func read(_ gil: borrowing GIL) throws(PythonError) -> NativeMiddleware {
        switch try text("kind", gil) {
        case "cors":
            return .cors(CORSPolicy(
                allowAllOrigins: try flag("allow_all_origins", gil), allowOrigins: try texts("allow_origins", gil),
                allowCredentials: try flag("allow_credentials", gil), simpleHeaders: try pairs("simple_headers", gil)))
        case "gzip":
            return .gzip(GZipPolicy(
                minimumSize: try number("minimum_size", gil), compressLevel: try number("compress_level", gil),
                excludedContentTypes: try texts("exclude_content_types", gil)))
        case "trusted_host":
            return .trustedHost(TrustedHostPolicy(
                allowedHosts: try texts("allowed_hosts", gil), allowAny: try flag("allow_any", gil)))
        case "https_redirect":
            return .httpsRedirect
        case let kind:
            throw .runtime("middleware spec of unknown kind \(kind)")
        }
    }

    private func text(_ name: String, _ gil: borrowing GIL) throws(PythonError) -> String {
        guard let value = gil.swiftString(try gil.attribute(spec, name)) else { throw mistyped(name, "a str") }
        return value
    }

    private func flag(_ name: String, _ gil: borrowing GIL) throws(PythonError) -> Bool {
        guard let value = gil.swiftBool(try gil.attribute(spec, name)) else { throw mistyped(name, "a bool") }
        return value
    }

    private func number(_ name: String, _ gil: borrowing GIL) throws(PythonError) -> Int {
        guard let value = gil.exactInt(try gil.attribute(spec, name)) else { throw mistyped(name, "an int") }
        return value
    }

    private func texts(_ name: String, _ gil: borrowing GIL) throws(PythonError) -> [String] {
        var values: [String] = []
        for item in try gil.items(try gil.attribute(spec, name)) {
            guard let value = gil.swiftString(item) else { throw mistyped(name, "a list of str") }
            values.append(value)
        }
        return values
    }

    private func pairs(_ name: String, _ gil: borrowing GIL) throws(PythonError) -> [(name: String, value: String)] {
        var values: [(name: String, value: String)] = []
        for item in try gil.items(try gil.attribute(spec, name)) {
            let pair = try gil.items(gil.owned(item))
            guard pair.count == 2, let key = gil.swiftString(pair[0]), let value = gil.swiftString(pair[1]) else {
                throw mistyped(name, "a list of (str, str)")
            }
            values.append((key, value))
        }
        return values
    }

    private func mistyped(_ name: String, _ expected: String) -> PythonError {
        .runtime("middleware spec field \(name) is not \(expected)")
    }
}
