internal import ApusLoop

/// Watches every folder of a functions tree (libuv fs events; inotify is not recursive, so each
/// folder has its own watch) and reports the folders where something changed, gathered over a
/// short quiet time, so an editor's save (write, rename, chmod) is one change. On the loop
/// thread; `resync` after a change watches folders that appeared and drops those that went.
final class TreeWatcher {
    private let loop: EventLoop
    private let root: String
    private let onChange: (Set<String>) -> Void
    private var watchers: [String: FolderWatcher] = [:]
    private var changed: Set<String> = []
    private let quiet: LoopTimer

    /// Folders the tree's discovery skips, which no change in can matter.
    static let skippedFolders: Set<String> = ["node_modules", "vendor", "__pycache__", ".deps", ".rust-build", "target", "src"]
    /// How long changes are gathered before they are reported.
    private static let quietMilliseconds: UInt64 = 50

    init(loop: EventLoop, root: String, onChange: @escaping (Set<String>) -> Void) {
        self.loop = loop
        self.root = root
        self.onChange = onChange
        quiet = LoopTimer(loop: loop)
        resync()
    }

    func resync() {
        let folders = Set(Self.folders(under: root))
        for (path, watcher) in watchers where !folders.contains(path) {
            watcher.close()
            watchers[path] = nil
        }
        for path in folders where watchers[path] == nil {
            watchers[path] = try? FolderWatcher(loop: loop, path: path) { [weak self] folder, entry in
                self?.noticed(folder, entry)
            }
        }
    }

    func close() {
        watchers.values.forEach { $0.close() }
        watchers.removeAll()
        quiet.close()
    }

    private func noticed(_ folder: String, _ entry: String?) {
        // Byte-code caches and editors' scratch files are not the tree's.
        if let entry, entry == "__pycache__" || entry.hasPrefix(".") || entry.hasSuffix(".pyc") || entry.hasSuffix("~") {
            return
        }
        changed.insert(folder)
        quiet.stop()
        quiet.start(after: Self.quietMilliseconds) { [weak self] in
            guard let self else { return }
            let folders = changed
            changed.removeAll()
            onChange(folders)
        }
    }

    /// `root` and every folder below it that discovery looks into.
    static func folders(under root: String) -> [String] {
        var found = [root]
        var index = 0
        while index < found.count {
            found += FolderWatcher.subfolders(of: found[index]) { !$0.hasPrefix(".") && !skippedFolders.contains($0) }
            index += 1
        }
        return found
    }
}
