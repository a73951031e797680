internal import ApusLoop
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

    /// The `major.minor` of the environment's Python, from its `pyvenv.cfg` (nil for the
    /// system interpreter or a venv that does not say).
    public var environmentVersion: String? {
        let folder = executable.hasSuffix("/bin/python3") ? String(executable.dropLast("/bin/python3".count)) : nil
        guard let folder, let file = fopen(folder + "/pyvenv.cfg", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let parts = text.split(separator: "=", maxSplits: 1).map {
                $0.filter { $0 != " " && $0 != "\t" && $0 != "\n" }
            }
            guard parts.count == 2, parts[0] == "version" || parts[0] == "version_info" else { continue }
            return parts[1].split(separator: ".").prefix(2).joined(separator: ".")
        }
        return nil
    }

    /// One line when the environment is another Python than the one Apus embeds: its packages
    /// (compiled for that version) cannot be imported here.
    public var versionMismatch: String? {
        guard let version = environmentVersion, version != PythonInterpreter.embeddedVersion else { return nil }
        let folder = String(executable.dropLast("/bin/python3".count))
        return "Apus embeds Python \(PythonInterpreter.embeddedVersion), but \(folder) is a Python \(version) environment; "
            + "make it with python\(PythonInterpreter.embeddedVersion) -m venv, or install apus into it "
            + "(pip install apus picks the build for Python \(version): its cp\(version.filter { $0 != "." }) wheel)"
    }

    /// The interpreter CPython is told it is, first found of: `VIRTUAL_ENV`; the venv Apus is
    /// installed in (`installedIn`, the executable's folder: a wheel's `<venv>/bin/apus`, as
    /// uvicorn runs in the venv it was installed in); the nearest `.venv` in the app's directory
    /// or above it; `python3.X` of the embedded version on `PATH`, then in `/usr/bin`. (CPython
    /// never reads VIRTUAL_ENV itself.)
    public static func resolve(appDirectory: String, environment: [String: String], installedIn: String? = nil) -> PythonEnvironment {
        let named = "python\(PythonInterpreter.embeddedVersion)"
        var candidates: [String] = []
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty { candidates.append(venv + "/bin/python3") }
        if let installedIn, access(installedIn + "/../pyvenv.cfg", R_OK) == 0 { candidates.append(installedIn + "/python3") }
        var directory = appDirectory
        while true {
            candidates.append(directory + "/.venv/bin/python3")
            guard let slash = directory.lastIndex(of: "/"), directory != "/" else { break }
            directory = slash == directory.startIndex ? "/" : String(directory[..<slash])
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") where folder.hasPrefix("/") {
            candidates.append("\(folder)/\(named)")
        }
        let executable = candidates.first { access($0, X_OK) == 0 } ?? "/usr/bin/\(named)"
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

    /// Starts CPython configured as `python3` would be in the same environment (the locale,
    /// UTF-8 mode, `PYTHONIOENCODING`, `PYTHONUNBUFFERED`, `PYTHONPATH`, the user site), so an app
    /// reads, writes and prints text as it does under any other server. Two things stay with
    /// Apus: signals (CPython installs no handlers of its own) and the command line (parsed by
    /// Apus, then shown to Python as `sys.argv`/`sys.orig_argv`). Then releases the GIL.
    public static func start(_ environment: PythonEnvironment, arguments: [String]) throws(PythonError) {
        for (name, initialize) in builtins {
            // The name must outlive the interpreter.
            let cName = strdup(name)
            guard PyImport_AppendInittab(cName, initialize) == 0 else {
                throw .runtime("cannot register built-in module \(name)")
            }
        }
        // The locale and UTF-8 mode are decided before anything else, as `python3` decides
        // them: C-locale coercion, `PYTHONUTF8`, `LC_ALL`/`LC_CTYPE`/`LANG`.
        var preConfig = PyPreConfig()
        PyPreConfig_InitPythonConfig(&preConfig)
        preConfig.parse_argv = 0
        var status = Py_PreInitialize(&preConfig)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }

        let config = UnsafeMutablePointer<PyConfig>.allocate(capacity: 1)
        defer { PyConfig_Clear(config); config.deallocate() }
        PyConfig_InitPythonConfig(config)
        config.pointee.install_signal_handlers = 0
        config.pointee.parse_argv = 0
        status = PyConfig_SetBytesString(config, &config.pointee.executable, environment.executable)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }
        status = PyConfig_SetBytesString(config, &config.pointee.program_name, environment.executable)
        guard PyStatus_Exception(status) == 0 else { throw statusError(status) }
        status = setArgv(config, arguments)
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

    /// The `major.minor` this build of Apus embeds.
    public static let embeddedVersion = "\(PY_MAJOR_VERSION).\(PY_MINOR_VERSION)"

    /// `sys.argv` and `sys.orig_argv`: Apus's own command line, as uvicorn's is its own.
    private static func setArgv(_ config: UnsafeMutablePointer<PyConfig>, _ arguments: [String]) -> PyStatus {
        var copies = arguments.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeMutableBufferPointer { buffer in
            PyConfig_SetBytesArgv(config, Py_ssize_t(buffer.count), buffer.baseAddress)
        }
    }

    /// Flushes `sys.stdout` and `sys.stderr`. Python flushes them in `Py_Finalize`, which a
    /// server with threads still parked in Python never runs; without this, what an app
    /// printed to a pipe or a file (block-buffered, as in Python) would be lost at exit. Gives
    /// up after `milliseconds` if the GIL never comes free (a handler stuck in C code).
    public static func flushStandardStreams(milliseconds: Int = 1_000) {
        guard isRunning else { return }
        let done = Semaphore()
        let started = spawnDetachedThread(name: "apus-flush") {
            let state = PyGILState_Ensure()
            for name in ["stdout", "stderr"] {
                guard let stream = PySys_GetObject(name), let flush = PyObject_GetAttrString(stream, "flush") else {
                    PyErr_Clear()
                    continue
                }
                if let result = PyObject_CallNoArgs(flush) { apus_decref(result) } else { PyErr_Clear() }
                apus_decref(flush)
            }
            PyGILState_Release(state)
            done.signal()
        }
        if started { _ = done.wait(milliseconds: milliseconds) }
    }

    private static func statusError(_ status: PyStatus) -> PythonError {
        let message = status.err_msg.map { String(cString: $0) } ?? "unknown error"
        return .runtime("Python initialization failed: \(message)")
    }
}
