internal import CPython
#if canImport(Glibc)
internal import Glibc
#endif

/// Where the embedded interpreter finds its packages and the app.
public struct PythonEnvironment: Sendable {
    /// The interpreter CPython is told it is: a virtualenv's `bin/python3`, whose
    /// `pyvenv.cfg` puts that environment's site-packages on `sys.path`.
    public var executable: String
    /// Put first on `sys.path`, in this order (the app's directory first, as uvicorn does).
    public var leadingPaths: [String]

    public init(executable: String, leadingPaths: [String]) {
        self.executable = executable
        self.leadingPaths = leadingPaths
    }

    /// `VIRTUAL_ENV` if set, else the nearest `.venv` in the app's directory or above it,
    /// else the system interpreter. (CPython never reads VIRTUAL_ENV itself.)
    public static func resolve(appDirectory: String, environment: [String: String]) -> PythonEnvironment {
        let system = "/usr/bin/python3.11"
        var executable = system
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty, access(venv + "/bin/python3", X_OK) == 0 {
            executable = venv + "/bin/python3"
        } else {
            var directory = appDirectory
            while true {
                if access(directory + "/.venv/bin/python3", X_OK) == 0 {
                    executable = directory + "/.venv/bin/python3"
                    break
                }
                guard let slash = directory.lastIndex(of: "/"), directory != "/" else { break }
                directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
            }
        }
        return PythonEnvironment(executable: executable, leadingPaths: [appDirectory])
    }
}

/// The embedded interpreter's life: `start` once on the main thread, `finalize` at exit.
public enum PythonInterpreter {
    nonisolated(unsafe) private static var mainThreadState: UnsafeMutablePointer<PyThreadState>?
    nonisolated(unsafe) private static var builtins: [(String, @convention(c) () -> UnsafeMutablePointer<PyObject>?)] = []

    /// Registers a built-in module; call before `start`.
    static func addBuiltinModule(_ name: String, _ initialize: @escaping @convention(c) () -> UnsafeMutablePointer<PyObject>?) {
        builtins.append((name, initialize))
    }

    /// Starts CPython with an isolated configuration (no PYTHON* variables, no user site, no
    /// signal handlers of its own), then releases the GIL.
    public static func start(_ environment: PythonEnvironment) throws(PythonError) {
        for (name, initialize) in builtins {
            // The name must outlive the interpreter.
            let cName = strdup(name)
            guard PyImport_AppendInittab(cName, initialize) == 0 else {
                throw .runtime("cannot register built-in module \(name)")
            }
        }
        let config = UnsafeMutablePointer<PyConfig>.allocate(capacity: 1)
        defer { PyConfig_Clear(config); config.deallocate() }
        PyConfig_InitIsolatedConfig(config)
        var status = PyConfig_SetBytesString(config, &config.pointee.executable, environment.executable)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }
        status = PyConfig_SetBytesString(config, &config.pointee.program_name, environment.executable)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }
        status = Py_InitializeFromConfig(config)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }

        // The GIL is held here, by the main thread.
        if let sysPath = PySys_GetObject("path") {
            for (offset, path) in environment.leadingPaths.enumerated() {
                if let item = PyUnicode_FromString(path) {
                    PyList_Insert(sysPath, offset, item)
                    apus_decref(item)
                }
            }
        }
        mainThreadState = PyEval_SaveThread()
    }

    public static var isRunning: Bool { Py_IsInitialized() != 0 }

    private static func statusError(_ status: PyStatus) -> PythonError {
        let message = status.err_msg.map { String(cString: $0) } ?? "unknown error"
        return .runtime("Python initialization failed: \(message)")
    }
}
