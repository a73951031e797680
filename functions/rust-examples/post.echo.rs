// POST /rust-examples/echo: the JSON body back, with 201.
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let body = serde_json::from_str(event["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    json!({"status": 201, "headers": {"x-runtime": "rust"}, "body": body})
}
