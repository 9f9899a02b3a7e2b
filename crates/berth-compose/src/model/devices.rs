//! Block I/O limits and devices.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

/// `blkio_config:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BlkioConfig {
    /// Relative weight (10-1000).
    #[serde(skip_serializing_if = "zero_u16")]
    pub weight: Option<u16>,
    /// Per-device weights.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<WeightDevice>,
    /// Read rate limits (bytes per second).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<ThrottleDevice>,
    /// Read rate limits (operations per second).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<ThrottleDevice>,
    /// Write rate limits (bytes per second).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<ThrottleDevice>,
    /// Write rate limits (operations per second).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<ThrottleDevice>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A device weight. Compose's JSON capitalises these keys (`Path`, `Weight`); YAML does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct WeightDevice {
    /// Device path.
    #[serde(rename = "Path", alias = "path")]
    pub path: String,
    /// Weight.
    #[serde(rename = "Weight", alias = "weight")]
    pub weight: u16,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A device rate limit. Compose's JSON capitalises these keys (`Path`, `Rate`); YAML does not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ThrottleDevice {
    /// Device path.
    #[serde(rename = "Path", alias = "path")]
    pub path: String,
    /// Rate (bytes or operations per second).
    #[serde(rename = "Rate", alias = "rate")]
    pub rate: Bytes,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A `devices:` entry (long form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DeviceMapping {
    /// Host device.
    #[serde(skip_serializing_if = "empty_str")]
    pub source: Option<String>,
    /// Container device.
    #[serde(skip_serializing_if = "empty_str")]
    pub target: Option<String>,
    /// cgroup permissions (`rwm`).
    #[serde(skip_serializing_if = "empty_str")]
    pub permissions: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A device request (`gpus:`, `deploy.resources.reservations.devices`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceRequest {
    /// Capabilities (`gpu`, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities: Vec<String>,
    /// Driver.
    #[serde(skip_serializing_if = "empty_str")]
    pub driver: Option<String>,
    /// Device count; `-1` means `all`.
    #[serde(skip_serializing_if = "zero_i64")]
    pub count: Option<i64>,
    /// Device ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_ids: Vec<String>,
    /// Driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}
