import ArgumentParser

/// The headers every response gets, as uvicorn names their options.
struct ResponseHeaderOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Send `server: apus` on every response.")
    var serverHeader = true

    @Flag(inversion: .prefixedNo, help: "Send `date` on every response.")
    var dateHeader = true

    @Option(name: .customLong("header"), help: ArgumentHelp(
        "A header for every response, as Name:Value (repeatable).", valueName: "name:value"))
    var headers: [String] = []

    @Flag(inversion: .prefixedNo, help: .hidden)
    var useColors = false

    /// `--header` values as fields.
    var fields: [(name: String, value: String)] {
        headers.map { header in
            let (name, value) = Self.split(header)!
            return (name, value)
        }
    }

    func validate() throws {
        for header in headers where Self.split(header) == nil {
            throw ValidationError("--header \(header): give Name:Value, with a token for a name")
        }
    }

    private static func split(_ header: String) -> (String, String)? {
        guard let colon = header.firstIndex(of: ":") else { return nil }
        let name = String(header[..<colon]).trimmed(of: " \t")
        let value = String(header[header.index(after: colon)...]).trimmed(of: " \t")
        let isToken = !name.isEmpty && name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && !#"()<>@,;:\"/[]?={}"#.utf8.contains(byte)
        }
        let valueIsClean = value.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F && $0.value < 0x100) }
        return isToken && valueIsClean ? (name, value) : nil
    }
}

/// What `--reload` watches, as uvicorn names it.
struct ReloadWatchOptions: ParsableArguments {
    @Option(name: .customLong("reload-dir"), help: ArgumentHelp(
        "With --reload: a directory to watch (repeatable; default: the app directory).", valueName: "path"))
    var directories: [String] = []

    @Option(name: .customLong("reload-include"), help: ArgumentHelp(
        "With --reload: a glob of files to watch (repeatable; default: *.py).", valueName: "glob"))
    var includes: [String] = []

    @Option(name: .customLong("reload-exclude"), help: ArgumentHelp(
        "With --reload: a glob of files or directories not to watch (repeatable).", valueName: "glob"))
    var excludes: [String] = []

    @Option(help: "With --reload: seconds between two looks for changes.")
    var reloadDelay = 0.25

    var isGiven: Bool { !directories.isEmpty || !includes.isEmpty || !excludes.isEmpty }

    func validate() throws {
        if reloadDelay <= 0 { throw ValidationError("--reload-delay must be more than 0") }
    }
}

/// uvicorn's options that choose what Apus replaces: accepted by name, refused with what to
/// use instead, so a uvicorn command line fails clearly rather than half-working.
struct ReplacedUvicornOptions: ParsableArguments {
    @Option(help: .hidden) var loop: String?
    @Option(help: .hidden) var ws: String?
    @Option(help: .hidden) var interface: String?
    @Option(name: .customLong("h11-max-incomplete-event-size"), help: .hidden) var h11MaxIncompleteEventSize: Int?
    @Option(name: .customLong("ws-max-queue"), help: .hidden) var wsMaxQueue: Int?
    @Option(name: .customLong("timeout-worker-healthcheck"), help: .hidden) var timeoutWorkerHealthcheck: Double?

    func validate() throws {
        if loop != nil { throw ValidationError("--loop: Apus runs its own libuv event loop; drop the option") }
        if ws != nil {
            throw ValidationError("--ws: Apus serves WebSockets itself; set them with --ws-max-size, --ws-ping-interval, --ws-ping-timeout, --ws-per-message-deflate")
        }
        if let interface, interface != "auto" && interface != "asgi3" {
            throw ValidationError("--interface \(interface): Apus serves ASGI 3 apps (FastAPI, Starlette, ...); drop the option")
        }
        if h11MaxIncompleteEventSize != nil {
            throw ValidationError("--h11-max-incomplete-event-size: Apus parses HTTP itself; use --limit-request-head-size")
        }
        if wsMaxQueue != nil {
            throw ValidationError("--ws-max-queue: Apus bounds each WebSocket's queue itself (32 messages or 1 MiB); drop the option")
        }
        if timeoutWorkerHealthcheck != nil {
            throw ValidationError("--timeout-worker-healthcheck: Apus's supervisor watches its workers itself; drop the option")
        }
    }
}

extension String {
    func trimmed(of set: String) -> String {
        let skipped = Set(set.unicodeScalars)
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !skipped.contains($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !skipped.contains($0) })!
        return String(scalars[first...last])
    }
}
