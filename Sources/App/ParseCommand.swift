import ActorRuntime
import ArgumentParser

/// `apus debug-parse`: runs the HTTP request decoder over raw byte streams and prints what it
/// made of them, one JSON object per input. Used by the differential test against llhttp.
/// Input: lines `{"id": <int>, "data": "<base64>"}` on stdin (as `json.dumps` writes them).
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-parse",
        abstract: "Decode raw HTTP requests from stdin (JSON lines) and print the result.",
        shouldDisplay: false
    )

    func run() throws {
        while let line = readLine() {
            guard let (id, data) = Self.input(line), let bytes = Base64.decode(data) else {
                throw ValidationError("each line must be {\"id\": <int>, \"data\": \"<base64>\"}")
            }
            print(decode(bytes, id: id))
        }
    }

    /// The id and base64 text of an input line.
    static func input(_ line: String) -> (Int, Substring)? {
        guard let idKey = line.firstRange(of: "\"id\": "), let dataKey = line.firstRange(of: "\"data\": \"") else { return nil }
        let idText = line[idKey.upperBound...].prefix { $0.isNumber || $0 == "-" }
        let data = line[dataKey.upperBound...].prefix { $0 != "\"" }
        guard let id = Int(idText) else { return nil }
        return (id, data)
    }

    /// The decoder's result as a JSON object, keys sorted.
    private func decode(_ bytes: [UInt8], id: Int) -> String {
        var decoder = HTTPRequestDecoder(limits: HTTPLimits())
        bytes.withUnsafeBytes { decoder.feed($0) }
        var messages: [String] = []
        var head: HTTPRequestHead?
        func result(_ fields: [(String, String)]) -> String {
            let all = fields + [("id", String(id)), ("messages", "[" + messages.joined(separator: ",") + "]")]
            return "{" + all.sorted { $0.0 < $1.0 }.map { "\(JSONText.quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        }
        do {
            while let event = try decoder.next() {
                switch event {
                case .head(let parsed):
                    head = parsed
                case .body(let body):
                    guard let current = head else { continue }
                    let headers = current.headers.map { "[\(JSONText.quoted($0.name)),\(JSONText.quoted($0.value))]" }
                    messages.append("{" + [
                        "\"body\":\(JSONText.quoted(Base64.encode(body)))",
                        "\"headers\":[\(headers.joined(separator: ","))]",
                        "\"keep_alive\":\(current.keepAlive)",
                        "\"method\":\(JSONText.quoted(current.method))",
                        "\"target\":\(JSONText.quoted(current.target))",
                        "\"version\":\(JSONText.quoted(current.version.text))",
                    ].joined(separator: ",") + "}")
                    head = nil
                    // A connection closes after a message that is not keep-alive; what follows is never read.
                    if !current.keepAlive { return result([("incomplete", "false")]) }
                }
            }
        } catch {
            return result([("error", String(error.status)), ("reason", JSONText.quoted(error.reason))])
        }
        return result([("incomplete", String(decoder.bufferedByteCount > 0 || head != nil))])
    }
}

/// Standard base64 (RFC 4648, with padding), for the debug command's byte streams.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode<Text: StringProtocol>(_ text: Text) -> [UInt8]? {
        var out: [UInt8] = []
        var value = 0
        var bits = 0
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            value = value << 6 | digit
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((value >> bits) & 0xFF))
            }
        }
        return out
    }
}
