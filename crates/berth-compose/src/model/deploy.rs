//! `deploy:`: replicas, resources, restart policy, placement, update and rollback.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

/// `deploy:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DeployConfig {
    /// `replicated` or `global`.
    #[serde(skip_serializing_if = "empty_str")]
    pub mode: Option<String>,
    /// Replica count (0 is printed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    /// Service labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Rolling update settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    /// Rollback settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    /// Limits and reservations (always printed in JSON, `{}` when empty).
    pub resources: Resources,
    /// Restart policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// Placement (always printed in JSON, `{}` when empty).
    pub placement: Placement,
    /// `vip` or `dnsrr`.
    #[serde(skip_serializing_if = "empty_str")]
    pub endpoint_mode: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `update_config` / `rollback_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct UpdateConfig {
    /// Containers updated at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u64>,
    /// Delay between groups (Go duration).
    #[serde(skip_serializing_if = "empty_str")]
    pub delay: Option<String>,
    /// `continue`, `rollback`, `pause`.
    #[serde(skip_serializing_if = "empty_str")]
    pub failure_action: Option<String>,
    /// Monitoring period (Go duration).
    #[serde(skip_serializing_if = "empty_str")]
    pub monitor: Option<String>,
    /// Tolerated failure ratio.
    #[serde(
        skip_serializing_if = "zero_f32",
        serialize_with = "short_f32::serialize",
        deserialize_with = "short_f32::deserialize"
    )]
    pub max_failure_ratio: Option<f32>,
    /// `stop-first` or `start-first`.
    #[serde(skip_serializing_if = "empty_str")]
    pub order: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `deploy.resources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Resources {
    /// Hard limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    /// Reservations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A set of resource amounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Resource {
    /// CPUs.
    #[serde(
        skip_serializing_if = "zero_f32",
        serialize_with = "short_f32::serialize",
        deserialize_with = "short_f32::deserialize"
    )]
    pub cpus: Option<f32>,
    /// Memory.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub memory: Option<Bytes>,
    /// PIDs.
    #[serde(skip_serializing_if = "zero_i64")]
    pub pids: Option<i64>,
    /// Device requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRequest>,
    /// Generic (swarm) resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub generic_resources: Vec<GenericResource>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A generic resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct GenericResource {
    /// Discrete resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteGenericResource>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A counted resource (`kind: gpu`, `value: 2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DiscreteGenericResource {
    /// Resource kind.
    pub kind: String,
    /// Amount.
    pub value: i64,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct RestartPolicy {
    /// `none`, `on-failure`, `any`.
    #[serde(skip_serializing_if = "empty_str")]
    pub condition: Option<String>,
    /// Delay between attempts (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<String>,
    /// Maximum attempts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u64>,
    /// Evaluation window (Go duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `deploy.placement`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Placement {
    /// Constraints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<String>,
    /// Preferences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub preferences: Vec<PlacementPreferences>,
    /// Maximum replicas per node.
    #[serde(skip_serializing_if = "zero_u64")]
    pub max_replicas_per_node: Option<u64>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A placement preference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PlacementPreferences {
    /// Spread descriptor.
    #[serde(skip_serializing_if = "empty_str")]
    pub spread: Option<String>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}
