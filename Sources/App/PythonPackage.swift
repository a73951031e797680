import Glibc

/// Where the `apus` Python package lives: `APUS_PYTHONPATH` if set, else the `python/` folder
/// found next to (or above) the executable — the repository layout and an installed
/// `share/apus/python` both work.
enum PythonPackage {
    static func directory() -> String? {
        if let explicit = getenv("APUS_PYTHONPATH").map({ String(cString: $0) }), !explicit.isEmpty {
            return explicit
        }
        var folder = SystemFiles.parent(SystemFiles.executablePath)
        for _ in 0..<6 {
            for candidate in ["python", "share/apus/python"] {
                let path = folder + "/" + candidate
                if SystemFiles.isFile(path + "/apus/__init__.py") { return path }
            }
            folder = SystemFiles.parent(folder)
        }
        return nil
    }
}
