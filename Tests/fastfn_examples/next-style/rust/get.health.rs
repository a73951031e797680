// Modelled on next-style/rust/get.health.rs: GET /rust/health
#[path = "_shared.rs"]
mod _shared;

use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    _shared::respond("GET /rust/health", _shared::params_of(&event), json!({"status_text": "ok"}))
}
