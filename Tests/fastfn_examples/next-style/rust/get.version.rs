// Modelled on next-style/rust/get.version.rs: GET /rust/version
#[path = "_shared.rs"]
mod _shared;

use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    _shared::respond("GET /rust/version", _shared::params_of(&event), json!({"version": "v1"}))
}
