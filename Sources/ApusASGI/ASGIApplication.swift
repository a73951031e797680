public import ApusPython
package import ApusHTTP
/// An ASGI 3 application and what the runtime needs to run it, looked up once: the Python
/// `Server` of `apus._asgi_host` (app, `root_path`, lifespan state), the app's `Lifespan`, and
/// the helpers the runtime calls back into.
public final class ASGIApplication: Sendable {
    public struct Options: Sendable {
        /// `--root-path`: the prefix a proxy strips before the app sees the path.
        public var rootPath = ""
        /// `--lifespan auto|on|off`.
        public var lifespan = "auto"
        /// Driven by the TestClient: see `apus._asgi_host.Server`.
        public var testing = false
        /// Peers whose `X-Forwarded-Proto`/`X-Forwarded-For` set the scope's scheme and client
        /// (`--forwarded-allow-ips`); nil: proxy headers are not read.
        public var forwardedAllowIPs: String?
        /// The scope's `scheme` on the server's sockets: `https` with TLS.
        public var scheme = "http"

        public init() {}
    }

    public let app: PyObjectRef
    /// The `apus._asgi_host.Server`: builds scopes, for the app and for plans.
    package let server: PyObjectRef
    let handle: PyObjectRef
    /// `Server.handle_websocket`, and `_websocket_host.received` and `send_done` for what the
    /// session hands it.
    let handleWebSocket: PyObjectRef
    let webSocketReceived: PyObjectRef
    let webSocketSendDone: PyObjectRef
    let resume: PyObjectRef
    let disconnected: PyObjectRef
    let lifespan: PyObjectRef
    let runLifespanPhase: PyObjectRef
    /// Served for the TestClient, whose `apus-testclient` header carries the request's scheme.
    let testing: Bool
    /// `Options.scheme`.
    let serverScheme: String
    /// The named tuple each request is handed to Python as.
    let requestParts: StructSequenceType

    /// Takes the GIL itself; for hosts that do not hold it.
    public static func make(app: PyObjectRef, options: Options) throws(PythonError) -> ASGIApplication {
        let made = Python.withGIL { gil in
            Result { () throws(PythonError) in try ASGIApplication(app: app, options: options, state: nil, gil) }
        }
        return try made.get()
    }

    /// `state`: the lifespan state dict to share (the TestClient's `app_state`), or nil for a
    /// new one.
    package init(app: PyObjectRef, options: Options, state: PyObjectRef?, _ gil: borrowing GIL) throws(PythonError) {
        self.app = app
        testing = options.testing
        serverScheme = options.scheme
        requestParts = try RequestParts.type(gil)
        let host = try gil.importModule("apus._asgi_host")
        let lifespanModule = try gil.importModule("apus._lifespan")
        var lifespanArguments = CallArguments(capacity: 3)
        lifespanArguments.append(app)
        lifespanArguments.append(try gil.str(options.lifespan))
        if let state { lifespanArguments.append(state) } else { lifespanArguments.append(gil.none()) }
        let lifespan = try gil.call(try gil.attribute(lifespanModule, "Lifespan").share(), positional: lifespanArguments).share()
        var serverArguments = CallArguments(capacity: 6)
        serverArguments.append(app)
        serverArguments.append(try gil.str(options.rootPath))
        serverArguments.append(try gil.attribute(lifespan, "state"))
        serverArguments.append(gil.bool(options.testing))
        if let allowed = options.forwardedAllowIPs { serverArguments.append(try gil.str(allowed)) } else { serverArguments.append(gil.none()) }
        serverArguments.append(try gil.str(options.scheme))
        let server = try gil.call(try gil.attribute(host, "Server").share(), positional: serverArguments).share()
        self.lifespan = lifespan
        self.server = server
        handle = try gil.attribute(server, "handle").share()
        handleWebSocket = try gil.attribute(server, "handle_websocket").share()
        let webSocketHost = try gil.importModule("apus._websocket_host")
        webSocketReceived = try gil.attribute(webSocketHost, "received").share()
        webSocketSendDone = try gil.attribute(webSocketHost, "send_done").share()
        resume = try gil.attribute(host, "resume").share()
        disconnected = try gil.attribute(host, "disconnected").share()
        runLifespanPhase = try gil.attribute(lifespanModule, "run_phase").share()
    }

    /// The URL scheme of a request: the server's (`http`, or `https` with TLS); for the
    /// TestClient, the one its base URL names (the first word of its `apus-testclient` header).
    package func scheme(of head: HTTPRequestHead) -> String {
        guard testing, let value = head.headers["apus-testclient"] else { return serverScheme }
        return value.split(separator: " ", maxSplits: 1).first.map(String.init) ?? serverScheme
    }
}
