/// permessage-deflate (RFC 7692): what a client offers, what the server accepts, and the
/// parameters both sides then keep to.
///
/// The server keeps websockets' (uvicorn's backend's) defaults for memory: it compresses with a
/// 4 KiB window (`server_max_window_bits=12`) and memory level 5, and asks a client that lets it
/// choose for the same window. A client that insists on a 256-byte window
/// (`server_max_window_bits=8`) is declined for that offer: zlib's raw deflate cannot make one.
public struct PerMessageDeflate: Sendable, Equatable {
    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    /// The window the server compresses with.
    public var serverMaxWindowBits = 12
    /// The client's window, if the response names one (the client offered the parameter);
    /// nil: up to 15.
    public var clientMaxWindowBits: Int?

    /// The server's preferred window.
    static let defaultWindowBits = 12

    /// The first acceptable `permessage-deflate` offer of the request's
    /// `Sec-WebSocket-Extensions` values, or nil (the session is then uncompressed).
    static func negotiate(_ headerValues: [String]) -> PerMessageDeflate? {
        for offer in headerValues.flatMap(splitOutsideQuotes(separator: ",")) {
            if let accepted = accept(offer) { return accepted }
        }
        return nil
    }

    /// The `Sec-WebSocket-Extensions` value of the 101.
    var responseValue: String {
        var value = "permessage-deflate"
        if serverNoContextTakeover { value += "; server_no_context_takeover" }
        if clientNoContextTakeover { value += "; client_no_context_takeover" }
        value += "; server_max_window_bits=\(serverMaxWindowBits)"
        if let clientMaxWindowBits { value += "; client_max_window_bits=\(clientMaxWindowBits)" }
        return value
    }

    private static func accept(_ offer: String) -> PerMessageDeflate? {
        let parts = splitOutsideQuotes(separator: ";")(offer).map(trim)
        guard parts.first?.lowercased() == "permessage-deflate" else { return nil }
        var accepted = PerMessageDeflate()
        var seen: Set<String> = []
        for parameter in parts.dropFirst() {
            let pieces = parameter.split(separator: "=", maxSplits: 1).map { trim(String($0)) }
            let name = pieces[0].lowercased()
            var value = pieces.count > 1 ? pieces[1] : nil
            if let quoted = value, quoted.count >= 2, quoted.hasPrefix("\""), quoted.hasSuffix("\"") {
                value = String(quoted.dropFirst().dropLast())
            }
            guard seen.insert(name).inserted else { return nil }  // a parameter twice: invalid
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
                accepted.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                accepted.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = value.flatMap(windowBits), bits >= 9 else { return nil }
                accepted.serverMaxWindowBits = min(bits, defaultWindowBits)
            case "client_max_window_bits":
                if let value {
                    guard let bits = windowBits(value) else { return nil }
                    accepted.clientMaxWindowBits = min(bits, defaultWindowBits)
                } else {
                    accepted.clientMaxWindowBits = defaultWindowBits
                }
            default:
                return nil
            }
        }
        return accepted
    }

    /// 8-15, written without a sign or leading zero.
    private static func windowBits(_ text: String) -> Int? {
        guard let first = text.first, first != "0", text.allSatisfy(\.isASCII), let bits = Int(text), (8...15).contains(bits)
        else { return nil }
        return bits
    }

    private static func splitOutsideQuotes(separator: Character) -> (String) -> [String] {
        { text in
            var parts: [String] = []
            var current = ""
            var quoted = false
            for character in text {
                if character == "\"" { quoted.toggle() }
                if character == separator && !quoted {
                    parts.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            parts.append(current)
            return parts.map(trim).filter { !$0.isEmpty }
        }
    }

    private static func trim(_ text: String) -> String {
        var view = Substring(text)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
