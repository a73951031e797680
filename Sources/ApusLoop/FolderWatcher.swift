internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// Reports changes in one folder (its entries, not below them: Linux's inotify is not
/// recursive, so a tree is watched folder by folder) to a callback on the loop thread, with
/// the name of the entry that changed. `close()` exactly once.
public final class FolderWatcher {
    public let path: String
    private let handle: LoopHandle
    private let callback: (_ folder: String, _ entry: String?) -> Void

    public init(loop: EventLoop, path: String, _ callback: @escaping (_ folder: String, _ entry: String?) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        self.path = path
        self.callback = callback
        handle = .infallible(uv_fs_event_t.self, "uv_fs_event_init") { uv_fs_event_init(loop.uvLoop, $0) }
        handle.attach(self)
        let rc = uv_fs_event_start(handle.typed(uv_fs_event_t.self), { event, name, _, _ in
            let watcher = LoopHandle.owner(of: event, as: FolderWatcher.self)
            watcher.callback(watcher.path, name.map { String(cString: $0) })
        }, path, 0)
        if rc < 0 {
            close()
            throw UVError(code: rc)
        }
    }

    public func close() {
        handle.close()
    }

    /// The folders directly inside `path` whose names `keep` accepts.
    public static func subfolders(of path: String, keeping keep: (String) -> Bool) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != "..", keep(name) else { continue }
            let child = path + "/" + name
            var status = stat()
            if stat(child, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR { found.append(child) }
        }
        return found
    }
}
