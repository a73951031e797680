/// The connection's side of a WebSocket: the handshake request handed to the responder, the
/// 101 that switches protocols, and the close once the closing handshake is written.
extension HTTPConnection {
    /// A head that asks for a WebSocket: refused here if the handshake is invalid (400, or 426
    /// with the version the server speaks), else handed to the responder with its upgrade.
    func dispatchWebSocket(_ head: HTTPRequestHead) {
        switch WebSocketUpgrade.parse(head, limits: core.limits) {
        case .failure(let refusal):
            reject(HTTPParseError(status: refusal.status, reason: refusal.reason), headers: refusal.headers)
        case .success(let upgrade):
            // A handshake has no body: its empty one is taken, so what follows stays buffered
            // for the session.
            _ = try? decoder.nextBodyPart()
            var request = self.request(head, body: [])
            request.webSocket = upgrade
            dispatch(request)
        }
    }

    /// The responder accepted the WebSocket of the request on `slot`: 101, then the session
    /// takes the connection's bytes, those that already followed the handshake first.
    func acceptWebSocket(_ session: WebSocketSession, upgrade: WebSocketUpgrade, headers: HTTPHeaders, from slot: ResponseSlot) {
        guard case .responding(let pending) = machine.state, pending.slot === slot else {
            return session.connectionClosed()
        }
        var fields = HTTPHeaders([
            ("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-accept", upgrade.acceptValue),
        ])
        if let subprotocol = session.subprotocol { fields.add("sec-websocket-protocol", subprotocol) }
        if let deflate = upgrade.deflate { fields.add("sec-websocket-extensions", deflate.responseValue) }
        for field in headers where !Self.handshakeFields.contains(field.name.lowercased()) {
            fields.add(field.name, field.value)
        }
        core.encoder.encodeHead(
            status: 101, headers: identified(fields), framing: .untilClose, version: .http1_1, connection: .keepAlive, into: &output)
        slot.responseCompleted()
        answered(head: pending.head, status: 101, route: slot.route)
        machine.upgraded()
        webSocket = session
        session.connection = self
        let early = decoder.takeBufferedBytes()
        stream.startReading()
        let wasBatching = batching
        batching = true
        if !early.isEmpty { session.bytesArrived(early) }
        batching = wasBatching
        if !batching { flush() }
    }

    /// The server writes these itself.
    private static let handshakeFields: Set<String> = [
        "upgrade", "connection", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions",
        "content-length", "transfer-encoding",
    ]

    /// The closing handshake is queued: the connection closes once it is written (the server
    /// closes the TCP connection first, RFC 6455 §7.1.1).
    func closeAfterWrites() {
        flush()
        guard !isClosed else { return }
        stream.shutdownWrite { [weak self] in self?.close() }
    }
}
