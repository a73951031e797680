/// Finding and loading a Python app object from "module:attribute", as uvicorn does.
public enum PythonApp {
    public enum LoadError: Error, CustomStringConvertible {
        case badTarget(String)
        case missingAttribute(module: String, attribute: String)
        case moduleNotFound(String)
        case python(String)

        public var description: String {
            switch self {
            case .badTarget(let target):
                "invalid app target \"\(target)\": expected \"module:attribute\", e.g. main:app"
            case .missingAttribute(let module, let attribute):
                "attribute \"\(attribute)\" not found in module \"\(module)\""
            case .moduleNotFound(let module):
                "could not import module \"\(module)\""
            case .python(let traceback):
                traceback
            }
        }
    }

    /// Imports the module, resolves the (dotted) attribute, and calls it with `factory`.
    public static func load(_ target: String, factory: Bool) throws(LoadError) -> PyObjectRef {
        let parts = target.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw .badTarget(target) }
        let loaded = Python.withGIL { gil -> Result<PyObjectRef, LoadError> in
            do throws(PythonError) {
                var object = try gil.importModule(parts[0]).share()
                for name in parts[1].split(separator: ".") {
                    guard gil.hasAttribute(object, String(name)) else {
                        return .failure(.missingAttribute(module: parts[0], attribute: parts[1]))
                    }
                    object = try gil.attribute(object, String(name)).share()
                }
                if factory { object = try gil.call(object).share() }
                return .success(object)
            } catch {
                // The app's module itself is missing (not something it imports): one line.
                if error.typeName == "ModuleNotFoundError", let exception = error.exception,
                   let name = try? gil.attribute(exception, "name"), let missing = gil.swiftString(name),
                   parts[0] == missing || parts[0].hasPrefix(missing + ".") {
                    return .failure(.moduleNotFound(parts[0]))
                }
                return .failure(.python(error.formattedTraceback(gil)))
            }
        }
        return try loaded.get()
    }
}
