import ActorRuntime
import Glibc

/// Where the `apus` Python package lives: `APUS_PYTHONPATH` if set, else the `python/` folder
/// found next to (or above) the executable (the repository's layout, or `share/apus/python`), else
/// the site-packages of the venv a wheel installed the executable in (`<venv>/bin/apus`).
enum PythonPackage {
    static func directory() -> String? {
        if let explicit = getenv("APUS_PYTHONPATH").map({ String(cString: $0) }), !explicit.isEmpty {
            return explicit
        }
        let bin = SystemFiles.parent(SystemFiles.executablePath)
        var folder = bin
        for _ in 0..<6 {
            for candidate in ["python", "share/apus/python"] {
                let path = folder + "/" + candidate
                if SystemFiles.isFile(path + "/apus/__init__.py") { return path }
            }
            folder = SystemFiles.parent(folder)
        }
        let installed = SystemFiles.parent(bin) + "/lib/python\(PythonInterpreter.embeddedVersion)/site-packages"
        return SystemFiles.isFile(installed + "/apus/__init__.py") ? installed : nil
    }

    /// What to say when the package is nowhere to be found.
    static let missing = "error: cannot find the apus Python package next to the apus executable or in its venv; "
        + "install apus with pip (`pip install apus`), or set APUS_PYTHONPATH to the folder that holds it"
}
