internal import ApusHTTP
internal import ApusLoop
#if canImport(Glibc)
internal import Glibc
#endif

/// `--reload`: a change to a watched file replaces every worker (logged as a reload, not as a
/// crash); a worker that cannot start the app (an import error, a syntax error) is not started
/// again and again, printing the same traceback: the supervisor waits for the next change, and
/// meanwhile answers on the workers' socket itself, with a 503 (the log has the error).
extension ProcessSupervisor {
    func checkSources() {
        guard var watcher, !stopping else { return }
        let changed = watcher.changes()
        self.watcher = watcher
        guard !changed.isEmpty else { return }
        let names = changed.map { $0.split(separator: "/").last.map(String.init) ?? $0 }
        logger.info("Detected changes in \(names.joined(separator: ", ")). Reloading...")
        stopStandIn()
        for index in slots.indices {
            if slots[index].waitingForChange {
                slots[index].waitingForChange = false
                spawn(index)
            } else if let child = slots[index].child {
                // The replacement starts when the old worker has exited (see `exited`).
                slots[index].reloading = true
                child.kill(SIGTERM)
            }
        }
    }

    /// Under --reload, the worker of slot `index` exited before it served: the app does not
    /// start (the worker printed why).
    func failedToStart(_ index: Int, pid: Int32, how: String) {
        logger.error("Worker process [\(pid)] could not start the app (\(how)); waiting for a change to reload")
        slots[index].waitingForChange = true
        if slots.allSatisfy({ $0.child == nil }) { startStandIn() }
    }

    /// Answers on the workers' socket while no worker can: a dup of it, so that closing the
    /// stand-in's listener leaves the workers' socket open.
    private func startStandIn() {
        guard standIn == nil, let descriptor = options.listeningDescriptor else { return }
        let copy = dup(descriptor)
        guard copy >= 0 else { return }
        var configuration = HTTPServerConfiguration()
        configuration.listeningDescriptor = copy
        configuration.gracefulTimeoutMilliseconds = 1_000
        let server = HTTPServer(loop: loop, configuration: configuration, responder: AppFailedToStart(), logger: logger)
        standIn = server
        Task {
            do throws(UVError) {
                _ = try await server.start()
            } catch {
                logger.error("cannot answer while the app does not start: \(error)")
            }
        }
    }

    func stopStandIn() {
        guard let server = standIn else { return }
        standIn = nil
        Task { await server.shutdown() }
    }
}

/// The answer while the app does not start under --reload: 503, with no error text (the log
/// has the traceback).
private struct AppFailedToStart: HTTPResponder {
    func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        var response = HTTPResponse.json(
            #"{"detail":"The app could not start; the server's log says why. It reloads when a file changes."}"#,
            status: 503)
        response.headers.add("retry-after", "1")
        slot.complete(response)
    }
}
