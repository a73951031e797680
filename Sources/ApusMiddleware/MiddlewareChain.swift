public import ApusHTTP

/// One of the Starlette middleware Apus runs itself.
public enum NativeMiddleware: Sendable {
    case cors(CORSPolicy)
    case gzip(GZipPolicy)
    case trustedHost(TrustedHostPolicy)
    case httpsRedirect
}

/// An app's middleware, outermost first, run around its planned routes without the ASGI
/// stack. The rule that keeps it exact: a request that any layer would answer itself (a CORS
/// preflight, an untrusted host, a redirect to https) is not planned at all — the app serves it
/// through its own middleware. Every other request reaches the route, and its response is
/// rewritten by each layer in turn, innermost first, as the layers' `send` would rewrite it.
public struct MiddlewareChain: Sendable {
    public let layers: [NativeMiddleware]

    public init(_ layers: [NativeMiddleware]) {
        self.layers = layers
    }

    /// The layers as Starlette names them, outermost first.
    public var names: String {
        layers.map { layer in
            switch layer {
            case .cors: "CORSMiddleware"
            case .gzip: "GZipMiddleware"
            case .trustedHost: "TrustedHostMiddleware"
            case .httpsRedirect: "HTTPSRedirectMiddleware"
            }
        }.joined(separator: ", ")
    }

    /// Whether every layer hands the request to the route unchanged. `scheme`: the request's
    /// URL scheme (`http` on a plain socket).
    public func passes(_ head: HTTPRequestHead, scheme: String) -> Bool {
        layers.allSatisfy { layer in
            switch layer {
            case .cors(let policy): !policy.isPreflight(head)
            case .gzip: true
            case .trustedHost(let policy): policy.passes(head)
            case .httpsRedirect: scheme != "http" && scheme != "ws"
            }
        }
    }

    /// The rewriting of one response to the request `head`.
    public func rewriter(for head: HTTPRequestHead) -> ResponseRewriter {
        ResponseRewriter(steps: layers.reversed().compactMap { layer in
            switch layer {
            case .cors(let policy): .cors(policy, origin: head.headers["origin"])
            case .gzip(let policy): .gzip(policy.responder(for: head))
            case .trustedHost, .httpsRedirect: nil
            }
        })
    }
}

/// What the layers do to one response: its head and first body, then the later pieces of a
/// streamed body.
public struct ResponseRewriter: Sendable {
    enum Step: Sendable {
        case cors(CORSPolicy, origin: String?)
        case gzip(GZipResponder)
    }

    private var steps: [Step]

    init(steps: [Step]) {
        self.steps = steps
    }

    /// The response's start with its first body; `more`: a streamed body follows.
    public mutating func start(status: Int, _ headers: inout HTTPHeaders, _ body: inout [UInt8], more: Bool) {
        var list = HeaderList(headers)
        for index in steps.indices {
            switch steps[index] {
            case .cors(let policy, let origin):
                policy.rewrite(&list, origin: origin)
            case .gzip(var responder):
                responder.start(status: status, &list, &body, more: more)
                steps[index] = .gzip(responder)
            }
        }
        headers = list.headers
    }

    /// A later piece of a streamed body; `more`: not the last.
    public mutating func next(_ body: inout [UInt8], more: Bool) {
        for index in steps.indices {
            guard case .gzip(var responder) = steps[index] else { continue }
            responder.next(&body, more: more)
            steps[index] = .gzip(responder)
        }
    }
}
