//! STUB
pub struct DotenvEntry { pub value: String, pub line: u32 }
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DotenvError { pub line: u32, pub message: String }
pub fn parse(text: &str, _lookup: &dyn Fn(&str) -> Option<String>) -> Result<indexmap::IndexMap<String, DotenvEntry>, DotenvError> {
    let mut m = indexmap::IndexMap::new();
    for (i, l) in text.lines().enumerate() { if let Some((k, v)) = l.split_once('=') { m.insert(k.trim().to_string(), DotenvEntry { value: v.to_string(), line: i as u32 + 1 }); } }
    Ok(m)
}
