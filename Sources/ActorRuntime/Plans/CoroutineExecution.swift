extension RoutePlan {
    /// Runs a plan for an `async def` handler on the asyncio thread, inside a Task whose first
    /// step runs right here (`_asyncio_host.start`): a handler that does not suspend is answered
    /// at once, one that does is answered from the Task's done-callback. `done` is called once,
    /// on this thread, when the response is ready.
    func start(_ input: PlanInput, _ runtime: PlanRuntime, _ gil: borrowing GIL, done: @escaping (PlanOutput) -> Void) {
        do throws(PythonError) {
            guard let arguments = try arguments(input, gil) else {
                return done(try validationFailure(input, gil))
            }
            let coroutine = try gil.call(endpoint, keywords: arguments, names: keywordNames)
            guard gil.isCoroutine(coroutine) else {
                return done(try render(coroutine, runtime, gil))
            }
            var taskArguments = CallArguments(capacity: 1)
            taskArguments.append(coroutine)
            let task = try gil.call(runtime.eagerCoroutines ? runtime.startTask : runtime.schedule, positional: taskArguments)
            if gil.isTrue(try gil.call(runtime.taskDone, task)) {
                // Finished in its first step: answer now, without a loop round trip.
                return done(finish(task, runtime, gil))
            }
            let callback = try gil.makeFunction { [self] gil, task throws(PythonError) in
                done(finish(task, runtime, gil))
                return gil.none()
            }
            _ = try gil.call(try gil.attribute(task, "add_done_callback").share(), gil.owned(callback))
        } catch {
            done(failure(error, runtime, gil))
        }
    }

    /// The response for a finished Task.
    private func finish(_ task: consuming PyOwned, _ runtime: PlanRuntime, _ gil: borrowing GIL) -> PlanOutput {
        do throws(PythonError) {
            let result = try gil.call(runtime.taskResult, task)
            return try render(result, runtime, gil)
        } catch {
            return failure(error, runtime, gil)
        }
    }
}
