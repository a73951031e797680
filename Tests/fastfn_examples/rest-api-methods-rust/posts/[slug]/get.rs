// Modelled on rest-api-methods/posts/[slug]/get.rs: GET /posts/:slug, read from event["params"].
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let slug = event["params"]["slug"].as_str().unwrap_or("").to_string();
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"slug": slug, "title": format!("Post: {}", slug), "content": "Lorem ipsum..."}).to_string()
    })
}
