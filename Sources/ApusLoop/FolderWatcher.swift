internal import CLibUV
#if canImport(Glibc)
internal import Glibc
#endif

/// Reports changes in one folder (its entries, not below them: Linux's inotify is not
/// recursive, so a tree is watched folder by folder) to a callback on the loop thread, with
/// the name of the entry that changed. `close()` exactly once.
public final class FolderWatcher {
    public let path: String
    private let handle: UnsafeMutablePointer<uv_fs_event_t>
    private let callback: (_ folder: String, _ entry: String?) -> Void
    private var closed = false

    public init(loop: EventLoop, path: String, _ callback: @escaping (_ folder: String, _ entry: String?) -> Void) throws(UVError) {
        loop.preconditionInLoop()
        self.path = path
        self.callback = callback
        handle = .allocate(capacity: 1)
        uvExpect(uv_fs_event_init(loop.uvLoop, handle), "uv_fs_event_init")
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
        let rc = uv_fs_event_start(handle, { handle, name, _, _ in
            // SAFETY: data holds a retained FolderWatcher until the close callback.
            let watcher = Unmanaged<FolderWatcher>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            watcher.callback(watcher.path, name.map { String(cString: $0) })
        }, path, 0)
        if rc < 0 {
            close()
            throw UVError(code: rc)
        }
    }

    public func close() {
        precondition(!closed, "FolderWatcher closed twice")
        closed = true
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { raw in
            let handle = UnsafeMutableRawPointer(raw!).assumingMemoryBound(to: uv_fs_event_t.self)
            Unmanaged<FolderWatcher>.fromOpaque(handle.pointee.data).release()
            handle.deallocate()
        }
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
