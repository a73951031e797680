public import ApusHTTP
internal import ActorRuntime

/// The responder a server keeps for a functions tree while the tree's version under it changes
/// (a reload swaps `current` on the loop thread, between requests).
public final class FunctionsResponder: HTTPResponder, @unchecked Sendable {
    /// Read and replaced on the loop thread only (set once before the server starts).
    var current: PlanResponder
    /// Runs once the server has stopped, after the current version's pools were retired.
    var onStop: (() -> Void)?
    /// The tree's own metrics (its worker pools, its reloads), on the loop thread.
    var treeMetrics: ((inout MetricsText) -> Void)?
    /// The admin API (`/_fn/`), when it is on; set on the loop thread before the server starts.
    var admin: AdminResponder?
    /// Routes shared with their versions, by path (loop thread; replaced with `current`).
    var rollouts: [String: FunctionsManifest.Rollout] = [:]

    init(_ current: PlanResponder) {
        self.current = current
    }

    public var streamsRequestBodies: Bool { true }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        if let admin, request.path.hasPrefix(AdminResponder.prefix) { return admin.respond(to: request, via: slot) }
        if !rollouts.isEmpty, let rollout = rollouts[request.path], rollout.methods.contains(request.method),
           let version = rollout.path(forDraw: Double.random(in: 0..<100)) {
            return current.respond(to: request.rewritten(toPath: version), via: slot)
        }
        current.respond(to: request, via: slot)
    }

    public func collectMetrics(into text: inout MetricsText) {
        current.collectMetrics(into: &text)
        treeMetrics?(&text)
    }

    public func serverDidStop() {
        current.serverDidStop()
        onStop?()
    }
}
