internal import CPython
#if canImport(Glibc)
internal import Glibc
#endif

/// Python callables implemented in Swift: `f(arg)` runs a Swift closure with the GIL held.
/// Used for callbacks Python code makes into the runtime (a finished asyncio task, a wake-up).
extension GIL {
    package typealias SwiftFunctionBody = (borrowing GIL, consuming PyOwned) throws(PythonError) -> PyOwned

    package func makeFunction(_ body: @escaping SwiftFunctionBody) throws(PythonError) -> PyObjectRef {
        let box = Unmanaged.passRetained(SwiftFunctionBox(body)).toOpaque()
        let capsule = try PyOwned(PyCapsule_New(box, SwiftFunctionBox.capsuleName) { capsule in
            // SAFETY: the capsule holds the retained box created above; this runs once.
            let raw = PyCapsule_GetPointer(capsule, SwiftFunctionBox.capsuleName)!
            Unmanaged<SwiftFunctionBox>.fromOpaque(raw).release()
        }, self)
        return try PyOwned(PyCFunction_NewEx(SwiftFunctionBox.methodDefinition, capsule.pointer, nil), self).share()
    }
}

private final class SwiftFunctionBox {
    /// CPython keeps this pointer (it does not copy the name), so it must live forever.
    package nonisolated(unsafe) static let capsuleName: UnsafePointer<CChar> = UnsafePointer(strdup("apus.swift_function")!)

    /// One method definition serves every Swift function; the capsule says which closure runs.
    package nonisolated(unsafe) static let methodDefinition: UnsafeMutablePointer<PyMethodDef> = {
        let definition = UnsafeMutablePointer<PyMethodDef>.allocate(capacity: 1)
        definition.initialize(to: PyMethodDef(
            ml_name: strdup("swift_function"),
            ml_meth: { capsule, argument in
                let raw = PyCapsule_GetPointer(capsule, SwiftFunctionBox.capsuleName)!
                let box = Unmanaged<SwiftFunctionBox>.fromOpaque(raw).takeUnretainedValue()
                return box.invoke(argument ?? apus_none())
            },
            ml_flags: METH_O,
            ml_doc: nil))
        return definition
    }()

    package let body: GIL.SwiftFunctionBody

    package init(_ body: @escaping GIL.SwiftFunctionBody) {
        self.body = body
    }

    /// Called by CPython, so the GIL is held.
    package func invoke(_ argument: UnsafeMutablePointer<PyObject>) -> UnsafeMutablePointer<PyObject>? {
        GILMark.holding(true) {
            let gil = GIL.assumeHeld()
            do throws(PythonError) {
                apus_incref(argument)
                return try body(gil, PyOwned(owned: argument)).take()
            } catch {
                restore(error)
                return nil
            }
        }
    }

    private func restore(_ error: PythonError) {
        if let exception = error.exception {
            apus_incref(exception.pointer)
            PyErr_SetObject(apus_exception_class(exception.pointer), exception.pointer)
            apus_decref(exception.pointer)
        } else {
            PyErr_SetString(apus_runtime_error_type(), error.message)
        }
    }
}
