//! The typed Compose project model.
//!
//! This is the canonical, fully normalised form of a Compose project: the shape that
//! `docker compose config --format json` (Compose v2.26.1) prints. The loader produces a
//! JSON tree of exactly that shape and deserialises it into [`Project`];
//! `serde_json::to_value(&project)` gives that tree back.
//!
//! Conventions, chosen so that serialisation reproduces the reference output:
//!
//! * Struct fields are declared in the order Compose prints them, with the Compose key names.
//! * Go's `omitempty` is reproduced with `skip_serializing_if`: empty strings, empty
//!   collections, `false` and zero numbers are omitted. Scalar strings are `Option<String>`;
//!   `Some("")` is treated like `None` when serialising.
//! * Values that Compose keeps even when "zero" are typed so that they always print: pointer-like
//!   options (`replicas`, `scale`, `init`, `retries`, …) print `0`/`false` when `Some`;
//!   `command`/`entrypoint` print `null` when absent; `ipam`, `deploy.resources`,
//!   `deploy.placement` and `develop.watch[].exec` always print (as `{}` when empty).
//! * Maps are `BTreeMap`s, so they print sorted like Go maps in JSON.
//! * Durations are Go duration strings as Compose prints them (`"1m30s"`); byte sizes are
//!   [`Bytes`], printed as a string of bytes (`"52428800"`).
//! * `x-*` extension keys are kept in an [`Extensions`] map on every struct that accepts them in
//!   Compose. The JSON form of Compose drops all of them except the project-level ones; the
//!   printers in [`super::render`] reproduce that.

mod attributes;
mod build;
mod deploy;
mod devices;
mod omit;
mod resources;
mod scalars;
mod service;

pub use attributes::*;
pub use build::*;
pub use deploy::*;
pub use devices::*;
pub use resources::*;
pub use scalars::*;
pub use service::*;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole Compose project, as `docker compose config` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Project {
    /// Project name (normalised).
    pub name: String,
    /// Enabled services, by name.
    pub services: BTreeMap<String, Service>,
    /// Networks used by the services, by key (`default` included when used).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, NetworkConfig>,
    /// Named volumes used by the services.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, VolumeConfig>,
    /// Secrets used by the services.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, SecretConfig>,
    /// Configs used by the services.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub configs: BTreeMap<String, ConfigObjConfig>,
    /// Top-level `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Project {
    /// The service called `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }
}
