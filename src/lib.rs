//! berth: a docker-compose-compatible orchestrator.
//!
//! The library is one pipeline (see ARCHITECTURE.md): compose files are loaded into a typed
//! project by [`berth_compose`]; later stages plan and apply it on an engine ([`berth_engine`])
//! or convert it ([`berth_k8s`]).

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle;
pub mod cli;
pub mod converge;
pub mod copy;
pub mod images;
pub mod project;
pub mod session;
pub mod signals;
pub mod ui;
pub mod up;
pub mod watch;
