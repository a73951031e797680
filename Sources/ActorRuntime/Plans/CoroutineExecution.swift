extension RoutePlan {
    /// Runs a plan for an `async def` handler on the asyncio thread. The first step of the
    /// coroutine runs right here; only a coroutine that suspends becomes a Task. `done` is
    /// called once, on this thread, when the response is ready.
    func start(_ input: PlanInput, _ runtime: PlanRuntime, _ gil: borrowing GIL, done: @escaping (PlanOutput) -> Void) {
        do throws(PythonError) {
            guard let arguments = try arguments(input, gil) else {
                return done(try validationFailure(input, gil))
            }
            let coroutine = try gil.call(endpoint, keywords: arguments, names: keywordNames)
            guard gil.isCoroutine(coroutine) else {
                return done(try render(coroutine, runtime, gil))
            }
            let callback = try gil.makeFunction { [self] gil, task throws(PythonError) in
                done(finish(task, runtime, gil))
                return gil.none()
            }
            guard runtime.eagerCoroutines else {
                var arguments = CallArguments(capacity: 2)
                arguments.append(coroutine)
                arguments.append(callback)
                _ = try gil.call(runtime.schedule, positional: arguments)
                return
            }
            let step = try gil.step(coroutine)
            switch consume step {
            case .returned(let value):
                done(try render(value, runtime, gil))
            case .suspended(let pending):
                var arguments = CallArguments(capacity: 3)
                arguments.append(coroutine)
                arguments.append(pending)
                arguments.append(callback)
                _ = try gil.call(runtime.resume, positional: arguments)
            }
        } catch {
            done(failure(error, runtime, gil))
        }
    }

    /// The response for a finished Task.
    private func finish(_ task: consuming PyOwned, _ runtime: PlanRuntime, _ gil: borrowing GIL) -> PlanOutput {
        do throws(PythonError) {
            let result = try gil.call(try gil.attribute(task, "result").share())
            return try render(result, runtime, gil)
        } catch {
            return failure(error, runtime, gil)
        }
    }
}
