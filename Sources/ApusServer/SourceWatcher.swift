#if canImport(Glibc)
internal import Glibc
#endif

/// Notices changes to `.py` files under a directory by comparing modification times, as
/// uvicorn's stat-based reloader does (inotify is not recursive; polling a source tree twice a
/// second is cheap). Hidden folders, virtualenvs and caches are skipped.
struct SourceWatcher {
    let root: String
    let suffixes: [String]
    private var snapshot: [String: Int] = [:]

    init(root: String, suffixes: [String] = [".py"]) {
        self.root = root
        self.suffixes = suffixes
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
        walk(root, depth: 0, into: &found)
        return found
    }

    private static let skipped: Set<String> = ["__pycache__", "node_modules", "site-packages", ".venv", "venv"]

    private func walk(_ directory: String, depth: Int, into found: inout [String: Int]) {
        guard depth < 16, let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix(".") || Self.skipped.contains(name) { continue }
            let path = directory + "/" + name
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                walk(path, depth: depth + 1, into: &found)
            } else if suffixes.contains(where: { name.hasSuffix($0) }) {
                found[path] = Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
            }
        }
    }
}
