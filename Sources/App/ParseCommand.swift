import ActorRuntime
import ArgumentParser
import FoundationEssentials

/// `apus debug-parse`: runs the HTTP request decoder over raw byte streams and prints what it
/// made of them, one JSON object per input. Used by the differential test against llhttp.
/// Input: JSON lines `{"id": <int>, "data": "<base64>"}` on stdin.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-parse",
        abstract: "Decode raw HTTP requests from stdin (JSON lines) and print the result.",
        shouldDisplay: false
    )

    struct Input: Decodable {
        let id: Int
        let data: String
    }

    struct Message: Encodable {
        let method: String
        let target: String
        let version: String
        let headers: [[String]]
        let body: String
        let keep_alive: Bool
    }

    struct Output: Encodable {
        let id: Int
        let messages: [Message]
        var incomplete: Bool?
        var error: Int?
        var reason: String?
    }

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        while let line = readLine() {
            guard let input = try? JSONDecoder().decode(Input.self, from: Data(line.utf8)),
                  let data = Data(base64Encoded: input.data)
            else { throw ValidationError("each line must be {\"id\": <int>, \"data\": base64}") }
            let output = decode(Array(data), id: input.id)
            print(String(decoding: try encoder.encode(output), as: UTF8.self))
        }
    }

    private func decode(_ bytes: [UInt8], id: Int) -> Output {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        bytes.withUnsafeBytes { decoder.feed($0) }
        var messages: [Message] = []
        var head: HTTPRequestHead?
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let parsed):
                    head = parsed
                case .body(let body):
                    guard let current = head else { continue }
                    messages.append(Message(
                        method: current.method, target: current.target, version: current.version.text,
                        headers: current.headers.map { [$0.name, $0.value] }, body: Data(body).base64EncodedString(),
                        keep_alive: current.keepAlive))
                    head = nil
                    // A connection closes after a message that is not keep-alive; what follows is never read.
                    if !current.keepAlive { return Output(id: id, messages: messages, incomplete: false) }
                }
            }
        } catch {
            return Output(id: id, messages: messages, error: error.status, reason: error.reason)
        }
        return Output(id: id, messages: messages, incomplete: decoder.bufferedByteCount > 0 || head != nil)
    }
}
