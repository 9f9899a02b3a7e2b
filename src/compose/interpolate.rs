//! STUB
pub struct Interpolated { pub value: String, pub unset: Vec<String>, pub used: Vec<String> }
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InterpolationError {
    #[error("required variable {var} is missing a value: {message}")]
    Required { var: String, message: String },
    #[error("invalid interpolation format for {template}: {detail}")]
    Invalid { template: String, detail: String },
}
pub fn interpolate(template: &str, _lookup: &dyn Fn(&str) -> Option<String>) -> Result<Interpolated, InterpolationError> {
    Ok(Interpolated { value: template.to_string(), unset: vec![], used: vec![] })
}
