public import Logging

/// Python's cyclic garbage collector across a server's start-up (`apus._startup`).
///
/// Importing an app makes objects that live as long as the process: an app of 20,000 routes
/// makes 1.3 million. The collector, which keeps rescanning the older objects as their number
/// grows, took 40% of that import (8.1 s, against 4.7 s without it). So start-up (the import,
/// the lifespan, the plans) runs without automatic collections; then one collection frees its
/// garbage (0.8 s there, once), the objects that remain are frozen (`gc.freeze()`: never
/// scanned again, as pre-fork servers do before forking), and collections resume for what
/// requests make, which no longer has a whole app to scan. A command that ends after start-up
/// (`apus routes`) never calls `end`.
public enum PythonStartUp {
    /// Before the app is imported.
    public static func begin(logger: Logger) {
        call("begin", logger)
    }

    /// Once start-up is over, before the server listens.
    public static func end(logger: Logger) {
        call("end", logger)
    }

    private static func call(_ function: String, _ logger: Logger) {
        Python.withGIL { gil in
            do throws(PythonError) {
                _ = try gil.call(try gil.attribute(try gil.importModule("apus._startup"), function).share())
            } catch {
                // The collector's settings only change how fast start-up is: say so, and go on.
                logger.warning("apus._startup.\(function)() failed: \(error)")
            }
        }
    }
}
