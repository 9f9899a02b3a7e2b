//! berth's one door to the container engine: Docker, or Podman's Docker-compatible API,
//! through bollard. Nothing else in berth names bollard (the workspace's only crate that
//! depends on it), so the compiler keeps the engine's types and quirks in here.
//!
//! What goes out is engine-neutral: an [`Engine`] handle whose client is private, containers as
//! [`ContainerSummary`] and [`ContainerDetails`], [`Event`]s named the same on both engines,
//! [`StatsSample`]s computed as `docker stats` does, byte streams for logs, exec and attach
//! ([`io`]), and the mapping of a compose service to the engine's container configuration
//! ([`spec`]). Docker's and Podman's differences stay inside (`podman.rs` names each one).
//!
//! ```no_run
//! # async fn demo() -> Result<(), berth_engine::EngineError> {
//! use berth_engine::{labels, ComposeLabels, Engine, EngineChoice};
//!
//! let engine = Engine::connect_to(&berth_engine::target(EngineChoice::Auto)).await?;
//! for c in engine.list_containers(&[labels::project_filter("demo")]).await? {
//!     println!("{} {} {}", c.service(), c.name, c.state);
//! }
//! # Ok(()) }
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod api;
pub mod archive;
pub mod build;
mod cli_config;
pub mod clock;
mod compat;
mod connect;
mod container;
mod endpoints;
mod error;
mod event;
pub mod images;
pub mod io;
pub mod labels;
mod lifecycle;
mod podman;
mod resources;
pub mod spec;
mod stats;

pub use cli_config::CliConfig;
pub use cli_config::Registries;
pub use connect::{
    choice_from_env, choose_target, default_host, target, Engine, EngineChoice, EngineKind, Target,
    DOCKER_SOCKET,
};
pub use container::{
    ComposeLabels, ContainerDetails, ContainerState, ContainerStatus, ContainerSummary, Health,
    HealthProbe, HealthStatus, Healthcheck, HostBinding, MountPoint, PortSummary,
};
pub use endpoints::Endpoints;
pub use error::EngineError;
pub use event::{Event, EventKind};
pub use lifecycle::{nanos, CreateError};
pub use resources::{NetworkSummary, VolumeSummary};
pub use stats::StatsSample;
