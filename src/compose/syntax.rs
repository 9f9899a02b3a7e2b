//! STUB
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError { pub message: String }
pub fn parse_port(spec: &str) -> Result<Vec<serde_json::Value>, SyntaxError> { Ok(vec![serde_json::json!({"mode":"ingress","target": spec.parse::<u32>().unwrap_or(0),"protocol":"tcp"})]) }
pub fn parse_volume(spec: &str) -> Result<serde_json::Value, SyntaxError> { Ok(serde_json::json!({"type":"volume","target":spec})) }
pub fn parse_duration(_s: &str) -> Result<std::time::Duration, SyntaxError> { Ok(std::time::Duration::from_secs(1)) }
pub fn format_go_duration(d: std::time::Duration) -> String { format!("{}s", d.as_secs()) }
pub fn parse_bytes(s: &str) -> Result<i64, SyntaxError> { s.parse().map_err(|_| SyntaxError{message: "bad".into()}) }
pub fn split_command(s: &str) -> Result<Vec<String>, SyntaxError> { Ok(s.split_whitespace().map(str::to_string).collect()) }
pub fn parse_extra_host(s: &str) -> Result<(String, String), SyntaxError> { let (a,b)=s.split_once(['=',':']).unwrap_or((s,"")); Ok((a.into(), b.into())) }
pub fn parse_device(s: &str) -> Result<serde_json::Value, SyntaxError> { Ok(serde_json::json!({"source": s})) }
pub fn split_env_entry(s: &str) -> (String, Option<String>) { match s.split_once('=') { Some((k,v)) => (k.into(), Some(v.into())), None => (s.into(), None) } }
