package import ApusPython
/// What every event of one Python function shares: its `context` (with `request_id` first, to
/// be filled) and `env` dicts, read from its plan, the event's shape, and the largest body the
/// function takes (a larger one is left out of the event: the plan refuses it).
package struct FunctionEventSource: Sendable {
    package let context: PyObjectRef
    package let env: PyObjectRef
    package let shape: FunctionEventShape
    package let maxBodyBytes: Int

    package init(context: PyObjectRef, env: PyObjectRef, shape: FunctionEventShape, maxBodyBytes: Int) {
        self.context = context
        self.env = env
        self.shape = shape
        self.maxBodyBytes = maxBodyBytes
    }
}

/// The event dict's keys as interned strs, and dicts with the event's keys in order (values
/// None): an event starts as a copy of its template (one block copied, never resized) whose
/// values are then replaced, so that building one hashes no key and grows no table. Made once
/// per compiled app, shared by its functions.
package final class FunctionEventShape: Sendable {
    let id, ts, method, path, rawPath, query, params, pathParams, headers, body, isBase64: PyObjectRef
    let session, raw, cookies, client, ip, ua, context, requestID, env: PyObjectRef
    /// The `user-agent` header's key in the event's headers.
    let userAgentHeader: PyObjectRef
    let event, sessionTemplate, clientTemplate: PyObjectRef

    package init(_ gil: borrowing GIL) throws(PythonError) {
        id = try gil.internedStr("id")
        ts = try gil.internedStr("ts")
        method = try gil.internedStr("method")
        path = try gil.internedStr("path")
        rawPath = try gil.internedStr("raw_path")
        query = try gil.internedStr("query")
        params = try gil.internedStr("params")
        pathParams = try gil.internedStr("path_params")
        headers = try gil.internedStr("headers")
        body = try gil.internedStr("body")
        isBase64 = try gil.internedStr("is_base64")
        session = try gil.internedStr("session")
        raw = try gil.internedStr("raw")
        cookies = try gil.internedStr("cookies")
        client = try gil.internedStr("client")
        ip = try gil.internedStr("ip")
        ua = try gil.internedStr("ua")
        context = try gil.internedStr("context")
        requestID = try gil.internedStr("request_id")
        env = try gil.internedStr("env")
        userAgentHeader = try gil.internedStr("user-agent")
        // make_event's order.
        event = try gil.template([id, ts, method, path, rawPath, query, params, pathParams, headers, body, session, client,
                                  context, env])
        sessionTemplate = try gil.template([id, raw, cookies])
        clientTemplate = try gil.template([ip, ua])
    }
}

extension GIL {
    /// `event` as the dict `apus.functions.event.make_event` builds for the same request: the
    /// same keys in the same order, `params` and `path_params` one dict, `client.ua` the
    /// headers' own value.
    func eventDict(_ event: FunctionEvent, _ source: FunctionEventSource) throws(PythonError) -> PyOwned {
        let shape = source.shape
        let dict = try dictCopy(shape.event)
        let id = try str(event.id)
        try setItem(dict, shape.id, id)
        try setItem(dict, shape.ts, try int(event.ts))
        try setItem(dict, shape.method, try str(event.method))
        try setItem(dict, shape.path, try str(event.path))
        try setItem(dict, shape.rawPath, try str(event.rawPath))
        try setItem(dict, shape.query, try fieldsDict(event.query))
        let params = try stringDict(event.params)
        try setItem(dict, shape.params, params)
        try setItem(dict, shape.pathParams, params)
        let headers = try fieldsDict(event.headers)
        try setItem(dict, shape.headers, headers)
        if let body = event.body { try setItem(dict, shape.body, try str(body)) }
        if let session = event.session {
            let value = try dictCopy(shape.sessionTemplate)
            if let id = session.id { try setItem(value, shape.id, try str(id)) }
            try setItem(value, shape.raw, try str(session.raw))
            try setItem(value, shape.cookies, try fieldsDict(session.cookies))
            try setItem(dict, shape.session, value)
        }
        let client = try dictCopy(shape.clientTemplate)
        try setItem(client, shape.ip, try str(event.clientIP))
        if let agent = item(headers, shape.userAgentHeader) { try setItem(client, shape.ua, agent) }
        try setItem(dict, shape.client, client)
        let context = try dictCopy(source.context)
        try setItem(context, shape.requestID, id)
        if let extra = event.invocationContext {
            try update(context, with: try loadsJSON("{" + String(decoding: extra, as: UTF8.self) + "}"))
        }
        try setItem(dict, shape.context, context)
        try setItem(dict, shape.env, try dictCopy(source.env))
        if event.isBase64 { try setItem(dict, shape.isBase64, bool(true)) }
        return dict
    }

    /// A dict of `keys`, each None.
    fileprivate func template(_ keys: [PyObjectRef]) throws(PythonError) -> PyObjectRef {
        let dict = try self.dict()
        for key in keys { try setItem(dict, key, none()) }
        return dict.share()
    }

    private func fieldsDict(_ fields: FunctionEvent.Fields<FunctionEvent.Repeatable>) throws(PythonError) -> PyOwned {
        let dict = try self.dict()
        for (name, value) in fields.entries {
            switch value {
            case .one(let text): try setItem(dict, name, try str(text))
            case .flag: try setItem(dict, name, bool(true))
            case .many(let texts): try setItem(dict, name, try stringList(texts))
            }
        }
        return dict
    }

    private func fieldsDict(_ fields: FunctionEvent.Fields<String>) throws(PythonError) -> PyOwned {
        let dict = try self.dict()
        for (name, value) in fields.entries { try setItem(dict, name, try str(value)) }
        return dict
    }
}
