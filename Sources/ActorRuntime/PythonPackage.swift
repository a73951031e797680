internal import Glibc

/// Where the `apus` Python package lives, first found of: `APUS_PYTHONPATH`; the `python/` folder
/// next to (or above) the executable (the repository's layout, or `share/apus/python`); the
/// site-packages of the venv a wheel installed the executable in (`<venv>/bin/apus`); the
/// `python/` folder of the Apus sources this library was built from (a Swift program that
/// depends on Apus, run where its package's checkout is).
package enum PythonPackage {
    package static func directory() -> String? {
        if let explicit = getenv("APUS_PYTHONPATH").map({ String(cString: $0) }), !explicit.isEmpty {
            return explicit
        }
        let bin = SystemFiles.parent(SystemFiles.executablePath)
        var folder = bin
        for _ in 0..<6 {
            for candidate in ["python", "share/apus/python"] {
                let path = folder + "/" + candidate
                if holdsPackage(path) { return path }
            }
            folder = SystemFiles.parent(folder)
        }
        let installed = SystemFiles.parent(bin) + "/lib/python\(PythonInterpreter.embeddedVersion)/site-packages"
        if holdsPackage(installed) { return installed }
        // This file is <checkout>/Sources/ActorRuntime/PythonPackage.swift.
        let sources = SystemFiles.parent(SystemFiles.parent(SystemFiles.parent(#filePath))) + "/python"
        return holdsPackage(sources) ? sources : nil
    }

    private static func holdsPackage(_ folder: String) -> Bool {
        SystemFiles.isFile(folder + "/apus/__init__.py")
    }

    /// What to say when the package is nowhere to be found.
    package static let missing = "cannot find the apus Python package next to the apus executable or in its venv; "
        + "install apus with pip (`pip install apus`), or set APUS_PYTHONPATH to the folder that holds it"
}
