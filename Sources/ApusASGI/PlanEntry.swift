package import ApusPython
/// Where a request enters Python: a plan's `run` (executor thread) or `start` (asyncio thread),
/// or the ASGI app's `handle`. A route's plan may be deferred: the compiler leaves a factory,
/// called on the route's first request, so that an app of many routes pays at start-up and in
/// memory only for the plans of the routes it serves.
///
/// A value, not an object: a deferred entry is its app's `DeferredPlans` and the route's index
/// there, so that a route of an app of 20,000 adds no allocation of its own.
package struct PlanEntry: Sendable {
    private enum Source: Sendable {
        case ready(PyObjectRef)
        /// `plans` builds it; `async`: its entry point is `start`, else `run`.
        case deferred(DeferredPlans, index: Int32, async: Bool)
    }

    private let source: Source

    /// An entry point that exists already.
    package init(ready callable: PyObjectRef) {
        source = .ready(callable)
    }

    /// The plan that `plans` builds for route `index` when it is first needed.
    package init(deferred plans: DeferredPlans, index: Int32, async: Bool) {
        source = .deferred(plans, index: index, async: async)
    }

    /// The entry point, building the plan on the first call. A factory that fails fails this
    /// request (a 500 with the traceback) and is tried again on the next.
    package func resolve(_ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        switch source {
        case .ready(let callable):
            return callable
        case .deferred(let plans, let index, let async):
            return try plans.entryPoint(of: index, async: async, gil)
        }
    }
}

/// The deferred plans of an app's routes: `factory(index)` builds route `index`'s plan, whose
/// entry point is kept here once built.
///
/// Every read and write happens with the GIL held (entries are only ever resolved on Python's
/// threads), and the GIL orders them: that is the whole of this class's synchronization. The
/// factory's Python may let the GIL go, so two first requests on two threads may both build a
/// plan; the last one built is kept, the other dropped (plans hold no state of their own).
package final class DeferredPlans: @unchecked Sendable {
    private let factory: PyObjectRef
    /// By route index; nil until built.
    private var built: [PyObjectRef?] = []

    package init(factory: PyObjectRef) {
        self.factory = factory
    }

    /// Makes room for route `index` (while the rows are read).
    package func reserve(_ index: Int32) {
        if built.count <= Int(index) {
            built.append(contentsOf: repeatElement(nil, count: Int(index) + 1 - built.count))
        }
    }

    /// Gives back the room that growing left (once the rows are read).
    package func compact() {
        built = built.withUnsafeBufferPointer { Array($0) }
    }

    package func entryPoint(of index: Int32, async: Bool, _ gil: borrowing GIL) throws(PythonError) -> PyObjectRef {
        if let callable = built[Int(index)] { return callable }
        var arguments = CallArguments(capacity: 1)
        arguments.append(try gil.int(Int(index)))
        let plan = try gil.call(factory, positional: arguments)
        let callable = try gil.attribute(plan, async ? "start" : "run").share()
        built[Int(index)] = callable
        return callable
    }

    package func isMade(by factory: borrowing PyOwned, _ gil: borrowing GIL) -> Bool {
        gil.isSame(self.factory, factory)
    }
}
