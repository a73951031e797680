import ActorRuntime
import ArgumentParser
import Foundation

/// `apus debug-parse`: runs the HTTP request decoder over raw byte streams and prints what it
/// made of them, one JSON object per input. Used by the differential test against llhttp.
/// Input: JSON lines `{"id": ..., "data": "<base64>"}` on stdin.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-parse",
        abstract: "Decode raw HTTP requests from stdin (JSON lines) and print the result.",
        shouldDisplay: false
    )

    func run() throws {
        while let line = readLine() {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let encoded = object["data"] as? String, let data = Data(base64Encoded: encoded)
            else { throw ValidationError("each line must be {\"id\":..., \"data\": base64}") }
            var result = decode(Array(data))
            result["id"] = object["id"]
            let output = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: output, as: UTF8.self))
        }
    }

    private func decode(_ bytes: [UInt8]) -> [String: Any] {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        bytes.withUnsafeBytes { decoder.feed($0) }
        var messages: [[String: Any]] = []
        var head: HTTPRequestHead?
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let parsed):
                    head = parsed
                case .body(let body):
                    guard let current = head else { continue }
                    messages.append([
                        "method": current.method,
                        "target": current.target,
                        "version": current.version.text,
                        "headers": current.headers.map { [$0.name, $0.value] },
                        "body": Data(body).base64EncodedString(),
                        "keep_alive": current.keepAlive,
                    ])
                    head = nil
                    // A connection closes after a message that is not keep-alive; what follows is never read.
                    if !current.keepAlive { return ["messages": messages, "incomplete": false] }
                }
            }
        } catch {
            return ["messages": messages, "error": error.status, "reason": error.reason]
        }
        return ["messages": messages, "incomplete": decoder.bufferedByteCount > 0 || head != nil]
    }
}
