// Modelled on polyglot-tutorial/step-4 (Rust): GET /polyglot-tutorial/step-4
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    let body = json!({"step": 4, "runtime": "rust", "status": "ready", "message": "Rust helper is warm."});
    json!({"status": 200, "headers": {"Content-Type": "application/json"}, "body": body.to_string()})
}
