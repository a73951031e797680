internal import CPython
#if canImport(Glibc)
internal import Glibc
#endif

/// A named tuple type the runtime makes (CPython's struct sequence): Python reads its items by
/// name (`parts.path_params`), and the runtime fills one as cheaply as a tuple. Made once per
/// process, with the GIL; its names and description live as long as the type.
package final class StructSequenceType: @unchecked Sendable {
    package let type: PyObjectRef
    package let fields: [String]

    package init(name: String, doc: String, fields: [String], _ gil: borrowing GIL) throws(PythonError) {
        let described = UnsafeMutablePointer<PyStructSequence_Field>.allocate(capacity: fields.count + 1)
        for (index, field) in fields.enumerated() {
            described[index] = PyStructSequence_Field(name: UnsafePointer(strdup(field)), doc: nil)
        }
        described[fields.count] = PyStructSequence_Field(name: nil, doc: nil)
        var description = PyStructSequence_Desc(
            name: UnsafePointer(strdup(name)), doc: UnsafePointer(strdup(doc)), fields: described,
            n_in_sequence: Int32(fields.count))
        guard let made = PyStructSequence_NewType(&description) else { throw PythonError.fetch(gil) }
        type = PyObjectRef(owned: UnsafeMutableRawPointer(made).assumingMemoryBound(to: PyObject.self))
        self.fields = fields
    }

    /// An instance holding `items`, one per field, in order.
    package func make(_ items: consuming CallArguments, _ gil: borrowing GIL) throws(PythonError) -> PyOwned {
        precondition(items.count == fields.count, "\(fields.count) fields, \(items.count) items")
        let typeObject = UnsafeMutableRawPointer(type.pointer).assumingMemoryBound(to: PyTypeObject.self)
        let object = try PyOwned(PyStructSequence_New(typeObject), gil)
        for index in 0..<items.count {
            apus_incref(items.pointers[index]!)
            apus_tuple_set(object.pointer, index, items.pointers[index]!)
        }
        return object
    }
}
