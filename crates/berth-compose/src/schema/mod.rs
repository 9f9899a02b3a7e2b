//! Stage 3 of the loader: checks an interpolated compose document against the Compose
//! Specification schema, with errors that say where (file:line:col and key path), what is wrong
//! in plain words, and what would fix it.
//!
//! The schema is described here in Rust (a small table of JSON-Schema-like nodes) rather than
//! loaded from a JSON file. It follows the schema that the reference implementation actually
//! enforces: Docker Compose 2.26.1 as packaged (Debian `2.26.1-4`) embeds the schema of
//! compose-go **v2.4.8**, which differs from compose-go v2.0.2's (most booleans and integers also
//! accept strings, `format: duration` is gone, `gpus`, `post_start`, `pre_stop`, `label_file`,
//! `build.entitlements`, `develop.watch[].exec` exist, …). `tests/schema_spec.rs` renders
//! [`json_schema`] and compares it with the reference JSON so the two cannot drift.
//!
//! What the reference does around validation, and how this module mirrors it:
//! * values are validated after interpolation; compose-go casts a few interpolated strings to
//!   numbers/booleans *before* validating (its interpolation cast table). Every cast target
//!   accepts strings in the schema anyway, except the range checks of `cpu_count`,
//!   `cpu_percent` and `oom_score_adj`; for those, a string that parses as a number is checked
//!   as that number (so `cpu_count: "-1"` is rejected, as by Compose).
//! * `!reset` entries are removed before validation: a `!reset`-tagged value is skipped, key
//!   included.
//! * list entries of some attributes (`environment`, `ports`, `cap_add`, …) are de-duplicated
//!   before validation, so `uniqueItems` is not enforced on those (see [`deduplicated`]).

mod json;
mod nodes;
mod spec;
mod validator;

use crate::yaml::Pos;

pub use json::json_schema;

/// One schema violation.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{pos}: {path}: {message}")]
pub struct SchemaError {
    /// For unknown keys, where the key was written; otherwise where the value was.
    pub pos: Pos,
    /// e.g. `services.web.ports[1]`; keys that contain dots, spaces, … are quoted
    /// (`services."my service"`); `(root)` for the document itself.
    pub path: String,
    /// Plain words: what is wrong and what would fix it.
    pub message: String,
}

pub use validator::validate;
