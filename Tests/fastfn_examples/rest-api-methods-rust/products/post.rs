// Modelled on rest-api-methods/products/post.rs: POST /products
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let data: Value = match serde_json::from_str(event["body"].as_str().unwrap_or("")) {
        Ok(value) => value,
        Err(_) => return json!({"status": 400, "body": json!({"error": "Invalid JSON"}).to_string()}),
    };
    let name = data["name"].as_str().unwrap_or("").trim().to_string();
    if name.is_empty() {
        return json!({"status": 400, "body": json!({"error": "name is required"}).to_string()});
    }
    let price = data["price"].as_f64().unwrap_or(0.0);
    json!({
        "status": 201,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"id": 42, "name": name, "price": price, "created": true}).to_string()
    })
}
