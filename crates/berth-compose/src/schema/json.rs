//! The schema rendered as a JSON Schema document (draft 7), for the drift test against the
//! reference JSON.

use super::nodes::{Sch, Ty};
use super::spec::{DEFINITIONS, ROOT};

/// Renders the description as a JSON Schema (draft 7) document, without annotations
/// (descriptions, ids). Used by the drift test against the reference schema.
pub fn json_schema() -> serde_json::Value {
    let mut root = render(&ROOT);
    let defs: serde_json::Map<String, serde_json::Value> = DEFINITIONS
        .iter()
        .map(|(n, s)| (n.to_string(), render(s)))
        .collect();
    root["definitions"] = serde_json::Value::Object(defs);
    root
}

fn render_type(ty: Ty) -> serde_json::Value {
    let names = ty.names();
    if names.len() == 1 {
        serde_json::json!(names[0])
    } else {
        serde_json::json!(names)
    }
}

fn render(s: &Sch) -> serde_json::Value {
    use serde_json::{json, Value as J};
    match s {
        Sch::Any => json!({}),
        Sch::Type(t) => json!({ "type": render_type(*t) }),
        Sch::Enum(t, v) => json!({ "type": render_type(*t), "enum": v }),
        Sch::Range(t, min, max) => {
            let mut o = json!({ "type": render_type(*t) });
            if let Some(m) = min {
                o["minimum"] = json!(m);
            }
            if let Some(m) = max {
                o["maximum"] = json!(m);
            }
            o
        }
        Sch::Array(items, unique) => {
            let mut o = json!({ "type": "array", "items": render(items) });
            if *unique {
                o["uniqueItems"] = J::Bool(true);
            }
            o
        }
        Sch::Object(o) => {
            let mut out = json!({ "type": render_type(o.ty) });
            if !o.props.is_empty() {
                out["properties"] = J::Object(
                    o.props
                        .iter()
                        .map(|(k, v)| (k.to_string(), render(v)))
                        .collect(),
                );
            }
            if !o.patterns.is_empty() {
                out["patternProperties"] = J::Object(
                    o.patterns
                        .iter()
                        .map(|(p, v)| (p.regex().to_string(), render(v)))
                        .collect(),
                );
            }
            if !o.additional {
                out["additionalProperties"] = J::Bool(false);
            }
            if !o.required.is_empty() {
                out["required"] = json!(o.required);
            }
            out
        }
        Sch::OneOf(b) => json!({ "oneOf": b.iter().map(render).collect::<Vec<_>>() }),
        Sch::Ref(n) => json!({ "$ref": format!("#/definitions/{n}") }),
        Sch::Named(_, s) => render(s),
    }
}
