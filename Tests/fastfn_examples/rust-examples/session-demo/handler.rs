// Modelled on the session demo of examples/functions/rust/README.md: event["session"] from the
// Cookie header; 401 without a session id.
use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    let session = &event["session"];
    let cookies = if session["cookies"].is_object() { session["cookies"].clone() } else { json!({}) };
    let id = session["id"].as_str().unwrap_or("");
    if id.is_empty() {
        return json!({
            "status": 401,
            "headers": {"Content-Type": "application/json"},
            "body": json!({"error": "No session cookie found", "hint": "Send Cookie: session_id=your-token"}).to_string()
        });
    }
    let theme = cookies["theme"].as_str().unwrap_or("light").to_string();
    json!({
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json!({"authenticated": true, "session_id": id, "theme": theme, "all_cookies": cookies}).to_string()
    })
}
