internal import CPython

/// Arguments for one vectorcall: owned references, released when the call is done.
package struct CallArguments: ~Copyable {
    var pointers: [UnsafeMutablePointer<PyObject>?] = []

    package init(capacity: Int) {
        pointers.reserveCapacity(capacity)
    }

    package mutating func append(_ value: consuming PyOwned) {
        pointers.append(value.take())
    }

    /// Appends a new reference to a stored object.
    package mutating func append(_ ref: PyObjectRef) {
        apus_incref(ref.pointer)
        pointers.append(ref.pointer)
    }

    package var count: Int { pointers.count }

    deinit {
        for pointer in pointers { apus_xdecref(pointer) }
    }
}

/// What one step of a coroutine produced.
package enum CoroutineStep: ~Copyable {
    /// It returned: the value.
    case returned(PyOwned)
    /// It suspended, yielding this (an asyncio future).
    case suspended(PyOwned)
}

extension GIL {
    /// `callable(**dict(zip(keywordNames, arguments)))`, all arguments passed by keyword.
    package func call(_ callable: PyObjectRef, keywords arguments: consuming CallArguments, names: PyObjectRef) throws(PythonError) -> PyOwned {
        let keywordNames = arguments.count == 0 ? nil : names.pointer
        let result = arguments.pointers.withUnsafeMutableBufferPointer {
            PyObject_Vectorcall(callable.pointer, $0.baseAddress, 0, keywordNames)
        }
        return try PyOwned(result, self)
    }

    /// Calls `callable(*arguments)`.
    package func call(_ callable: PyObjectRef, positional arguments: consuming CallArguments) throws(PythonError) -> PyOwned {
        let result = arguments.pointers.withUnsafeMutableBufferPointer {
            PyObject_Vectorcall(callable.pointer, $0.baseAddress, $0.count, nil)
        }
        return try PyOwned(result, self)
    }

    /// A tuple of `str`, e.g. the keyword names of a plan.
    package func stringTuple(_ strings: [String]) throws(PythonError) -> PyObjectRef {
        let tuple = try PyOwned(PyTuple_New(strings.count), self)
        for (i, text) in strings.enumerated() {
            // Interned, so keyword matching in the callee is a pointer comparison.
            let item = try PyOwned(PyUnicode_InternFromString(text), self)
            apus_tuple_set(tuple.pointer, i, item.take())
        }
        return tuple.share()
    }

    /// Runs one step of a coroutine (`coro.send(None)`).
    package func step(_ coroutine: borrowing PyOwned) throws(PythonError) -> CoroutineStep {
        var result: UnsafeMutablePointer<PyObject>?
        switch PyIter_Send(coroutine.pointer, apus_none(), &result) {
        case PYGEN_RETURN: return .returned(PyOwned(owned: result!))
        case PYGEN_NEXT: return .suspended(PyOwned(owned: result!))
        default: throw PythonError.fetch(self)
        }
    }

    package func isCoroutine(_ object: borrowing PyOwned) -> Bool {
        apus_is_coroutine(object.pointer) != 0
    }
}
