//! Top-level resources: networks, volumes, configs and secrets, and `include` entries.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

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
