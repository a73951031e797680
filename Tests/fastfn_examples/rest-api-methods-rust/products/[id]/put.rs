// Modelled on rest-api-methods/products/[id]/put.rs: PUT /products/:id
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let id: i64 = event["id"].as_str().unwrap_or("0").parse().unwrap_or(0);
    let mut data: Value = match serde_json::from_str(event["body"].as_str().unwrap_or("")) {
        Ok(value @ Value::Object(_)) => value,
        _ => return json!({"status": 400, "body": json!({"error": "Invalid JSON"}).to_string()}),
    };
    data["id"] = json!(id);
    data["updated"] = json!(true);
    json!({"status": 200, "headers": {"Content-Type": "application/json"}, "body": data.to_string()})
}
