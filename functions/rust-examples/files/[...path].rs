// GET /rust-examples/files/{path:path}: a catch-all.
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    json!({"path": (event["params"]["path"].clone()), "runtime": "rust"})
}
