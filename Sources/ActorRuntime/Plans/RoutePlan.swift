/// The Swift side of an injection plan: read once from the Python `RoutePlan` built when the
/// handler was decorated, then executed per request.
public final class RoutePlan: Sendable {
    enum Source: String, Sendable { case path, query, body }

    /// How a raw string becomes an argument. The scalar kinds are converted natively on the
    /// happy path; anything else, and every failure, goes through pydantic.
    enum Kind: String, Sendable { case int, float, bool, str, other, model }

    struct Parameter: Sendable {
        let name: String
        let source: Source
        let kind: Kind
        let required: Bool
        let defaultValue: PyObjectRef
        /// The slow path, looked up once: `Model.model_validate_json` for a body model, else the
        /// Python `ParamPlan.convert` (pydantic's TypeAdapter).
        let convert: PyObjectRef
    }

    public let methods: [String]
    public let path: String
    public let name: String
    let endpoint: PyObjectRef
    let isCoroutine: Bool
    let parameters: [Parameter]
    /// The parameter names as an interned tuple, for keyword vectorcalls.
    let keywordNames: PyObjectRef
    let statusCode: Int
    /// The declared response model (`-> Model` or `response_model=`), its
    /// `__pydantic_serializer__.to_json`, and `model_validate` for values of other types.
    let responseModel: PyObjectRef?
    let responseSerializer: PyObjectRef?
    let responseValidate: PyObjectRef?
    /// The route's `response_class` when it is not the default JSON rendering.
    let responseClass: PyObjectRef?
    /// The Python plan, for building 422 bodies.
    let python: PyObjectRef

    init(methods: [String], path: String, name: String, endpoint: PyObjectRef, isCoroutine: Bool,
         parameters: [Parameter], keywordNames: PyObjectRef, statusCode: Int,
         responseModel: PyObjectRef?, responseClass: PyObjectRef?, python: PyObjectRef,
         _ gil: borrowing GIL) throws(PythonError) {
        self.methods = methods
        self.path = path
        self.name = name
        self.endpoint = endpoint
        self.isCoroutine = isCoroutine
        self.parameters = parameters
        takesQuery = parameters.contains { $0.source == .query }
        takesBody = parameters.contains { $0.source == .body }
        self.keywordNames = keywordNames
        self.statusCode = statusCode
        self.responseModel = responseModel
        if let responseModel {
            responseSerializer = try gil.attribute(try gil.attribute(responseModel, "__pydantic_serializer__"), "to_json").share()
            responseValidate = try gil.attribute(responseModel, "model_validate").share()
        } else {
            responseSerializer = nil
            responseValidate = nil
        }
        self.responseClass = responseClass
        self.python = python
    }

    /// Whether requests must have their query string parsed, or their body read.
    let takesQuery: Bool
    public let takesBody: Bool
}

extension RoutePlan {
    /// Reads the routes of an app object (`app.routes`, each with a `.plan`).
    static func load(app: PyObjectRef, _ gil: borrowing GIL) throws(PythonError) -> [RoutePlan] {
        let routes = try gil.attribute(app, "routes")
        var plans: [RoutePlan] = []
        for route in try gil.items(routes) {
            let plan = try gil.attribute(route, "plan").share()
            let methods = try gil.items(try gil.attribute(route, "methods")).map { gil.swiftString($0) ?? "GET" }
            let path = gil.swiftString(try gil.attribute(route, "path")) ?? "/"
            let name = gil.swiftString(try gil.attribute(route, "name")) ?? "endpoint"
            var parameters: [Parameter] = []
            for param in try gil.items(try gil.attribute(plan, "params")) {
                let model = try gil.attribute(param, "model")
                let convert = gil.isNone(model)
                    ? try gil.attribute(param, "convert").share()
                    : try gil.attribute(model, "model_validate_json").share()
                parameters.append(Parameter(
                    name: gil.swiftString(try gil.attribute(param, "name")) ?? "",
                    source: Source(rawValue: gil.swiftString(try gil.attribute(param, "source")) ?? "") ?? .query,
                    kind: Kind(rawValue: gil.swiftString(try gil.attribute(param, "kind")) ?? "") ?? .other,
                    required: gil.isTrue(try gil.attribute(param, "required")),
                    defaultValue: try gil.attribute(param, "default").share(),
                    convert: convert))
            }
            let model = try gil.attribute(plan, "response_model")
            let responseClass = try gil.attribute(plan, "response_class")
            plans.append(try RoutePlan(
                methods: methods, path: path, name: name,
                endpoint: try gil.attribute(plan, "endpoint").share(),
                isCoroutine: gil.isTrue(try gil.attribute(plan, "is_coroutine")),
                parameters: parameters,
                keywordNames: try gil.stringTuple(parameters.map(\.name)),
                statusCode: gil.swiftInt(try gil.attribute(plan, "status_code")) ?? 200,
                responseModel: gil.isNone(model) ? nil : model.share(),
                responseClass: gil.isNone(responseClass) ? nil : responseClass.share(),
                python: plan, gil))
        }
        return plans
    }
}
