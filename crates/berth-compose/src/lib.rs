//! berth-compose reads Compose files exactly as Docker Compose v2 (2.26) reads them: `.env` and
//! `--env-file`, interpolation (`${VAR:-default}` …), override files with `!reset` and
//! `!override`, `extends`, `include`, profiles, YAML anchors and merge keys; then it validates
//! against the Compose Specification's schema and gives one typed, canonical [`Project`]. Its
//! errors name the file, line, column and key path (`services.web.ports[1]`) and, when it can,
//! what would fix it. It does no I/O after loading, and runs no container: `berth` builds on it,
//! and any Rust program can.
//!
//! The public API, by task:
//! - load a project: [`ProjectRequest`] (what the command line says: `-f`, `-p`, profiles, env
//!   files) → [`ProjectRequest::resolve`] → [`load()`] → [`LoadedProject`], or a [`LoadError`];
//! - read it: [`model`] (the typed project, in Compose v2's canonical form), [`ServiceGraph`]
//!   (`depends_on` with conditions: start order, waves, dependencies, dependents);
//! - print it as `docker compose config` does: [`render`] (YAML and JSON, byte for byte);
//! - where values came from (`config --explain`): [`provenance`];
//! - the rules other tools share: [`image`] references, [`syntax`] (Compose's short syntaxes,
//!   Go durations and byte sizes), [`build_context`] (Docker's `.dockerignore` rules),
//!   [`hash`] (the config hash that decides a recreate), [`paths`].
//!
//! ```
//! use berth_compose::{load, LoadFlags, ProjectRequest, ServiceGraph};
//!
//! let yaml = r#"
//! name: shop
//! services:
//!   db:
//!     image: postgres:${PG_VERSION:-16}
//!     healthcheck: {test: ["CMD", "pg_isready"]}
//!   api:
//!     image: shop/api:1.2
//!     ports: ["8080:80"]
//!     depends_on:
//!       db: {condition: service_healthy}
//! "#;
//! let request = ProjectRequest {
//!     files: vec!["-".into()], // `-f -`: read the file from `stdin`
//!     stdin: Some(yaml.into()),
//!     cwd: Some(std::env::temp_dir()),
//!     os_env: Some(Default::default()), // an empty shell environment
//!     ..Default::default()
//! };
//! let loaded = load(&request.resolve()?, &LoadFlags::default())?;
//! assert_eq!(loaded.name, "shop");
//! let db = &loaded.project.services["db"];
//! assert_eq!(db.image.as_deref(), Some("postgres:16"));
//! // Short syntax comes out long, as `docker compose config` prints it.
//! let port = &loaded.project.services["api"].ports[0];
//! assert_eq!((port.target, port.published.as_deref()), (80, Some("8080")));
//!
//! let graph = ServiceGraph::from_project(&loaded.project);
//! assert_eq!(graph.start_order(), ["db", "api"]);
//! assert_eq!(graph.dependencies("api")[0].condition.as_str(), "service_healthy");
//!
//! let json = berth_compose::render::print_json(&serde_json::to_value(&loaded.project)?);
//! assert!(json.contains("\"published\": \"8080\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A misspelt key is an error that points into the file:
//!
//! ```
//! # use berth_compose::{load, LoadFlags, ProjectRequest};
//! let request = ProjectRequest {
//!     files: vec!["-".into()],
//!     stdin: Some("services:\n  web:\n    image: nginx\n    enviroment: [A=1]\n".into()),
//!     cwd: Some(std::env::temp_dir()),
//!     os_env: Some(Default::default()),
//!     project_name: Some("demo".into()),
//!     ..Default::default()
//! };
//! let err = load(&request.resolve()?, &LoadFlags::default()).unwrap_err();
//! assert_eq!(err.exit_code(), 15); // Compose v2's code for an invalid model
//! assert!(err.to_string().contains(
//!     r#"services.web.enviroment: unknown key "enviroment" (did you mean "environment"?)"#
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod build_context;
pub mod dockerfile;
pub mod dotenv;
pub mod error;
pub mod graph;
pub mod hash;
pub mod image;
pub mod input;
mod interpolate;
mod keypath;
pub mod load;
pub mod model;
pub mod options;
pub mod paths;
pub mod provenance;
pub mod render;
pub mod schema;
mod suggest;
pub mod syntax;
pub mod yaml;
mod yaml_flow;

/// Entry points the fuzz targets (`fuzz/`) need beyond the public API; built only by
/// `cargo fuzz`, which sets `--cfg fuzzing`.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use crate::interpolate::interpolate;
}

pub use error::LoadError;
pub use graph::{Condition, ServiceGraph};
pub use load::{load, LoadFlags, LoadedProject};
pub use model::{Project, Service};
pub use options::{Environment, ProjectRequest};
