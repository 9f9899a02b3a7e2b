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

mod scalars;
mod service;

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

/// A top-level network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct NetworkConfig {
    /// Engine-side name (`<project>_<key>` unless set or external).
    #[serde(skip_serializing_if = "empty_str")]
    pub name: Option<String>,
    /// Driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// IPAM (always printed in JSON, `{}` when empty).
    pub ipam: IpamConfig,
    /// Managed outside Compose.
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    /// Internal network.
    #[serde(skip_serializing_if = "is_false")]
    pub internal: bool,
    /// Attachable.
    #[serde(skip_serializing_if = "is_false")]
    pub attachable: bool,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Enable IPv4.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv4: Option<bool>,
    /// Enable IPv6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_ipv6: Option<bool>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// IPAM settings of a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct IpamConfig {
    /// IPAM driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Address pools.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<IpamPool>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl IpamConfig {
    /// Whether nothing is set (Compose's YAML output omits such an `ipam`).
    pub fn is_empty(&self) -> bool {
        *self == IpamConfig::default()
    }
}

/// One IPAM address pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct IpamPool {
    /// Subnet (CIDR).
    #[serde(skip_serializing_if = "empty_str")]
    pub subnet: Option<String>,
    /// Gateway.
    #[serde(skip_serializing_if = "empty_str")]
    pub gateway: Option<String>,
    /// Allocation range (CIDR).
    #[serde(skip_serializing_if = "empty_str")]
    pub ip_range: Option<String>,
    /// Reserved addresses, by host name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A top-level volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct VolumeConfig {
    /// Engine-side name (`<project>_<key>` unless set or external).
    #[serde(skip_serializing_if = "empty_str")]
    pub name: Option<String>,
    /// Driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Managed outside Compose.
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A top-level secret or config (compose-go `FileObjectConfig`).
///
/// Compose never prints a secret's `content`, nor a config's `content` when it came from
/// `environment`; [`super::render`] applies that when printing a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FileObjectConfig {
    /// Engine-side name.
    #[serde(skip_serializing_if = "empty_str")]
    pub name: Option<String>,
    /// Source file (absolute).
    #[serde(skip_serializing_if = "empty_str")]
    pub file: Option<String>,
    /// Source environment variable.
    #[serde(skip_serializing_if = "empty_str")]
    pub environment: Option<String>,
    /// Inline content.
    #[serde(skip_serializing_if = "empty_str")]
    pub content: Option<String>,
    /// Managed outside Compose.
    #[serde(skip_serializing_if = "is_false")]
    pub external: bool,
    /// Labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// Template driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub template_driver: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Where a config's or secret's content comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileObjectSource<'a> {
    /// The value of this variable of the project's environment.
    Environment(&'a str),
    /// This text (`content:`).
    Content(&'a str),
    /// This file (`file:`, absolute once loaded).
    File(&'a str),
}

impl FileObjectConfig {
    /// Where the content comes from, by Compose v2's precedence: `environment`, then
    /// `content`, then `file` (empty values do not count). None when it names none (an
    /// external object usually does not; what `external` means is the caller's to decide).
    pub fn source(&self) -> Option<FileObjectSource<'_>> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|x| !x.is_empty())
        }
        if let Some(var) = set(&self.environment) {
            Some(FileObjectSource::Environment(var))
        } else if let Some(text) = self.content.as_deref() {
            Some(FileObjectSource::Content(text))
        } else {
            set(&self.file).map(FileObjectSource::File)
        }
    }
}

/// A top-level secret.
pub type SecretConfig = FileObjectConfig;
/// A top-level config.
pub type ConfigObjConfig = FileObjectConfig;

/// An `include:` entry (long form). Not part of [`Project`]: the loader resolves includes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct IncludeConfig {
    /// Compose files to include.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// Project directory for the included files.
    #[serde(skip_serializing_if = "empty_str")]
    pub project_directory: Option<String>,
    /// Env files for interpolation of the included files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<String>,
}
