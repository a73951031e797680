internal import CPython

/// An owned reference to a Python object that may be stored and shared between threads (like
/// PyO3's `Py<T>`). It decrefs exactly once, when the last Swift reference goes; without the
/// GIL, the decref waits for the next thread that attaches.
public final class PyObjectRef: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<PyObject>

    /// Takes over a new reference.
    init(owned pointer: UnsafeMutablePointer<PyObject>) {
        self.pointer = pointer
    }

    /// Takes a new reference to a borrowed object.
    init(borrowed pointer: UnsafeMutablePointer<PyObject>, _ gil: borrowing GIL) {
        apus_incref(pointer)
        self.pointer = pointer
    }

    deinit {
        if Python.isGILHeld {
            apus_decref(pointer)
        } else {
            PendingDecrefs.add(pointer)
        }
    }
}

/// An owned reference for the span of one GIL scope: no allocation, decref at end of scope.
package struct PyOwned: ~Copyable {
    let pointer: UnsafeMutablePointer<PyObject>

    /// Takes over a new reference; throws the pending Python exception if `pointer` is NULL.
    init(_ pointer: UnsafeMutablePointer<PyObject>?, _ gil: borrowing GIL) throws(PythonError) {
        guard let pointer else { throw PythonError.fetch(gil) }
        self.pointer = pointer
    }

    init(owned pointer: UnsafeMutablePointer<PyObject>) {
        self.pointer = pointer
    }

    /// Hands the reference to a caller that takes ownership (a "steal").
    consuming func take() -> UnsafeMutablePointer<PyObject> {
        let pointer = self.pointer
        discard self
        return pointer
    }

    /// Keeps the object beyond this scope.
    package consuming func share() -> PyObjectRef {
        PyObjectRef(owned: take())
    }

    deinit {
        if Python.isGILHeld {
            apus_decref(pointer)
        } else {
            PendingDecrefs.add(pointer)
        }
    }
}
