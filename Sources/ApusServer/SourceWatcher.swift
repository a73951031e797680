#if canImport(Glibc)
internal import Glibc
#endif

/// Notices changes to source files under some directories by comparing modification times, as
/// uvicorn's stat-based reloader does (inotify is not recursive; polling a source tree a few
/// times a second is cheap). Files are watched by name (`includes`, globs, `*.py` by default);
/// `excludes` (globs on a file's or a folder's name, or its path under a root) leave files and
/// whole folders out, and virtualenvs and caches are never walked.
public struct SourceWatcher {
    /// What to watch, as uvicorn's `--reload-dir`, `--reload-include`, `--reload-exclude` and
    /// `--reload-delay` say it.
    public struct Settings: Sendable {
        public var roots: [String]
        public var includes: [String]
        public var excludes: [String]
        public var pollMilliseconds: UInt64

        /// uvicorn's: hidden files, compiled Python, editors' swap and backup files.
        public static let defaultExcludes = [".*", ".py[cod]", ".sw.*", "~*"]

        public init(roots: [String], includes: [String] = ["*.py"], excludes: [String] = defaultExcludes,
                    pollMilliseconds: UInt64 = 250) {
            self.roots = roots
            self.includes = includes
            self.excludes = excludes
            self.pollMilliseconds = pollMilliseconds
        }
    }

    let settings: Settings
    private var snapshot: [String: Int] = [:]

    init(_ settings: Settings) {
        self.settings = settings
        snapshot = scan()
    }

    /// The files that were added, removed or modified since the last call.
    mutating func changes() -> [String] {
        let current = scan()
        var changed: [String] = []
        for (path, mtime) in current where snapshot[path] != mtime { changed.append(path) }
        for path in snapshot.keys where current[path] == nil { changed.append(path) }
        snapshot = current
        return changed.sorted()
    }

    private func scan() -> [String: Int] {
        var found: [String: Int] = [:]
        for root in settings.roots { walk(root, relative: "", depth: 0, into: &found) }
        return found
    }

    /// Whether `name` (a file's or folder's name) or `relative` (its path under the root)
    /// matches one of `patterns`.
    private static func matches(_ patterns: [String], _ name: String, _ relative: String) -> Bool {
        patterns.contains { pattern in fnmatch(pattern, name, 0) == 0 || fnmatch(pattern, relative, 0) == 0 }
    }

    private static let skipped: Set<String> = ["__pycache__", "node_modules", "site-packages", ".venv", "venv"]

    private func walk(_ directory: String, relative: String, depth: Int, into found: inout [String: Int]) {
        guard depth < 16, let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." || Self.skipped.contains(name) { continue }
            let path = directory + "/" + name
            let relativePath = relative.isEmpty ? name : relative + "/" + name
            if Self.matches(settings.excludes, name, relativePath) { continue }
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                walk(path, relative: relativePath, depth: depth + 1, into: &found)
            } else if Self.matches(settings.includes, name, relativePath) {
                found[path] = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
            }
        }
    }
}
