//! A Rust worker of the Apus functions server, built with one function's file into one binary:
//! it answers request frames (4-byte big-endian length + JSON) from descriptor 3 with reply
//! frames on descriptor 4, one at a time. stdout and stderr are the function's own, logged by
//! the server. The function is `pub fn handler(event: Value) -> Value` (`serde_json::Value`).
#[path = "function.rs"]
mod function;

use serde_json::{Map, Value};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::io::FromRawFd;

const ENVELOPE: [&str; 7] = ["status", "statusCode", "headers", "body", "is_base64", "isBase64Encoded", "body_base64"];

fn send(out: &mut impl Write, message: &Value) {
    let payload = message.to_string();
    let _ = out.write_all(&(payload.len() as u32).to_be_bytes());
    let _ = out.write_all(payload.as_bytes());
    let _ = out.flush();
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(64).collect::<String>().to_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || text.contains("<body") || text.contains("</html>")
}

fn reply(status: Value, headers: Map<String, Value>, body: Value, is_base64: bool) -> Map<String, Value> {
    let mut reply = Map::new();
    reply.insert("status".into(), status);
    reply.insert("headers".into(), Value::Object(headers));
    reply.insert("body".into(), body);
    if is_base64 {
        reply.insert("is_base64".into(), Value::Bool(true));
    }
    reply
}

/// What a handler returned, as FastFN answers it.
fn normalize(result: Value) -> Map<String, Value> {
    let mut headers = Map::new();
    match result {
        Value::Null => reply(Value::from(200), headers, Value::from(""), false),
        Value::String(text) => {
            let kind = if looks_like_html(&text) { "text/html; charset=utf-8" } else { "text/plain; charset=utf-8" };
            headers.insert("content-type".into(), Value::from(kind));
            reply(Value::from(200), headers, Value::String(text), false)
        }
        Value::Object(envelope) if ENVELOPE.iter().any(|key| envelope.contains_key(*key)) => {
            let status = envelope.get("status").or(envelope.get("statusCode")).cloned().unwrap_or(Value::from(200));
            if let Some(Value::Object(given)) = envelope.get("headers") {
                for (name, value) in given {
                    headers.insert(name.to_lowercase(), value.clone());
                }
            }
            if envelope.get("is_base64") == Some(&Value::Bool(true)) {
                return reply(status, headers, envelope.get("body_base64").cloned().unwrap_or_default(), true);
            }
            if envelope.get("isBase64Encoded") == Some(&Value::Bool(true)) {
                return reply(status, headers, envelope.get("body").cloned().unwrap_or_default(), true);
            }
            let body = match envelope.get("body") {
                None | Some(Value::Null) => Value::from(""),
                Some(Value::String(text)) => Value::String(text.clone()),
                Some(other) => {
                    headers.entry("content-type").or_insert(Value::from("application/json"));
                    Value::String(other.to_string())
                }
            };
            reply(status, headers, body, false)
        }
        other => {
            headers.insert("content-type".into(), Value::from("application/json"));
            reply(Value::from(200), headers, Value::String(other.to_string()), false)
        }
    }
}

fn answer(request: Value) -> Value {
    let id = request["id"].clone();
    let mut event = request["event"].clone();
    // As FastFN: route parameters also as top-level keys of the event, over the event's own
    // (`[id]` is event["id"], `[...path]` is event["path"]).
    if let Some(params) = event["params"].as_object().cloned() {
        if let Some(fields) = event.as_object_mut() {
            for (name, value) in params {
                fields.insert(name, value);
            }
        }
    }
    let mut message = match std::panic::catch_unwind(move || function::handler(event)) {
        Ok(result) => normalize(result),
        Err(panic) => {
            let why = panic.downcast_ref::<&str>().map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".into());
            let mut failed = Map::new();
            failed.insert("error".into(), Value::from(format!("rust handler panicked: {}", why)));
            failed
        }
    };
    message.insert("id".into(), id);
    Value::Object(message)
}

fn main() {
    // SAFETY: the server gives every worker these two descriptors, and nothing else owns them.
    let mut requests = BufReader::new(unsafe { File::from_raw_fd(3) });
    let mut replies = BufWriter::new(unsafe { File::from_raw_fd(4) });
    send(&mut replies, &serde_json::json!({"ready": true}));
    loop {
        let mut header = [0u8; 4];
        if requests.read_exact(&mut header).is_err() {
            return; // the server closed the request pipe: this worker is retired
        }
        let mut frame = vec![0u8; u32::from_be_bytes(header) as usize];
        if requests.read_exact(&mut frame).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(&frame);
        match serde_json::from_str(&text) {
            Ok(request) => send(&mut replies, &answer(request)),
            Err(error) => send(&mut replies, &serde_json::json!({"id": null, "error": (format!("an unreadable request: {}", error))})),
        }
    }
}
