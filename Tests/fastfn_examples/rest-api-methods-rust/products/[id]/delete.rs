// Modelled on rest-api-methods/products/[id]/delete.rs: DELETE /products/:id
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let id: i64 = event["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"id": id, "deleted": true}).to_string()
    })
}
