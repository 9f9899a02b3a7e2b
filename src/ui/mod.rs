//! What berth shows a person: progress lines and (later) the log multiplexer.

pub mod bytes;
pub mod logs;
pub mod progress;
pub mod stream;
pub mod table;
pub mod terminal;
