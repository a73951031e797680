internal import CPython

extension GIL {
    /// Runs `body` in a new, empty `contextvars` context, left when `body` returns. An executor
    /// job runs so: what the app sets in a context variable while serving one request (a request
    /// id, a current user) stays with that request, as it stays with the request's task under an
    /// asyncio server, instead of staying on the thread for the next request it serves.
    package func inNewContext<R>(_ body: () throws -> R) rethrows -> R {
        guard let context = PyContext_New() else {
            PyErr_Clear()
            return try body()
        }
        defer { Py_DecRef(context) }
        guard PyContext_Enter(context) == 0 else {
            PyErr_Clear()
            return try body()
        }
        defer {
            if PyContext_Exit(context) != 0 { PyErr_Clear() }
        }
        return try body()
    }
}
