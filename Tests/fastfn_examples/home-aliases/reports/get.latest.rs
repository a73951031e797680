// Folder home alias with an absolute home.route: /reports runs GET /reports/latest.
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    json!({"status": 200, "headers": {"Content-Type": "application/json"},
           "body": json!({"page": "latest", "runtime": "rust"}).to_string()})
}
