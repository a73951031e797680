internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// An IPv4 or IPv6 socket address, resolved once at bind time.
struct SocketAddress: CustomStringConvertible {
    var storage: sockaddr_storage

    init(_ storage: sockaddr_storage) { self.storage = storage }

    /// Parses a numeric address, or resolves a host name ("localhost") with getaddrinfo.
    init(host: String, port: Int) throws(UVError) {
        storage = sockaddr_storage()
        let rc4 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(host, Int32(port), $0) }
        }
        if rc4 == 0 { return }
        let rc6 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(host, Int32(port), $0) }
        }
        if rc6 == 0 { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw UVError(code: Int32(UV_EAI_NONAME.rawValue))
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { dest in
            dest.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    var port: Int {
        withUnsafePointer(to: storage) { raw in
            if family == AF_INET6 {
                return raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    var ip: String {
        var text = [CChar](repeating: 0, count: 64)
        withUnsafePointer(to: storage) { raw in
            if family == AF_INET6 {
                _ = raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_name($0, &text, text.count) }
            } else {
                _ = raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_name($0, &text, text.count) }
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var description: String { family == AF_INET6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
    }
}
