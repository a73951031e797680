public import ApusHTTP
internal import ActorRuntime
internal import ApusLoop

/// The responder a server keeps for a functions tree while the tree's version under it changes
/// (a reload swaps `current` on the loop thread, between requests). What it holds lives on the
/// server's loop (`LoopBound`), set up before the loop starts.
public final class FunctionsResponder: HTTPResponder, Sendable {
    private struct State {
        var current: PlanResponder
        var onStop: (() -> Void)?
        var treeMetrics: ((inout MetricsText) -> Void)?
        var admin: AdminResponder?
        var rollouts: [String: FunctionsManifest.Rollout]
    }

    private let state: LoopBound<State>

    /// The tree's version being served; replaced by a reload.
    var current: PlanResponder {
        get { state.current }
        set { state.current = newValue }
    }
    /// Runs once the server has stopped, after the current version's pools were retired.
    var onStop: (() -> Void)? {
        get { state.onStop }
        set { state.onStop = newValue }
    }
    /// The tree's own metrics (its worker pools, its reloads).
    var treeMetrics: ((inout MetricsText) -> Void)? {
        get { state.treeMetrics }
        set { state.treeMetrics = newValue }
    }
    /// The admin API (`/_fn/`), when it is on; set before the server takes requests.
    var admin: AdminResponder? {
        get { state.admin }
        set { state.admin = newValue }
    }
    /// Routes shared with their versions, by path (replaced with `current`).
    var rollouts: [String: FunctionsManifest.Rollout] {
        get { state.rollouts }
        set { state.rollouts = newValue }
    }

    init(_ current: PlanResponder, rollouts: [String: FunctionsManifest.Rollout], loop: EventLoop) {
        state = LoopBound(State(current: current, rollouts: rollouts), on: loop)
    }

    public var streamsRequestBodies: Bool { true }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        if let admin, request.path.hasPrefix(AdminResponder.prefix) { return admin.respond(to: request, via: slot) }
        let rollouts = rollouts
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
