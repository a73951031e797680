internal import ActorRuntime
internal import ApusHTTP
internal import ApusLoop
internal import ApusWorkers
internal import Logging

/// Serves one function of the tree from its group's worker pool (`WorkerGroup`): the request's
/// body is collected (up to the function's `max_body_bytes`, within the server's budget), the
/// event built and sent, and the worker's reply, or the pool's failure as FastFN's
/// `{"error": ...}`, answered. One per function and loaded version of the tree; the group
/// outlives versions. Used on the loop thread.
final class WorkerFunctionResponder: HTTPResponder, Sendable {
    let function: FunctionsManifest.Worker
    let group: WorkerGroup
    private let member: WorkerMember?
    private let maxBodyBytes: Int
    private let constant: FunctionEvent.Constant
    /// A failure is answered with what failed (the handler's error, the compiler's output), as
    /// `apus dev` shows it; otherwise with FastFN's words for its kind only, the rest in the log.
    private let showsErrorDetails: Bool

    init(function: FunctionsManifest.Worker, group: WorkerGroup, showsErrorDetails: Bool) {
        self.function = function
        self.group = group
        self.showsErrorDetails = showsErrorDetails
        member = group.namesMembers ? WorkerMember(file: function.file) : nil
        maxBodyBytes = function.setting("max_body_bytes", default: 1024 * 1024)
        constant = FunctionEvent.Constant(function)
    }

    /// Its pool's state for `/_apus/health` (nil: it has no pool), on the loop thread. A
    /// function that did not load where its folder's others did has its pool's state with
    /// why as its last failure.
    var poolStatus: WorkerPoolStatus? { group.poolStatus?.seen(by: function.file) }

    /// Why it cannot run, if it cannot.
    var unavailable: String? { group.unavailable?.message }

    var streamsRequestBodies: Bool { true }

    func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        if let declared = request.headers["content-length"].flatMap({ Int($0) }), declared > maxBodyBytes {
            return slot.complete(Self.error(413, "payload too large", close: true))
        }
        request.withWholeBody(via: slot) { [self] whole in invoke(whole, slot) }
    }

    private func invoke(_ request: HTTPRequest, _ slot: ResponseSlot) {
        guard request.body.count <= maxBodyBytes else { return slot.complete(Self.error(413, "payload too large")) }
        let event = FunctionEvent(request: request).json(constant)
        let sent = group.invoke(event, for: member) { [showsErrorDetails] outcome in
            switch outcome {
            case .reply(let reply):
                slot.complete(HTTPResponse(status: reply.status, headers: HTTPHeaders(reply.headers), body: reply.body))
            case .failed(let status, let error, let detail):
                let shown = showsErrorDetails ? detail.map { "\(error): \($0)" } ?? error : error
                slot.complete(Self.error(status, shown))
            }
        }
        guard !sent else { return }
        // A function that cannot run (its language is missing, its build failed) is
        // unavailable, as one that does not load is in every language.
        if let failure = group.unavailable, showsErrorDetails {
            let detail = failure.details.isEmpty ? failure.message : "\(failure.message):\n\(failure.details)"
            return slot.complete(Self.error(503, detail))
        }
        slot.complete(Self.error(503, WorkerOutcome.unavailable))
    }

    func serverDidStop() {
        group.retire()
    }

    /// FastFN's error answer: `{"error": "..."}`.
    static func error(_ status: Int, _ message: String, close: Bool = false) -> HTTPResponse {
        var response = HTTPResponse.json("{\"error\":\(JSONText.quoted(message))}", status: status)
        if close { response.headers.add("connection", "close") }
        return response
    }
}
