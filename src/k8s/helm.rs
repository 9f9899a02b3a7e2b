//! Helm chart output (written next).
use std::path::{Path, PathBuf};
use super::Conversion;
pub fn write_chart(dir: &Path, conv: &Conversion) -> Result<Vec<PathBuf>, String> {
    let _ = (dir, conv);
    Err("not yet".into())
}
