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

/// A libuv call that fails only when it is misused (a handle used after its close, an argument
/// out of range): its failure is a bug here, stopped at once with the call's name rather than
/// left to corrupt what follows.
@inline(__always)
func uvExpect(_ result: Int32, _ call: StaticString, file: StaticString = #fileID, line: UInt = #line) {
    if result < 0 { preconditionFailure("\(call) failed: \(UVError(code: result))", file: file, line: line) }
}

/// Every libuv return code goes through here (or `uvExpect`): negative values are errors.
@inline(__always)
@discardableResult
func uvCheck(_ result: Int32) throws(UVError) -> Int32 {
    if result < 0 { throw UVError(code: result) }
    return result
}
