//! STUB
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Project { #[serde(flatten)] pub rest: serde_json::Map<String, serde_json::Value> }
