import FoundationEssentials

/// Where the `apus` Python package lives: `APUS_PYTHONPATH` if set, else the `python/` folder
/// found next to (or above) the executable — the repository layout and an installed
/// `share/apus/python` both work.
enum PythonPackage {
    static func directory() -> String? {
        if let explicit = ProcessInfo.processInfo.environment["APUS_PYTHONPATH"], !explicit.isEmpty {
            return explicit
        }
        var url = URL(fileURLWithPath: CommandLine.executablePath).deletingLastPathComponent()
        for _ in 0..<6 {
            for candidate in ["python", "share/apus/python"] {
                let folder = url.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("apus/__init__.py").path) {
                    return folder.path
                }
            }
            url = url.deletingLastPathComponent()
        }
        return nil
    }
}

extension CommandLine {
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
    }
}
