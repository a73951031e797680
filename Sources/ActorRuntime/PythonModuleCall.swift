/// Calls into Python for a host built on the runtime (a functions tree is loaded by
/// `apus.functions`): a module's function called with text or objects, and text read back,
/// without object pointers or the GIL token leaving the runtime.
public enum PythonModuleCall {
    public enum Argument: Sendable {
        case text(String)
        case object(PyObjectRef)
        case flag(Bool)
        case none
    }

    /// `module.function(*arguments)`.
    public static func call(_ module: String, _ function: String, _ arguments: [Argument]) throws(PythonError) -> PyObjectRef {
        try Python.withGIL { gil in
            Result { () throws(PythonError) in
                let callable = try gil.attribute(try gil.importModule(module), function).share()
                var values = CallArguments(capacity: arguments.count)
                for argument in arguments {
                    switch argument {
                    case .text(let text): values.append(try gil.str(text))
                    case .object(let object): values.append(object)
                    case .flag(let flag): values.append(gil.bool(flag))
                    case .none: values.append(gil.none())
                    }
                }
                return try gil.call(callable, positional: values).share()
            }
        }.get()
    }

    /// `module.function(*arguments)`, which must return a str.
    public static func text(_ module: String, _ function: String, _ arguments: [Argument]) throws(PythonError) -> String {
        let result = try call(module, function, arguments)
        return try Python.withGIL { gil in
            Result { () throws(PythonError) in
                guard let text = gil.swiftString(result) else { throw .runtime("\(module).\(function)() did not return a str") }
                return text
            }
        }.get()
    }

    /// `object.name`.
    public static func attribute(_ object: PyObjectRef, _ name: String) throws(PythonError) -> PyObjectRef {
        try Python.withGIL { gil in
            Result { () throws(PythonError) in try gil.attribute(object, name).share() }
        }.get()
    }

    /// `object.method()`, which must return a str.
    public static func text(_ object: PyObjectRef, method: String) throws(PythonError) -> String {
        try Python.withGIL { gil in
            Result { () throws(PythonError) in
                let result = try gil.call(try gil.attribute(object, method).share())
                guard let text = gil.swiftString(result) else { throw .runtime("\(method)() did not return a str") }
                return text
            }
        }.get()
    }
}
