//! What berth shows a person: progress lines and (later) the log multiplexer.

// What a person sees is printed here (see clippy.toml).
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

pub mod bytes;
pub mod explain;
pub mod logs;
pub mod progress;
pub mod stream;
pub mod terminal;
pub mod text;
