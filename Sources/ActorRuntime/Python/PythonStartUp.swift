/// Python's cyclic garbage collector across a server's start-up.
///
/// Importing an app makes objects that live as long as the process: an app of 20,000 routes
/// makes 1.3 million. The collector, which keeps scanning the older objects as their number
/// grows, took 40% of that import (8.1 s, against 4.7 s without it) and found 676 unreachable
/// objects. So start-up (the import, the lifespan, the plans) runs without it; then the objects
/// it made are frozen (`gc.freeze()`: never scanned again, as pre-fork servers do before
/// forking) and the collector runs as usual for what requests make, which no longer has a
/// whole app to scan. An app that disables the collector itself at import gets it back here.
public enum PythonStartUp {
    /// Before the app is imported.
    public static func begin() {
        call("disable")
    }

    /// Once the app is served: its objects frozen, the collector on.
    public static func end() {
        call("freeze")
        call("enable")
    }

    private static func call(_ function: String) {
        Python.withGIL { gil in
            // The gc module cannot fail to import, nor these functions to run.
            _ = try? gil.call(try gil.attribute(try gil.importModule("gc"), function).share())
        }
    }
}
