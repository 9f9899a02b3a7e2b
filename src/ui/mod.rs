//! What berth shows a person: progress lines and (later) the log multiplexer.

pub mod bytes;
pub mod progress;
