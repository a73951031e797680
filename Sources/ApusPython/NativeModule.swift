internal import CPython

/// A module implemented in Swift: its functions are Swift closures (see `makeFunction`).
/// The runtime has one such module, `_apus`; its definition is set once, before it is imported
/// (a C init function cannot carry context, so the definition lives here).
package enum NativeModule {
    package typealias Function = (name: String, body: GIL.SwiftFunctionBody)
    package struct Definition {
        let name: String
        let doc: String
        let functions: [Function]

        package init(name: String, doc: String, functions: [Function]) {
            self.name = name
            self.doc = doc
            self.functions = functions
        }
    }

    nonisolated(unsafe) private static var definition: Definition?

    /// Registers `definition` as a built-in module of the interpreter about to start.
    package static func registerBuiltin(_ definition: Definition) {
        self.definition = definition
        PythonInterpreter.addBuiltinModule(definition.name) { NativeModule.initializeRegistered() }
    }

    /// The module object for an extension's `PyInit_<name>`.
    package static func initialize(_ definition: Definition) -> OpaquePointer? {
        self.definition = definition
        return initializeRegistered().map { OpaquePointer($0) }
    }

    private static func initializeRegistered() -> UnsafeMutablePointer<PyObject>? {
        guard let definition else { return nil }
        return create(name: definition.name, doc: definition.doc, functions: definition.functions)
    }

    /// Creates the module object; called by CPython's import machinery with the GIL held.
    private static func create(name: String, doc: String, functions: [Function]) -> UnsafeMutablePointer<PyObject>? {
        GILMark.holding(true) { createHoldingGIL(name: name, doc: doc, functions: functions) }
    }

    private static func createHoldingGIL(name: String, doc: String, functions: [Function]) -> UnsafeMutablePointer<PyObject>? {
        let gil = GIL.assumeHeld()
        let definition = UnsafeMutablePointer<PyModuleDef>.allocate(capacity: 1)
        // The definition must outlive the module: it is never freed.
        apus_module_def_init(definition, strdup(name), strdup(doc), nil)
        guard let module = PyModule_Create2(definition, PYTHON_API_VERSION) else { return nil }
        do throws(PythonError) {
            for function in functions {
                let object = try gil.makeFunction(function.body)
                guard PyModule_AddObjectRef(module, function.name, object.pointer) == 0 else {
                    throw PythonError.fetch(gil)
                }
            }
        } catch {
            apus_decref(module)
            PyErr_SetString(apus_runtime_error_type(), "cannot create module \(name): \(error)")
            return nil
        }
        return module
    }
}
