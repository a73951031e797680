package import ApusHTTP
internal import CPython

/// Building tuples and lists, and reading the pieces of messages Python sends to the runtime.
extension GIL {
    /// A list of the given objects.
    package func list(_ items: consuming CallArguments) throws(PythonError) -> PyOwned {
        let list = try PyOwned(PyList_New(items.count), self)
        for i in 0..<items.count {
            apus_incref(items.pointers[i]!)
            // PyList_SetItem steals the reference taken above.
            guard PyList_SetItem(list.pointer, i, items.pointers[i]!) == 0 else { throw PythonError.fetch(self) }
        }
        return list
    }

    /// `bytes` of a string whose characters are all below U+0100, one byte each (header text
    /// read as Latin-1 becomes the bytes that were received).
    package func latin1Bytes(_ text: String) throws(PythonError) -> PyOwned {
        var object: UnsafeMutablePointer<PyObject>?
        Latin1.withBytes(of: text) {
            object = PyBytes_FromStringAndSize(UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), $0.count)
        }
        return try PyOwned(object, self)
    }

    /// ASGI headers: a list of `(name, value)` tuples of bytes, in order.
    package func headerList(_ headers: HTTPHeaders) throws(PythonError) -> PyOwned {
        var items = CallArguments(capacity: headers.count)
        for field in headers {
            var pair = CallArguments(capacity: 2)
            pair.append(try latin1Bytes(field.name))
            pair.append(try latin1Bytes(field.value))
            items.append(try tuple(pair))
        }
        return try list(items)
    }

    /// Item `index` of a tuple (a new reference); throws if out of range or not a tuple.
    package func tupleItem(_ tuple: borrowing PyOwned, _ index: Int) throws(PythonError) -> PyOwned {
        guard apus_is_tuple(tuple.pointer) != 0, index < apus_tuple_size(tuple.pointer) else {
            throw .runtime("expected a tuple of at least \(index + 1) items")
        }
        let item = apus_tuple_item(tuple.pointer, index)!
        apus_incref(item)
        return PyOwned(owned: item)
    }

    /// The bytes of a `bytes`, `bytearray` or `memoryview`.
    package func bufferBytes(_ object: borrowing PyOwned) throws(PythonError) -> [UInt8] {
        if let bytes = swiftBytes(object) { return bytes }
        let converted = try PyOwned(PyBytes_FromObject(object.pointer), self)
        return swiftBytes(converted) ?? []
    }
}

extension GIL {
    package func isTuple(_ object: borrowing PyOwned) -> Bool { apus_is_tuple(object.pointer) != 0 }
    package func isDict(_ object: borrowing PyOwned) -> Bool { apus_is_dict(object.pointer) != 0 }

    package func hasAttribute(_ object: PyObjectRef, _ name: String) -> Bool {
        PyObject_HasAttrString(object.pointer, name) == 1
    }
}
