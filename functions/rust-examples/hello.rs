// GET /rust-examples/hello
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let name = event["query"]["name"].as_str().unwrap_or("world");
    json!({"hello": name, "runtime": "rust"})
}
