// Private helper (not a route), declared as a module by the Rust routes beside it.
use serde_json::{json, Map, Value};

pub fn params_of(event: &Value) -> Value {
    event.get("params").cloned().unwrap_or_else(|| json!({}))
}

pub fn respond(route: &str, params: Value, extra: Value) -> Value {
    let mut body = Map::new();
    body.insert("route".into(), json!(route));
    body.insert("runtime".into(), json!("rust"));
    body.insert("helper".into(), json!("rust/_shared.rs"));
    body.insert("params".into(), params);
    if let Value::Object(more) = extra {
        body.extend(more);
    }
    json!({"status": 200, "headers": {"Content-Type": "application/json"}, "body": Value::Object(body).to_string()})
}
