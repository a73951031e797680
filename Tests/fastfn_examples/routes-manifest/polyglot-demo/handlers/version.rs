// Modelled on FastFN's polyglot-demo fixture: "GET /version" mapped to a Rust file.
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    json!({"status": 200, "headers": {"Content-Type": "application/json"},
           "body": json!({"version": "1.0.0", "runtime": "rust"}).to_string()})
}
