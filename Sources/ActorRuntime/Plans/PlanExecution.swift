public import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// What a plan needs from one request, extracted on the loop thread.
public struct PlanInput: Sendable {
    public var pathParameters: [String: String]
    public var query: String
    public var body: [UInt8]
    public var contentType: String?

    public init(pathParameters: [String: String], query: String, body: [UInt8], contentType: String?) {
        self.pathParameters = pathParameters
        self.query = query
        self.body = body
        self.contentType = contentType
    }

    /// FastAPI reads a body as JSON when there is no content type or it is JSON (`+json` too);
    /// any other body reaches the model as bytes, which it refuses.
    var bodyIsJSON: Bool {
        guard let contentType else { return true }
        let media = contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: " \t").lowercased() } ?? ""
        return media == "application/json" || (media.hasPrefix("application/") && media.hasSuffix("+json"))
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

/// What a plan produced: the parts of an HTTP response.
public struct PlanOutput: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
}

/// Python objects every plan execution uses, looked up once.
public final class PlanRuntime: Sendable {
    let orjsonDumps: PyObjectRef
    let toJSON: PyObjectRef
    let responseType: PyObjectRef
    let httpExceptionType: PyObjectRef
    let startTask: PyObjectRef
    let schedule: PyObjectRef
    /// `asyncio.Task.done` and `.result`, called with the task (no bound method per request).
    let taskDone: PyObjectRef
    let taskResult: PyObjectRef
    /// Run an `async def` handler's first step at once (true) or one loop iteration later.
    let eagerCoroutines: Bool
    let logger: Logger
    /// Called with every unhandled handler exception (the TestClient re-raises them in the test).
    let exceptionSink: PyObjectRef?

    init(_ gil: borrowing GIL, logger: Logger, exceptionSink: PyObjectRef?) throws(PythonError) {
        orjsonDumps = try gil.attribute(try gil.importModule("orjson"), "dumps").share()
        toJSON = try gil.attribute(try gil.importModule("apus._encoders"), "to_json").share()
        responseType = try gil.attribute(try gil.importModule("apus.responses"), "Response").share()
        httpExceptionType = try gil.attribute(try gil.importModule("apus.exceptions"), "HTTPException").share()
        let host = try gil.importModule("apus._asyncio_host")
        startTask = try gil.attribute(host, "start").share()
        schedule = try gil.attribute(host, "schedule").share()
        let taskType = try gil.attribute(try gil.importModule("asyncio"), "Task")
        taskDone = try gil.attribute(taskType, "done").share()
        taskResult = try gil.attribute(taskType, "result").share()
        eagerCoroutines = (getenv("APUS_ASYNC_EAGER").map { String(cString: $0) } ?? "1") != "0"
        self.logger = logger
        self.exceptionSink = exceptionSink
    }

    /// Loads an app's plans and the shared helpers, on any thread.
    public static func load(
        app: PyObjectRef, logger: Logger, exceptionSink: PyObjectRef? = nil
    ) throws(PythonError) -> (PlanRuntime, [RoutePlan]) {
        let loaded = Python.withGIL { gil in
            Result { () throws(PythonError) in
                (try PlanRuntime(gil, logger: logger, exceptionSink: exceptionSink), try RoutePlan.load(app: app, gil))
            }
        }
        return try loaded.get()
    }
}

extension RoutePlan {
    /// Runs a plan for a `def` handler: arguments, call, response. Never throws: failures
    /// become 422, HTTPException's status, or 500 with the traceback logged.
    func execute(_ input: PlanInput, _ runtime: PlanRuntime, _ gil: borrowing GIL) -> PlanOutput {
        do throws(PythonError) {
            guard let arguments = try arguments(input, gil) else {
                return try validationFailure(input, gil)
            }
            let result = try gil.call(endpoint, keywords: arguments, names: keywordNames)
            return try render(result, runtime, gil)
        } catch {
            return failure(error, runtime, gil)
        }
    }

    /// Builds the keyword arguments, or nil if any parameter is missing or invalid.
    func arguments(_ input: PlanInput, _ gil: borrowing GIL) throws(PythonError) -> CallArguments? {
        var arguments = CallArguments(capacity: parameters.count)
        let query = takesQuery ? QueryString.parse(input.query) : []
        for parameter in parameters {
            let raw: String?
            switch parameter.source {
            case .path: raw = input.pathParameters[parameter.name]
            case .query: raw = query.last { $0.name == parameter.name }?.value
            case .body: raw = nil
            }
            if parameter.source == .body {
                guard !input.body.isEmpty else {
                    if parameter.required { return nil }
                    arguments.append(parameter.defaultValue)
                    continue
                }
                guard input.bodyIsJSON else { return nil }
                guard let value = try slowConvert(parameter, try gil.bytes(input.body), gil) else { return nil }
                arguments.append(value)
                continue
            }
            guard let raw else {
                if parameter.required { return nil }
                arguments.append(parameter.defaultValue)
                continue
            }
            if let value = try NativeConversion.convert(raw, parameter.kind, gil) {
                arguments.append(value)
            } else {
                guard let value = try slowConvert(parameter, try gil.str(raw), gil) else { return nil }
                arguments.append(value)
            }
        }
        return arguments
    }

    /// pydantic; nil when it refuses the value (the 422 body is built separately).
    private func slowConvert(_ parameter: Parameter, _ raw: consuming PyOwned, _ gil: borrowing GIL) throws(PythonError) -> PyOwned? {
        do {
            return try gil.call(parameter.convert, raw)
        } catch {
            return nil
        }
    }

    func validationFailure(_ input: PlanInput, _ gil: borrowing GIL) throws(PythonError) -> PlanOutput {
        let errorBody = try gil.attribute(python, "error_body").share()
        var arguments = CallArguments(capacity: 4)
        let pathDict = try gil.stringDict(input.pathParameters)
        arguments.append(pathDict)
        arguments.append(try gil.pairList(QueryString.parse(input.query)))
        arguments.append(try gil.bytes(input.body))
        arguments.append(try input.contentType.map { text throws(PythonError) in try gil.str(text) } ?? gil.none())
        let body = try gil.call(errorBody, positional: arguments)
        return PlanOutput(status: 422, headers: [("content-type", "application/json")], body: gil.swiftBytes(body) ?? [])
    }

    /// Turns a handler's return value into a response.
    func render(_ result: consuming PyOwned, _ runtime: PlanRuntime, _ gil: borrowing GIL) throws(PythonError) -> PlanOutput {
        if gil.isInstance(result, runtime.responseType) {
            return try ResponseObject.read(result, gil)
        }
        if let responseClass {
            // FastAPI: `response_class(content)` for a value that is not a Response already.
            var arguments = CallArguments(capacity: 1)
            arguments.append(result)
            let response = try gil.call(responseClass, positional: arguments)
            var output = try ResponseObject.read(response, gil)
            if output.status == 200 { output.status = statusCode }
            return output
        }
        let json: PyOwned
        if let responseModel, let responseSerializer, let responseValidate {
            // FastAPI validates a returned value against the response model (so extra fields of
            // a dict are dropped) unless it is already an instance.
            let value = gil.isInstance(result, responseModel) ? result : try gil.call(responseValidate, result)
            json = try gil.call(responseSerializer, value)
        } else {
            do {
                json = try gil.call(runtime.orjsonDumps, result)
            } catch {
                json = try gil.call(runtime.toJSON, result)
            }
        }
        return PlanOutput(status: statusCode, headers: [("content-type", "application/json")], body: gil.swiftBytes(json) ?? [])
    }

    func failure(_ error: PythonError, _ runtime: PlanRuntime, _ gil: borrowing GIL) -> PlanOutput {
        if let exception = error.exception, gil.isInstance(gil.owned(exception), runtime.httpExceptionType),
           let output = try? ResponseObject.httpException(exception, runtime, gil) {
            return output
        }
        runtime.logger.error("Exception in \(name) (\(methods.joined(separator: ",")) \(path)):\n\(error.formattedTraceback(gil))")
        if let sink = runtime.exceptionSink, let exception = error.exception {
            _ = try? gil.call(sink, gil.owned(exception))
        }
        return PlanOutput(status: 500, headers: [("content-type", "text/plain; charset=utf-8")], body: Array("Internal Server Error".utf8))
    }
}
