//! Compose's short syntaxes, turned into Compose v2's canonical long form.
//!
//! Every function here is pure: it takes one already-interpolated value and returns what
//! `docker compose config` (v2.26.1) prints for it, or a [`SyntaxError`] saying what was
//! expected. Long forms are `serde_json::Value` objects whose keys are in the order compose
//! prints them, with absent/zero fields left out the way compose leaves them out.
//!
//! Paths are *not* resolved here (bind sources stay relative, `~` stays `~`); the caller does
//! that. The caller also adds the file, line and key path to error messages.
//!
//! Behaviour was settled by running compose-v2 2.26.1; the table tests below record each case.

/// A short-syntax value that compose would reject. `message` is plain words without
/// file/key context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SyntaxError {
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        message: message.into(),
    })
}

mod bytes;
mod command;
mod duration;
mod entries;
mod ports;
mod volumes;

pub use bytes::{parse_bytes, parse_bytes_value};
pub use command::{healthcheck_test_from_string, split_command};
pub use duration::{
    format_go_duration, format_go_duration_nanos, normalize_duration, parse_duration,
    parse_duration_nanos,
};
pub use entries::{
    extra_host_pair, gpus_all, normalize_ulimit, parse_device, parse_device_count,
    parse_extra_host, parse_go_int, short_config, short_secret, split_env_entry,
};
pub use ports::{normalize_expose, parse_port, parse_port_number};
pub use volumes::{is_file_path, parse_volume};

/// Two long forms print the same (keys in the same order, as compose prints them).
#[cfg(test)]
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    serde_json::to_string(a).unwrap() == serde_json::to_string(b).unwrap()
}
