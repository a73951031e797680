@testable import ApusHTTP
import Testing

@Suite struct HTTPRequestHardeningTests {
    private func outcome(_ raw: String) -> Int? {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        Array(raw.utf8).withUnsafeBytes { decoder.feed($0) }
        do {
            while try decoder.next() != nil {}
            return nil
        } catch {
            return error.status
        }
    }

    /// A chunk-size line may not carry more extension bytes than a head may hold: the body limit
    /// must bound what is read (the class of CVE-2024-22019).
    @Test func chunkExtensionsAreCapped() {
        let within = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "a", count: 1_000) + "\r\nx\r\n0\r\n\r\n"
        #expect(outcome(within) == nil)
        let beyond = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "a", count: 20_000) + "\r\nx\r\n0\r\n\r\n"
        #expect(outcome(beyond) == 400)
    }

    @Test(arguments: ["example.com", "example.com:8080", "127.0.0.1:80", "[::1]:8000", "[fe80::1]", "", "xn--bcher-kva.example", "a_b.local"])
    func validHosts(_ host: String) {
        #expect(outcome("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") == nil)
    }

    @Test(arguments: ["a b", "exa mple.com", "host:port", "[::1", "x/y", "a@b", "example.com:80:80", "[zz::1]"])
    func invalidHosts(_ host: String) {
        #expect(outcome("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") == 400)
    }

    @Test func ianaReasonPhrases() {
        #expect(HTTPStatus.reason(418) == "I'm a teapot")
        #expect(HTTPStatus.reason(451) == "Unavailable For Legal Reasons")
        #expect(HTTPStatus.reason(299) == "Unknown")
    }
}

