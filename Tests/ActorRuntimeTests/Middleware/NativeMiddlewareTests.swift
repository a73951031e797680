@testable import ApusHTTP
@testable import ApusMiddleware
import Testing

/// The rules of the middleware Apus runs itself, without sockets. (That they match Starlette's
/// byte for byte is tested over real sockets against the app's own stack, in e2e.)
@Suite struct NativeMiddlewareTests {
    private func head(_ method: String = "GET", _ fields: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(method: method, target: "/", version: .http1_1, headers: HTTPHeaders(fields),
                        framing: .none, keepAlive: true, expectsContinue: false)
    }

    private let cors = CORSPolicy(allowAllOrigins: false, allowOrigins: ["https://a.example"], allowCredentials: true,
                                  simpleHeaders: [("Access-Control-Allow-Credentials", "true")])
    private let gzip = GZipPolicy(minimumSize: 10, compressLevel: 6, excludedContentTypes: ["image/png", "video/*"])

    @Test func setReplacesTheFirstFieldInPlaceAndDropsTheOthers() {
        var list = HeaderList([("vary", "A"), ("x", "1"), ("vary", "B")])
        list.append(toList: "vary", "Origin")
        #expect(list.fields.map { "\($0.name)=\($0.value)" } == ["vary=A, B, Origin", "x=1"])
        list.set("y", "2")
        list.remove("x")
        #expect(list.fields.map(\.name) == ["vary", "y"])
    }

    @Test func corsAddsHeadersOnlyForAnAllowedOriginAndVaryAlways() {
        var allowed = HeaderList([("content-type", "text/plain")])
        cors.rewrite(&allowed, origin: "https://a.example")
        #expect(allowed.fields.map(\.name) == ["content-type", "access-control-allow-credentials", "access-control-allow-origin", "vary"])
        var stranger = HeaderList([])
        cors.rewrite(&stranger, origin: "https://b.example")
        #expect(stranger.first("access-control-allow-origin") == nil && stranger.first("vary") == "Origin")
        var none = HeaderList([])
        cors.rewrite(&none, origin: nil)
        #expect(none.fields.map(\.name) == ["vary"])
    }

    @Test func preflightsUntrustedHostsAndPlainHTTPAreLeftToTheApp() {
        let chain = MiddlewareChain([.cors(cors), .trustedHost(TrustedHostPolicy(allowedHosts: ["*.example.com"], allowAny: false))])
        let preflight = head("OPTIONS", [("host", "api.example.com"), ("origin", "https://a.example"), ("access-control-request-method", "GET")])
        #expect(!chain.passes(preflight, scheme: "http"))
        #expect(chain.passes(head("OPTIONS", [("host", "api.example.com:80"), ("origin", "https://a.example")]), scheme: "http"))
        #expect(!chain.passes(head("GET", [("host", "example.com")]), scheme: "http"))
        #expect(!chain.passes(head("GET", [("host", "[::1]")]), scheme: "http"))
        let https = MiddlewareChain([.httpsRedirect])
        #expect(!https.passes(head("GET", [("host", "x")]), scheme: "http") && https.passes(head("GET", [("host", "x")]), scheme: "https"))
    }

    @Test func gzipCompressesLargeBodiesForClientsThatAccept() {
        var responder = gzip.responder(for: head("GET", [("accept-encoding", "gzip")]))
        var headers = HeaderList([("content-length", "40"), ("content-type", "text/plain")])
        var body = Array(String(repeating: "abcd", count: 10).utf8)
        responder.start(status: 200, &headers, &body, more: false)
        #expect(headers.first("content-encoding") == "gzip" && headers.first("vary") == "Accept-Encoding")
        #expect(headers.first("content-length") == String(body.count) && body.starts(with: [0x1f, 0x8b]))
    }

    @Test(arguments: [(200, "image/png", 40), (200, "video/mp4; codecs=x", 40), (206, "text/plain", 40), (200, "text/plain", 5)])
    func gzipLeavesSomeResponsesAlone(status: Int, contentType: String, size: Int) {
        var responder = gzip.responder(for: head("GET", [("accept-encoding", "gzip")]))
        var headers = HeaderList([("content-type", contentType)])
        var body = [UInt8](repeating: 65, count: size)
        responder.start(status: status, &headers, &body, more: false)
        #expect(headers.fields.count == 1 && body == [UInt8](repeating: 65, count: size))
    }

    @Test func gzipStreamsPieceByPieceAndIdentityOnlyAddsVary() {
        var responder = gzip.responder(for: head("GET", [("accept-encoding", "gzip")]))
        var headers = HeaderList([("content-length", "99")])
        var first = Array("hello ".utf8)
        responder.start(status: 200, &headers, &first, more: true)
        var last = Array("world".utf8)
        responder.next(&last, more: false)
        #expect(headers.first("content-length") == nil && headers.first("content-encoding") == "gzip")
        #expect(!first.isEmpty && !last.isEmpty)

        var identity = gzip.responder(for: head())
        var plain = HeaderList([])
        var body = [UInt8](repeating: 66, count: 40)
        identity.start(status: 200, &plain, &body, more: false)
        #expect(plain.fields.map(\.name) == ["vary"] && body.count == 40)
    }

    @Test func pythonStripsLatin1Whitespace() {
        #expect(PythonText.strip("\u{A0}\t text/html \u{85}") == "text/html")
        #expect(PythonText.strip("   ") == "")
    }
}
