// Modelled on polyglot-tutorial/step-4/get.status.rs: GET /polyglot-tutorial/step-4/status (alias)
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    let body = json!({"step": 4, "runtime": "rust", "status": "ready", "message": "Rust helper is warm."});
    json!({"status": 200, "headers": {"Content-Type": "application/json"}, "body": body.to_string()})
}
