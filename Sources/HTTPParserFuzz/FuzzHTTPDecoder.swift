import ApusHTTP
import FuzzDriver

/// libFuzzer entry point (`make fuzz`). Properties checked on every input:
/// - the decoder never crashes, whatever the bytes;
/// - the outcome does not depend on how the bytes are split into reads;
/// - no body exceeds the limit and no head has more fields than allowed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var limits = HTTPLimits()
    limits.maxHeadBytes = 1024
    limits.maxHeaderCount = 20
    limits.maxBodyBytes = 2048
    let whole = decode(bytes, step: max(size, 1), limits: limits)
    let split = decode(bytes, step: 1 + size % 7, limits: limits)
    let bytewise = decode(bytes, step: 1, limits: limits)
    precondition(whole == split && whole == bytewise, "outcome depends on read boundaries:\n\(whole)\n\(split)\n\(bytewise)")
    return 0
}

private func decode(_ bytes: UnsafeRawBufferPointer, step: Int, limits: HTTPLimits) -> [String] {
    var decoder = HTTPRequestDecoder(limits: limits)
    var outcome: [String] = []
    var offset = 0
    repeat {
        let end = min(bytes.count, offset + step)
        decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[offset..<end]))
        offset = end
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let head):
                    precondition(head.headers.count <= limits.maxHeaderCount)
                    outcome.append("head \(head.method) \(head.target) \(head.version) \(head.headers.map { "\($0.name)=\($0.value)" }) \(head.framing) \(head.keepAlive)")
                case .body(let body):
                    precondition(body.count <= limits.maxBodyBytes)
                    outcome.append("body \(body)")
                }
            }
        } catch {
            outcome.append("error \(error.status)")
            return outcome
        }
    } while offset < bytes.count
    return outcome
}

@_cdecl("HTTPParserFuzz_main")
func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv) { data, size in fuzzHTTPDecoder(data!, size) }
}
