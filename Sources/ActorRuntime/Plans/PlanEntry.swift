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
        /// `factory(argument)` builds the plan; `method` (`run` or `start`) is its entry point.
        case deferred(factory: PyObjectRef, argument: PyObjectRef, method: String)
    }

    private var state: State

    /// An entry point that exists already.
    init(ready callable: PyObjectRef) {
        state = .ready(callable)
    }

    /// A plan that `factory(argument)` builds when it is first needed (one factory serves many
    /// routes: the argument is the route).
    init(deferred factory: PyObjectRef, argument: PyObjectRef, method: String) {
        state = .deferred(factory: factory, argument: argument, method: method)
    }

    /// The entry point, building the plan on the first call. A factory that fails fails this
    /// request (a 500 with the traceback) and is tried again on the next.
    func resolve(_ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        switch state {
        case .ready(let callable):
            return callable
        case .deferred(let factory, let argument, let method):
            var arguments = CallArguments(capacity: 1)
            arguments.append(argument)
            let plan = try gil.call(factory, positional: arguments)
            let built = try gil.attribute(plan, method).share()
            state = .ready(built)
            return built
        }
    }
}
