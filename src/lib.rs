//! berth: a docker-compose-compatible orchestrator.
//!
//! The library is one pipeline (see ARCHITECTURE.md): compose files are loaded into a typed
//! [`compose::model::Project`]; later stages plan and apply it on an engine or convert it.

pub mod bundle;
pub mod cli;
pub mod compose;
pub mod converge;
pub mod engine;
pub mod graph;
pub mod k8s;
pub mod ui;
pub mod watch;
