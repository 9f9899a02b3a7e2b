//! What berth shows a person: progress lines and (later) the log multiplexer.

pub mod logs;
pub mod progress;
