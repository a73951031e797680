// Modelled on rest-api-methods/posts/[category]/[slug]/get.rs: GET /posts/:category/:slug
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let category = event["category"].as_str().unwrap_or("");
    let slug = event["slug"].as_str().unwrap_or("");
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({
            "category": category,
            "slug": slug,
            "title": format!("{}/{}", category, slug),
            "url": format!("/posts/{}/{}", category, slug)
        }).to_string()
    })
}
