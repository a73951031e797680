/// Where a request enters Python: a plan's `run` (executor thread) or `start` (asyncio thread),
/// or the ASGI app's `handle`. A route's plan may be deferred: the compiler leaves a factory,
/// called on the route's first request, so that an app of many routes pays at start-up and in
/// memory only for the plans of the routes it serves.
///
/// Every read and write happens with the GIL held (the entry is only ever called from Python's
/// threads), and the GIL orders them: that is the whole of this class's synchronization. The
/// factory's Python may let the GIL go, so two first requests on two threads may both build the
/// plan; the last one built is kept, the other dropped (plans hold no state of their own).
final class PlanEntry: @unchecked Sendable {
    private enum State {
        case ready(PyObjectRef)
        /// `maker.factory(index)` builds the plan.
        case deferred(PlanMaker, index: Int32)
    }

    private var state: State

    /// An entry point that exists already.
    init(ready callable: PyObjectRef) {
        state = .ready(callable)
    }

    /// A plan that `maker.factory(index)` builds when it is first needed. One maker serves all
    /// the routes of an app, and an index is not an object: an entry of an app of many routes
    /// stays small (the Python side holds the routes, by index).
    init(deferred maker: PlanMaker, index: Int32) {
        state = .deferred(maker, index: index)
    }

    /// The entry point, building the plan on the first call. A factory that fails fails this
    /// request (a 500 with the traceback) and is tried again on the next.
    func resolve(_ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        switch state {
        case .ready(let callable):
            return callable
        case .deferred(let maker, let index):
            var arguments = CallArguments(capacity: 1)
            arguments.append(try gil.int(Int(index)))
            let plan = try gil.call(maker.factory, positional: arguments)
            let built = try gil.attribute(plan, maker.method).share()
            state = .ready(built)
            return built
        }
    }
}

/// What builds the deferred plans of an app's routes: `factory(index)`, and the built plan's
/// entry point, `method` (`run` on an executor thread, `start` on the asyncio thread).
final class PlanMaker: Sendable {
    let factory: PyObjectRef
    let method: String

    init(factory: PyObjectRef, method: String) {
        self.factory = factory
        self.method = method
    }
}
