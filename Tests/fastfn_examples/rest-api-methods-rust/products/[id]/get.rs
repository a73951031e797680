// Modelled on rest-api-methods/products/[id]/get.rs: GET /products/:id; the parameter is merged
// into the event as a top-level key.
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let id: i64 = event["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"id": id, "name": "Widget", "price": 9.99}).to_string()
    })
}
