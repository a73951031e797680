/// Reading the Python objects that stand for responses: `apus.responses.Response` (and
/// subclasses) and `HTTPException`.
enum ResponseObject {
    /// `status_code`, `raw_headers` and the rendered `body` of a Response.
    static func read(_ response: borrowing PyOwned, _ gil: borrowing GIL) throws(PythonError) -> PlanOutput {
        let status = gil.swiftInt(try gil.attribute(response, "status_code")) ?? 200
        let headers = try gil.stringPairs(try gil.attribute(response, "raw_headers"))
        let body = gil.swiftBytes(try gil.attribute(response, "body")) ?? []
        return PlanOutput(status: status, headers: headers, body: body)
    }

    /// `{"detail": ...}` with the exception's status and headers, as FastAPI answers.
    static func httpException(_ exception: PyObjectRef, _ runtime: PlanRuntime, _ gil: borrowing GIL) throws(PythonError) -> PlanOutput {
        let status = gil.swiftInt(try gil.attribute(exception, "status_code")) ?? 500
        let detail = try gil.attribute(exception, "detail")
        let wrapper = try gil.stringDict([:])
        try gil.setItem(wrapper, "detail", detail)
        let json = try gil.call(runtime.toJSON, wrapper)
        var headers: [(name: String, value: String)] = []
        let extra = try gil.attribute(exception, "headers")
        if !gil.isNone(extra) { headers = try gil.stringPairs(extra) }
        if !HTTPStatus.allowsBody(status) {
            return PlanOutput(status: status, headers: headers, body: [])
        }
        return PlanOutput(status: status, headers: headers + [("content-type", "application/json")], body: gil.swiftBytes(json) ?? [])
    }
}
