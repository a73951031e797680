#if canImport(Glibc)
internal import Glibc
#endif

/// Runs a command to its end and collects what it printed (stdout and stderr together): for
/// builds and version checks at start-up or reload, never on the request path or the loop.
public enum Subprocess {
    public struct Finished: Sendable {
        public let status: Int32
        public let output: String
        public var succeeded: Bool { status == 0 }
    }

    /// `executable` is looked up on `PATH`; `environment` ("KEY=value") replaces the process's.
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                    environment: [String]? = nil) -> Finished {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return Finished(status: -1, output: "cannot make a pipe") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        if let directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = (environment ?? []).map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = envp.withUnsafeMutableBufferPointer { envp in
            posix_spawnp(&pid, executable, &actions, nil, argv, environment == nil ? environ : envp.baseAddress)
        }
        close(pipe[1])
        guard rc == 0 else {
            close(pipe[0])
            return Finished(status: -1, output: "cannot run \(executable): \(String(cString: strerror(rc)))")
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 { output += buffer[..<count] } else if count == 0 || errno != EINTR { break }
        }
        close(pipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Finished(status: exitCode, output: String(decoding: output, as: UTF8.self))
    }
}
