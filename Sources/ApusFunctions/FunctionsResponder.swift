public import ApusHTTP
internal import ActorRuntime
internal import ApusLoop

/// The responder a server keeps for a functions tree while the tree's version under it changes
/// (a reload swaps `current` on the loop thread, between requests). What it holds lives on the
/// server's loop (`LoopBound`), set up before the loop starts.
public final class FunctionsResponder: HTTPResponder, Sendable {
    /// What it serves, changed by the tree's host (a reload) on the loop.
    struct State {
        /// The tree's version being served.
        var current: PlanResponder
        /// Runs once the server has stopped, after the current version's pools were retired.
        var onStop: (() -> Void)?
        /// The tree's own metrics (its worker pools, its reloads).
        var treeMetrics: ((inout MetricsText) -> Void)?
        /// The admin API (`/_fn/`), when it is on; set before the server takes requests.
        var admin: AdminResponder?
        /// Routes shared with their versions, by path (replaced with `current`).
        var rollouts: [String: FunctionsManifest.Rollout]
    }

    let state: LoopBound<State>

    init(_ current: PlanResponder, rollouts: [String: FunctionsManifest.Rollout], loop: EventLoop) {
        state = LoopBound(State(current: current, rollouts: rollouts), on: loop)
    }

    public var streamsRequestBodies: Bool { true }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        if let admin = state.admin, request.path.hasPrefix(AdminResponder.prefix) { return admin.respond(to: request, via: slot) }
        let rollouts = state.rollouts
        if !rollouts.isEmpty, let rollout = rollouts[request.path], rollout.methods.contains(request.method),
           let version = rollout.path(forDraw: Double.random(in: 0..<100)) {
            return state.current.respond(to: request.rewritten(toPath: version), via: slot)
        }
        state.current.respond(to: request, via: slot)
    }

    public func collectMetrics(into text: inout MetricsText) {
        state.current.collectMetrics(into: &text)
        state.treeMetrics?(&text)
    }

    public func serverDidStop() {
        state.current.serverDidStop()
        state.onStop?()
    }
}
