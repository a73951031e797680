// Modelled on rest-api-methods/files/[...path]/get.rs: GET /files/*; the catch-all arrives as
// event["path"] (in place of the request path).
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let path = event["path"].as_str().unwrap_or("");
    let segments: Vec<&str> = if path.is_empty() { Vec::new() } else { path.split('/').collect() };
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"path": path, "segments": segments, "depth": segments.len()}).to_string()
    })
}
