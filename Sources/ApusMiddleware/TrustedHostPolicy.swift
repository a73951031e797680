internal import ApusHTTP

/// Starlette's `TrustedHostMiddleware`, for the requests it lets through: a `Host` of plain
/// name characters (and a port) whose lower-cased name is allowed, exactly or by a `*.` suffix
/// pattern. Anything else — a rejection, a `www.` redirect, an IP literal — is the
/// middleware's own answer, so it is left to the app's.
public struct TrustedHostPolicy: Sendable {
    /// `allowed_hosts`, lower-cased as the middleware keeps them.
    public var allowedHosts: [String]
    public var allowAny: Bool

    public init(allowedHosts: [String], allowAny: Bool) {
        self.allowedHosts = allowedHosts
        self.allowAny = allowAny
    }

    func passes(_ head: HTTPRequestHead) -> Bool {
        if allowAny { return true }
        guard let value = head.headers["host"], let host = Self.plainHost(value)?.lowercased() else { return false }
        return allowedHosts.contains { pattern in
            host == pattern || pattern.hasPrefix("*") && host.hasSuffix(pattern.dropFirst())
        }
    }

    /// The name part of `name[:port]` when the name is made of the characters Starlette's
    /// host pattern accepts outside brackets, else nil.
    static func plainHost(_ value: String) -> Substring? {
        let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty, name.utf8.allSatisfy(isNameByte) else { return nil }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                return nil
            }
        }
        return name
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "._~%!$&'()*+,;=-".utf8.contains(byte)
        }
    }
}
