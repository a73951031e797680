internal import ApusHTTP
internal import CPython

/// Conversions between Swift values and Python objects. All of them need the GIL, so they are
/// methods of the token: `gil.str("x")`.
extension GIL {
    package func str(_ text: String) throws(PythonError) -> PyOwned {
        var text = text
        let object = text.withUTF8 { PyUnicode_FromStringAndSize(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), $0.count) }
        return try PyOwned(object, self)
    }

    package func int(_ value: Int) throws(PythonError) -> PyOwned {
        try PyOwned(PyLong_FromLongLong(Int64(value)), self)
    }

    package func float(_ value: Double) throws(PythonError) -> PyOwned {
        try PyOwned(PyFloat_FromDouble(value), self)
    }

    package func bool(_ value: Bool) -> PyOwned {
        let object = value ? apus_true()! : apus_false()!
        apus_incref(object)
        return PyOwned(owned: object)
    }

    package func none() -> PyOwned {
        let object = apus_none()!
        apus_incref(object)
        return PyOwned(owned: object)
    }

    package func bytes(_ value: [UInt8]) throws(PythonError) -> PyOwned {
        let object = value.withUnsafeBytes {
            PyBytes_FromStringAndSize($0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count)
        }
        return try PyOwned(object, self)
    }

    /// A new reference to a stored object.
    package func owned(_ ref: PyObjectRef) -> PyOwned {
        apus_incref(ref.pointer)
        return PyOwned(owned: ref.pointer)
    }

    // MARK: reading

    /// The UTF-8 text of a `str`, or nil if the object is not one.
    func swiftString(_ object: UnsafeMutablePointer<PyObject>) -> String? {
        guard apus_is_str(object) != 0 else { return nil }
        var size = 0
        guard let data = PyUnicode_AsUTF8AndSize(object, &size) else {
            PyErr_Clear()
            return nil
        }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
    }

    package func swiftString(_ object: borrowing PyOwned) -> String? { swiftString(object.pointer) }
    package func swiftString(_ object: PyObjectRef) -> String? { swiftString(object.pointer) }

    package func swiftBytes(_ object: borrowing PyOwned) -> [UInt8]? {
        guard apus_is_bytes(object.pointer) != 0 else { return nil }
        return Array(UnsafeRawBufferPointer(start: apus_bytes_data(object.pointer), count: apus_bytes_size(object.pointer)))
    }

    package func swiftInt(_ object: borrowing PyOwned) -> Int? {
        let value = PyLong_AsLongLong(object.pointer)
        if value == -1 && PyErr_Occurred() != nil {
            PyErr_Clear()
            return nil
        }
        return Int(value)
    }

    package func isTrue(_ object: borrowing PyOwned) -> Bool { PyObject_IsTrue(object.pointer) == 1 }

    /// The value of a `bool`, or nil if the object is not one.
    package func swiftBool(_ object: borrowing PyOwned) -> Bool? {
        apus_is_bool(object.pointer) != 0 ? isTrue(object) : nil
    }

    /// The value of an `int` (exactly, not a `bool`), or nil.
    package func exactInt(_ object: borrowing PyOwned) -> Int? {
        apus_is_long(object.pointer) != 0 ? swiftInt(object) : nil
    }
    package func isNone(_ object: borrowing PyOwned) -> Bool { apus_is_none(object.pointer) != 0 }
    package func isNone(_ object: PyObjectRef) -> Bool { apus_is_none(object.pointer) != 0 }

    // MARK: objects

    package func attribute(_ object: borrowing PyOwned, _ name: String) throws(PythonError) -> PyOwned {
        try PyOwned(PyObject_GetAttrString(object.pointer, name), self)
    }

    package func attribute(_ object: PyObjectRef, _ name: String) throws(PythonError) -> PyOwned {
        try PyOwned(PyObject_GetAttrString(object.pointer, name), self)
    }

    package func setAttribute(_ object: borrowing PyOwned, _ name: String, _ value: PyObjectRef) throws(PythonError) {
        guard PyObject_SetAttrString(object.pointer, name, value.pointer) == 0 else { throw PythonError.fetch(self) }
    }

    package func importModule(_ name: String) throws(PythonError) -> PyOwned {
        try PyOwned(PyImport_ImportModule(name), self)
    }

    /// Items of a list or tuple, as new references.
    package func items(_ sequence: borrowing PyOwned) throws(PythonError) -> [PyObjectRef] {
        let fast = try PyOwned(PySequence_Fast(sequence.pointer, "expected a sequence"), self)
        let count = PySequence_Size(fast.pointer)
        var items: [PyObjectRef] = []
        items.reserveCapacity(count)
        for i in 0..<count {
            let item = apus_is_list(fast.pointer) != 0 ? apus_list_item(fast.pointer, i)! : apus_tuple_item(fast.pointer, i)!
            items.append(PyObjectRef(borrowed: item, self))
        }
        return items
    }

    /// Calls `callable(*args)`.
    package func call(_ callable: PyObjectRef, _ args: [PyObjectRef] = []) throws(PythonError) -> PyOwned {
        var pointers: [UnsafeMutablePointer<PyObject>?] = args.map(\.pointer)
        let result = pointers.withUnsafeMutableBufferPointer {
            PyObject_Vectorcall(callable.pointer, $0.baseAddress, $0.count, nil)
        }
        return try PyOwned(result, self)
    }

    package func call(_ callable: PyObjectRef, _ arg: borrowing PyOwned) throws(PythonError) -> PyOwned {
        try PyOwned(PyObject_CallOneArg(callable.pointer, arg.pointer), self)
    }

    /// Whether both are the same object (Python's `is`).
    package func isSame(_ stored: PyObjectRef, _ object: borrowing PyOwned) -> Bool { stored.pointer == object.pointer }

    /// Whether `object`'s type is `type` itself (no subclass).
    package func hasExactType(_ object: borrowing PyOwned, _ type: PyObjectRef) -> Bool {
        apus_type_of(object.pointer) == type.pointer
    }

    package func isInstance(_ object: borrowing PyOwned, _ type: PyObjectRef) -> Bool {
        PyObject_IsInstance(object.pointer, type.pointer) == 1
    }
}

extension GIL {
    /// A `dict[str, str]`.
    package func stringDict(_ values: [String: String]) throws(PythonError) -> PyOwned {
        let dict = try PyOwned(PyDict_New(), self)
        for (key, value) in values {
            let k = try str(key)
            let v = try str(value)
            guard PyDict_SetItem(dict.pointer, k.pointer, v.pointer) == 0 else { throw PythonError.fetch(self) }
        }
        return dict
    }

    /// A `list[tuple[str, str]]`.
    package func pairList(_ pairs: [(name: String, value: String)]) throws(PythonError) -> PyOwned {
        let list = try PyOwned(PyList_New(pairs.count), self)
        for (i, pair) in pairs.enumerated() {
            let tuple = try PyOwned(PyTuple_New(2), self)
            apus_tuple_set(tuple.pointer, 0, try str(pair.name).take())
            apus_tuple_set(tuple.pointer, 1, try str(pair.value).take())
            PyList_SetItem(list.pointer, i, tuple.take())
        }
        return list
    }

    /// Reads an iterable of 2-tuples of `str` (or a dict's items) into Swift pairs.
    package func stringPairs(_ object: borrowing PyOwned) throws(PythonError) -> [(name: String, value: String)] {
        let iterable = apus_is_dict(object.pointer) != 0
            ? try PyOwned(PyDict_Items(object.pointer), self)
            : try PyOwned(apus_new_ref(object.pointer), self)
        let sequence = try PyOwned(PySequence_Fast(iterable.pointer, "headers must be a sequence of pairs"), self)
        let isList = apus_is_list(sequence.pointer) != 0
        let count = PySequence_Size(sequence.pointer)
        var pairs: [(name: String, value: String)] = []
        pairs.reserveCapacity(count)
        for index in 0..<count {
            // Borrowed: the sequence holds the item for this scope.
            let item = isList ? apus_list_item(sequence.pointer, index)! : apus_tuple_item(sequence.pointer, index)!
            pairs.append(try stringPair(item))
        }
        return pairs
    }

    /// A `(name, value)` header pair; ASGI allows any two-item iterable, and tuples and lists
    /// are what apps send.
    private func stringPair(_ item: UnsafeMutablePointer<PyObject>) throws(PythonError) -> (name: String, value: String) {
        if apus_is_tuple(item) != 0, apus_tuple_size(item) == 2,
           let name = stringOrBytes(apus_tuple_item(item, 0)), let value = stringOrBytes(apus_tuple_item(item, 1)) {
            return (name, value)
        }
        let pair = try PyOwned(PySequence_Fast(item, "headers must be (name, value) pairs"), self)
        guard PySequence_Size(pair.pointer) == 2 else { throw .runtime("headers must be (name, value) pairs") }
        let isList = apus_is_list(pair.pointer) != 0
        let first = isList ? apus_list_item(pair.pointer, 0) : apus_tuple_item(pair.pointer, 0)
        let second = isList ? apus_list_item(pair.pointer, 1) : apus_tuple_item(pair.pointer, 1)
        guard let name = stringOrBytes(first), let value = stringOrBytes(second)
        else { throw .runtime("headers must be (name, value) pairs of bytes or str") }
        return (name, value)
    }

    private func stringOrBytes(_ object: UnsafeMutablePointer<PyObject>?) -> String? {
        guard let object else { return nil }
        if apus_is_bytes(object) != 0 {
            return Latin1.string(UnsafeRawBufferPointer(start: apus_bytes_data(object), count: apus_bytes_size(object)))
        }
        return swiftString(object)
    }
}


extension GIL {
    package func setItem(_ dict: borrowing PyOwned, _ key: String, _ value: borrowing PyOwned) throws(PythonError) {
        let k = try str(key)
        guard PyDict_SetItem(dict.pointer, k.pointer, value.pointer) == 0 else { throw PythonError.fetch(self) }
    }

    /// `dict[key] = value`, with a key made once (`internedStr`).
    package func setItem(_ dict: borrowing PyOwned, _ key: PyObjectRef, _ value: borrowing PyOwned) throws(PythonError) {
        guard PyDict_SetItem(dict.pointer, key.pointer, value.pointer) == 0 else { throw PythonError.fetch(self) }
    }

    package func dict() throws(PythonError) -> PyOwned {
        try PyOwned(PyDict_New(), self)
    }

    /// A shallow copy of a dict (`{**d}`).
    package func dictCopy(_ dict: PyObjectRef) throws(PythonError) -> PyOwned {
        try PyOwned(PyDict_Copy(dict.pointer), self)
    }

    /// `dict.update(other)`.
    package func update(_ dict: borrowing PyOwned, with other: borrowing PyOwned) throws(PythonError) {
        if PyDict_Update(dict.pointer, other.pointer) != 0 { throw PythonError.fetch(self) }
    }

    /// `json.loads(text)`.
    package func loadsJSON(_ text: String) throws(PythonError) -> PyOwned {
        let loads = try attribute(try importModule("json"), "loads")
        let argument = try str(text)
        let result = PyObject_CallOneArg(loads.pointer, argument.pointer)
        _ = consume argument
        return try PyOwned(result, self)
    }

    /// A `list[str]`.
    package func stringList(_ strings: [String]) throws(PythonError) -> PyOwned {
        var items = CallArguments(capacity: strings.count)
        for string in strings { items.append(try str(string)) }
        return try list(items)
    }

    /// An interned `str`, for a dict key used on every request: made once, hashed once.
    package func internedStr(_ text: String) throws(PythonError) -> PyObjectRef {
        try PyOwned(PyUnicode_InternFromString(text), self).share()
    }
}

extension GIL {
    /// `mapping[key]`, or nil when the key is absent.
    package func item(_ mapping: borrowing PyOwned, _ key: String) -> PyOwned? {
        guard let value = PyDict_GetItemString(mapping.pointer, key) else { return nil }
        apus_incref(value)
        return PyOwned(owned: value)
    }

    /// `dict[key]` for a key made once (`internedStr`), or nil when the key is absent.
    package func item(_ dict: borrowing PyOwned, _ key: PyObjectRef) -> PyOwned? {
        guard let value = PyDict_GetItemWithError(dict.pointer, key.pointer) else {
            PyErr_Clear()  // a str key's hash and comparison cannot fail
            return nil
        }
        apus_incref(value)
        return PyOwned(owned: value)
    }

    /// A tuple of the given objects.
    package func tuple(_ items: consuming CallArguments) throws(PythonError) -> PyOwned {
        let tuple = try PyOwned(PyTuple_New(items.count), self)
        for i in 0..<items.count {
            apus_incref(items.pointers[i]!)
            apus_tuple_set(tuple.pointer, i, items.pointers[i]!)
        }
        return tuple
    }

    package func swiftDouble(_ object: borrowing PyOwned) -> Double? {
        let value = PyFloat_AsDouble(object.pointer)
        if value == -1, PyErr_Occurred() != nil {
            PyErr_Clear()
            return nil
        }
        return value
    }
}
