public import ApusPython
internal import ApusLoop
/// Lifespan startup and shutdown of an ASGI app, run on the asyncio thread and awaited here.
extension ASGIApplication {
    public enum LifespanPhase: String, Sendable { case startup, shutdown }

    /// Runs one phase to its end; returns nil, or the failure (the app's message or an
    /// exception's traceback). Blocks the calling thread, which must not hold the GIL.
    public func runLifespan(_ phase: LifespanPhase, on asyncio: AsyncioThread) -> String? {
        let done = Semaphore()
        // Written on the asyncio thread before the semaphore is signalled, read after the wait.
        let failure = PThreadMutex<String?>(nil)
        asyncio.submit { [self] gil in
            do throws(PythonError) {
                let callback = try gil.makeFunction { gil, error throws(PythonError) in
                    let message = gil.isNone(error) ? nil : (gil.swiftString(error) ?? "lifespan \(phase.rawValue) failed")
                    failure.withLock { $0 = message }
                    done.signal()
                    return gil.none()
                }
                var arguments = CallArguments(capacity: 3)
                arguments.append(lifespan)
                arguments.append(try gil.str(phase.rawValue))
                arguments.append(callback)
                _ = try gil.call(runLifespanPhase, positional: arguments)
            } catch {
                let message = "cannot run the lifespan \(phase.rawValue): \(error.formattedTraceback(gil))"
                failure.withLock { $0 = message }
                done.signal()
            }
        }
        done.wait()
        return failure.withLock { $0 }
    }
}
