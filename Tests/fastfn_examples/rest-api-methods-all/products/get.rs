// Modelled on rest-api-methods run without FN_RUNTIMES: products/get.* exists in every runtime.
use serde_json::{json, Value};

pub fn handler(_event: Value) -> Value {
    json!({"status": 200, "body": "{\"runtime\":\"rust\"}"})
}
