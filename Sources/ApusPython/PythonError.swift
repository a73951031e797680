internal import CPython

/// A Python exception taken out of the interpreter's error indicator.
public struct PythonError: Error, CustomStringConvertible, @unchecked Sendable {
    /// The exception instance (normalized, with its traceback attached).
    public let exception: PyObjectRef?
    public let typeName: String
    public let message: String

    public var description: String { message.isEmpty ? typeName : "\(typeName): \(message)" }

    /// Takes the pending exception (there must be one; a NULL without one becomes SystemError).
    package static func fetch(_ gil: borrowing GIL) -> PythonError {
        var type: UnsafeMutablePointer<PyObject>?
        var value: UnsafeMutablePointer<PyObject>?
        var traceback: UnsafeMutablePointer<PyObject>?
        PyErr_Fetch(&type, &value, &traceback)
        guard type != nil else {
            return PythonError(exception: nil, typeName: "SystemError", message: "error return without exception set")
        }
        PyErr_NormalizeException(&type, &value, &traceback)
        if let value, let traceback { PyException_SetTraceback(value, traceback) }
        apus_xdecref(traceback)
        let typeName = type.map { String(cString: UnsafeMutableRawPointer($0).assumingMemoryBound(to: PyTypeObject.self).pointee.tp_name) } ?? "Exception"
        apus_xdecref(type)
        var message = ""
        if let value, let text = PyObject_Str(value) {
            message = gil.swiftString(text) ?? ""
            apus_decref(text)
        }
        PyErr_Clear()
        return PythonError(exception: value.map { PyObjectRef(owned: $0) }, typeName: typeName, message: message)
    }

    /// "Traceback (most recent call last): ..." as Python prints it.
    public func formattedTraceback(_ gil: borrowing GIL) -> String {
        guard let exception else { return description }
        guard let module = PyImport_ImportModule("traceback") else { PyErr_Clear(); return description }
        defer { apus_decref(module) }
        guard let format = PyObject_GetAttrString(module, "format_exception") else { PyErr_Clear(); return description }
        defer { apus_decref(format) }
        guard let lines = PyObject_CallOneArg(format, exception.pointer) else {
            PyErr_Clear()
            return description
        }
        defer { apus_decref(lines) }
        let empty = PyUnicode_FromString("")!
        defer { apus_decref(empty) }
        guard let joined = PyUnicode_Join(empty, lines) else { PyErr_Clear(); return description }
        defer { apus_decref(joined) }
        return gil.swiftString(joined) ?? description
    }

    /// Builds an error from a message, for failures found on the Swift side.
    package static func runtime(_ message: String) -> PythonError {
        PythonError(exception: nil, typeName: "RuntimeError", message: message)
    }
}
