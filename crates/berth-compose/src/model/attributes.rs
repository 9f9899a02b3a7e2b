//! A service's structured attributes: logging, healthcheck, dependencies, extends,
//! networks, ports, volumes, and references to configs and secrets.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

/// `logging:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct LoggingConfig {
    /// Driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `healthcheck:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct HealthCheckConfig {
    /// Test: `["CMD", …]`, `["CMD-SHELL", cmd]` or `["NONE"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Timeout (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Interval (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<u64>,
    /// Start period (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<String>,
    /// Interval during the start period (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<String>,
    /// Disable the image's health check.
    #[serde(skip_serializing_if = "is_false")]
    pub disable: bool,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `credential_spec:` (Windows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct CredentialSpecConfig {
    /// Config name.
    #[serde(skip_serializing_if = "empty_str")]
    pub config: Option<String>,
    /// File.
    #[serde(skip_serializing_if = "empty_str")]
    pub file: Option<String>,
    /// Registry value.
    #[serde(skip_serializing_if = "empty_str")]
    pub registry: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A `depends_on` entry (long form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceDependency {
    /// `service_started`, `service_healthy`, `service_completed_successfully`.
    #[serde(skip_serializing_if = "empty_str")]
    pub condition: Option<String>,
    /// Restart this service when the dependency is updated.
    #[serde(skip_serializing_if = "is_false")]
    pub restart: bool,
    /// Whether the dependency must exist/run (always printed).
    pub required: bool,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `extends:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ExtendsConfig {
    /// File holding the base service.
    #[serde(skip_serializing_if = "empty_str")]
    pub file: Option<String>,
    /// Base service name.
    #[serde(skip_serializing_if = "empty_str")]
    pub service: Option<String>,
}

/// A service's attachment to a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceNetworkConfig {
    /// Connection order priority.
    #[serde(skip_serializing_if = "zero_i64")]
    pub priority: Option<i64>,
    /// Default gateway priority.
    #[serde(skip_serializing_if = "zero_i64")]
    pub gw_priority: Option<i64>,
    /// Aliases.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Static IPv4.
    #[serde(skip_serializing_if = "empty_str")]
    pub ipv4_address: Option<String>,
    /// Static IPv6.
    #[serde(skip_serializing_if = "empty_str")]
    pub ipv6_address: Option<String>,
    /// Link-local IPs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_local_ips: Vec<String>,
    /// MAC address on this network.
    #[serde(skip_serializing_if = "empty_str")]
    pub mac_address: Option<String>,
    /// Driver options for the endpoint.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub driver_opts: BTreeMap<String, String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A published port (long form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServicePortConfig {
    /// Port name.
    #[serde(skip_serializing_if = "empty_str")]
    pub name: Option<String>,
    /// `ingress` or `host`.
    #[serde(skip_serializing_if = "empty_str")]
    pub mode: Option<String>,
    /// Host IP to bind.
    #[serde(skip_serializing_if = "empty_str")]
    pub host_ip: Option<String>,
    /// Container port.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub target: u32,
    /// Host port or range (`"8080"`, `"9000-9010"`); `None` = random.
    #[serde(skip_serializing_if = "empty_str")]
    pub published: Option<String>,
    /// `tcp` or `udp`.
    #[serde(skip_serializing_if = "empty_str")]
    pub protocol: Option<String>,
    /// Application protocol.
    #[serde(skip_serializing_if = "empty_str")]
    pub app_protocol: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A mount (long form of `volumes:`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceVolumeConfig {
    /// `volume`, `bind`, `tmpfs`, `npipe`, `cluster`.
    #[serde(rename = "type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Volume name or absolute host path; `None` for anonymous volumes and tmpfs.
    #[serde(skip_serializing_if = "empty_str")]
    pub source: Option<String>,
    /// Container path.
    #[serde(skip_serializing_if = "empty_str")]
    pub target: Option<String>,
    /// Read-only.
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Consistency (ignored on Linux).
    #[serde(skip_serializing_if = "empty_str")]
    pub consistency: Option<String>,
    /// Bind options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<ServiceVolumeBind>,
    /// Volume options (`{}` is printed when present but empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<ServiceVolumeVolume>,
    /// tmpfs options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<ServiceVolumeTmpfs>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Bind mount options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceVolumeBind {
    /// `z` or `Z`.
    #[serde(skip_serializing_if = "empty_str")]
    pub selinux: Option<String>,
    /// Propagation (`rprivate`, …).
    #[serde(skip_serializing_if = "empty_str")]
    pub propagation: Option<String>,
    /// Create the host path if missing (true for short syntax).
    #[serde(skip_serializing_if = "is_false")]
    pub create_host_path: bool,
    /// Recursive read-only mode.
    #[serde(skip_serializing_if = "empty_str")]
    pub recursive: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Volume mount options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceVolumeVolume {
    /// Do not copy image data into a new volume.
    #[serde(skip_serializing_if = "is_false")]
    pub nocopy: bool,
    /// Sub-path of the volume to mount.
    #[serde(skip_serializing_if = "empty_str")]
    pub subpath: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// tmpfs mount options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceVolumeTmpfs {
    /// Size.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub size: Option<Bytes>,
    /// File mode.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub mode: u32,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A service's reference to a secret or config (long form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct FileReferenceConfig {
    /// Name of the top-level secret/config.
    #[serde(skip_serializing_if = "empty_str")]
    pub source: Option<String>,
    /// Path (or name under `/run/secrets`) in the container.
    #[serde(skip_serializing_if = "empty_str")]
    pub target: Option<String>,
    /// Owner uid (string).
    #[serde(skip_serializing_if = "empty_str")]
    pub uid: Option<String>,
    /// Owner gid (string).
    #[serde(skip_serializing_if = "empty_str")]
    pub gid: Option<String>,
    /// File mode (printed in decimal: `0440` -> `288`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A service's `configs:` entry.
pub type ServiceConfigObjConfig = FileReferenceConfig;
/// A service's `secrets:` entry (also `build.secrets`).
pub type ServiceSecretConfig = FileReferenceConfig;
