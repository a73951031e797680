internal import ApusHTTP
internal import FoundationEssentials

/// Who may use the admin API (`/_fn/...`). It exists only when `APUS_ADMIN_TOKEN` is set; every
/// request must then carry that token (`x-fn-admin-token`, FastFN's header, or `authorization:
/// Bearer`), and by default come from this machine: a loopback address or a Unix socket, with no
/// `forwarded` or `x-forwarded-for` header (a proxy on this machine relays others' requests).
/// `APUS_ADMIN_LOCAL_ONLY=0` lets other machines in, with the token.
struct AdminAccess: Sendable {
    let token: [UInt8]
    let localOnly: Bool

    /// nil: the admin API is off.
    static func fromEnvironment() -> AdminAccess? {
        let environment = ProcessInfo.processInfo.environment
        guard let token = environment["APUS_ADMIN_TOKEN"], !token.isEmpty else { return nil }
        let local = (environment["APUS_ADMIN_LOCAL_ONLY"] ?? "1").lowercased()
        return AdminAccess(token: Array(token.utf8), localOnly: !["0", "false", "no", "off"].contains(local))
    }

    /// Why `request` may not use the API (403 or 401), or nil if it may.
    func refusal(for request: HTTPRequest) -> HTTPResponse? {
        if localOnly && !Self.isLocal(request) {
            return .json(#"{"error":"admin api local-only"}"#, status: 403)
        }
        guard let given = Self.presentedToken(request), Self.equalInConstantTime(given, token) else {
            return .json(#"{"error":"admin token required"}"#, status: 401)
        }
        return nil
    }

    private static func presentedToken(_ request: HTTPRequest) -> [UInt8]? {
        if let token = request.headers["x-fn-admin-token"] { return Array(token.utf8) }
        guard let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        return Array(authorization.dropFirst("bearer ".count).utf8)
    }

    static func isLocal(_ request: HTTPRequest) -> Bool {
        if request.headers["forwarded"] != nil || request.headers["x-forwarded-for"] != nil { return false }
        var address = Substring(request.client)
        if address.hasPrefix("[") {
            address = address.dropFirst().prefix { $0 != "]" }
        } else if let colon = address.lastIndex(of: ":") {
            address = address[..<colon]
        }
        if address.isEmpty || address == "-" { return true }  // a Unix socket
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }

    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
