internal import ApusHTTP
internal import FoundationEssentials

/// A request the server makes to one of its functions itself: a schedule's run, an admin
/// `invoke`, a job. The function's event says which in `context.trigger`, and carries
/// `context.user` (the caller's `context`).
struct FunctionInvocation: Sendable {
    var method: String
    /// Path and query.
    var target: String
    /// Lower-case names.
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var user: JSONValue?
    /// `apus-scheduler`, `apus-admin`, `apus-jobs`: the event's `client.ua`.
    var userAgent: String

    func request(trigger: [String: JSONValue]) -> HTTPRequest {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var context = Array("\"trigger\":".utf8) + ((try? encoder.encode(JSONValue.object(trigger))).map(Array.init) ?? Array("{}".utf8))
        context += Array(",\"user\":".utf8) + ((try? encoder.encode(user ?? .null)).map(Array.init) ?? Array("null".utf8))
        return LocalExchange.request(
            method: method, target: target, userAgent: userAgent, headers: headers, body: body, invocationContext: context)
    }
}
