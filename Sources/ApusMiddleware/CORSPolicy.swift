internal import ApusHTTP

/// Starlette's `CORSMiddleware` (1.10) for the requests it lets through: an `Origin` gets the
/// allow headers, and every response gets `Vary: Origin` added as Starlette adds it. A preflight
/// (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is the middleware's own answer,
/// so it is left to the app's. Origins given by regex are not taken (Python's `re` decides
/// those), see `NativeMiddlewareSpec`.
public struct CORSPolicy: Sendable {
    public var allowAllOrigins: Bool
    public var allowOrigins: [String]
    public var allowCredentials: Bool
    /// `simple_headers`, in the middleware's order.
    public var simpleHeaders: [(name: String, value: String)]

    public init(allowAllOrigins: Bool, allowOrigins: [String], allowCredentials: Bool,
                simpleHeaders: [(name: String, value: String)]) {
        self.allowAllOrigins = allowAllOrigins
        self.allowOrigins = allowOrigins
        self.allowCredentials = allowCredentials
        self.simpleHeaders = simpleHeaders
    }

    func isPreflight(_ head: HTTPRequestHead) -> Bool {
        head.method == "OPTIONS" && head.headers["origin"] != nil && head.headers["access-control-request-method"] != nil
    }

    func isAllowed(origin: String) -> Bool {
        allowAllOrigins || allowOrigins.contains(origin)
    }

    /// The middleware's `send` for `http.response.start`.
    func rewrite(_ headers: inout HeaderList, origin: String?) {
        if origin != nil {
            for field in simpleHeaders { headers.set(field.name.lowercased(), field.value) }
        }
        if let origin, allowAllOrigins && allowCredentials || !allowAllOrigins && isAllowed(origin: origin) {
            headers.set("access-control-allow-origin", origin)
        }
        headers.append(toList: "vary", "Origin")
    }
}
