// GET /rust-examples/items/{id}: route parameters in event["params"].
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    json!({"id": (event["params"]["id"].clone()), "runtime": "rust"})
}
