// Modelled on rest-api-methods/products/get.rs: GET /products
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    let products = json!([{"id": 1, "name": "Widget", "price": 9.99}, {"id": 2, "name": "Gadget", "price": 24.99}]);
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"products": products, "total": 2}).to_string()
    })
}
