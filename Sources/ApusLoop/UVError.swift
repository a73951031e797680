internal import CLibUV

/// A libuv error code with libuv's own name and message.
public struct UVError: Error, Equatable, CustomStringConvertible, Sendable {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    public var name: String { String(cString: uv_err_name(code)) }
    public var message: String { String(cString: uv_strerror(code)) }
    public var description: String { "\(name): \(message)" }

    public static let addressInUse = UVError(code: Int32(UV_EADDRINUSE.rawValue))
}

/// Every libuv return code goes through here: negative values are errors.
@inline(__always)
@discardableResult
func uvCheck(_ result: Int32) throws(UVError) -> Int32 {
    if result < 0 { throw UVError(code: result) }
    return result
}
