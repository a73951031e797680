internal import ActorRuntime
internal import FoundationEssentials

/// The event as a worker gets it: JSON written by hand, field by field. The parts that are the
/// same for every request of a function (`context`, `env`) are encoded once (`Constant`).
extension FunctionEvent {
    /// A function's fields of every event, encoded once.
    struct Constant: Sendable {
        /// `context` without its braces and without `request_id`.
        let contextFields: [UInt8]
        let env: [UInt8]

        init(_ function: FunctionsManifest.Worker) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var context = function.context
            context["request_id"] = nil
            let encoded = (try? Array(encoder.encode(context))) ?? Array("{}".utf8)
            contextFields = Array(encoded.dropFirst().dropLast())
            env = (try? Array(encoder.encode(function.env))) ?? Array("{}".utf8)
        }
    }

    func json(_ constant: Constant) -> [UInt8] {
        var json = JSONWriter(capacity: 512 + constant.contextFields.count + constant.env.count)
        json.raw("{\"id\":"); json.string(id)
        json.raw(",\"ts\":"); json.raw(String(ts))
        json.raw(",\"method\":"); json.string(method)
        json.raw(",\"path\":"); json.string(path)
        json.raw(",\"raw_path\":"); json.string(rawPath)
        json.raw(",\"query\":"); json.fields(query) { json, value in json.repeatable(value) }
        json.raw(",\"params\":"); json.object(params) { json, value in json.string(value) }
        json.raw(",\"path_params\":"); json.object(params) { json, value in json.string(value) }
        json.raw(",\"headers\":"); json.fields(headers) { json, value in json.repeatable(value) }
        json.raw(",\"body\":"); json.optionalString(body)
        if isBase64 { json.raw(",\"is_base64\":true") }
        json.raw(",\"session\":")
        if let session {
            json.raw("{\"id\":"); json.optionalString(session.id)
            json.raw(",\"raw\":"); json.string(session.raw)
            json.raw(",\"cookies\":"); json.fields(session.cookies) { json, value in json.string(value) }
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw(",\"client\":{\"ip\":"); json.string(clientIP)
        json.raw(",\"ua\":")
        if let userAgent { json.repeatable(userAgent) } else { json.raw("null") }
        json.raw("},\"context\":{\"request_id\":"); json.string(id)
        if !constant.contextFields.isEmpty { json.raw(","); json.bytes(constant.contextFields) }
        if let extra = invocationContext { json.raw(","); json.bytes(extra) }
        json.raw("},\"env\":"); json.bytes(constant.env)
        json.raw("}")
        return json.output
    }
}

extension JSONWriter {
    mutating func repeatable(_ value: FunctionEvent.Repeatable) {
        switch value {
        case .one(let text): string(text)
        case .flag: raw("true")
        case .many(let values): array(values) { json, value in json.string(value) }
        }
    }

    mutating func fields<Value>(_ fields: FunctionEvent.Fields<Value>, _ write: (inout JSONWriter, Value) -> Void) {
        raw("{")
        for (index, entry) in fields.entries.enumerated() {
            if index > 0 { raw(",") }
            string(entry.name)
            raw(":")
            write(&self, entry.value)
        }
        raw("}")
    }
}
