public import ApusPython
public import ApusHTTP
public import Logging

/// Serves any ASGI 3 application: each request runs as the app's coroutine on the runtime's
/// asyncio thread, with the body in `receive()` and the response streamed from `send()`.
public final class ASGIResponder: HTTPResponder {
    public let application: ASGIApplication
    package let asyncio: AsyncioThread
    private let logger: Logger
    package let exceptionSink: PyObjectRef?
    package let stats: RouteStats?
    private let handOff: PythonHandOff
    /// The app's `handle`, where every request enters.
    private let appEntry: PlanEntry

    /// `exceptionSink`, if given, is called with each exception the app raises (the TestClient
    /// raises them again in the test).
    public init(application: ASGIApplication, asyncio: AsyncioThread, logger: Logger,
                exceptionSink: PyObjectRef? = nil, stats: RouteStats? = RouteStats.fromEnvironment()) {
        self.application = application
        self.asyncio = asyncio
        self.logger = logger
        self.exceptionSink = exceptionSink
        self.stats = stats
        handOff = PythonHandOff(pool: nil, asyncio: asyncio)
        appEntry = PlanEntry(ready: application.handle)
    }

    /// Apps read bodies as they arrive (`receive()` with `more_body`).
    public var streamsRequestBodies: Bool { true }

    public func respond(to request: HTTPRequest, via slot: ResponseSlot) {
        // What the app routes itself is one label in the metrics, whatever the path.
        if slot.route == nil { slot.route = "<app>" }
        if let upgrade = request.webSocket { return startWebSocket(request, upgrade, slot) }
        stats?.record("asgi \(request.method) \(request.path)")
        let channel = ASGIChannel(
            slot: slot, application: application, entry: appEntry, asyncio: asyncio, logger: logger,
            exceptionSink: exceptionSink, head: request.head)
        slot.onDisconnect { channel.clientDisconnected() }
        handOff.submitAsync(on: slot.loop) { gil in channel.start(request, gil) }
    }

    /// A WebSocket handshake: the app's `websocket` scope, on the asyncio thread.
    func startWebSocket(_ request: HTTPRequest, _ upgrade: WebSocketUpgrade, _ slot: ResponseSlot) {
        stats?.record("websocket \(request.path)")
        let channel = ASGIWebSocketChannel(
            slot: slot, upgrade: upgrade, application: application, asyncio: asyncio, logger: logger,
            exceptionSink: exceptionSink, head: request.head)
        slot.onDisconnect { channel.clientDisconnected() }
        handOff.submitAsync(on: slot.loop) { gil in channel.start(request, gil) }
    }

    public func serverDidStop() {
        handOff.close()
    }
}
