//! JSON comparison as the conformance corpus's MANIFEST asks for it.

use serde_json::Value;

/// Drops nulls, empty maps and empty lists (recursively): Compose v2 and berth may print an
/// empty value or leave it out, and both mean the same.
pub fn prune(v: &Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Array(a) => {
            let items: Vec<Value> = a.iter().filter_map(prune).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Value::Object(o) => {
            let m: serde_json::Map<String, Value> = o
                .iter()
                .filter_map(|(k, x)| prune(x).map(|x| (k.clone(), x)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        other => Some(other.clone()),
    }
}
