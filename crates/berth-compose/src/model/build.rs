//! `build:` and `develop:` (watch rules, lifecycle hooks).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

/// `build:` (compose-go `BuildConfig`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct BuildConfig {
    /// Build context: an absolute path or a URL.
    #[serde(skip_serializing_if = "empty_str")]
    pub context: Option<String>,
    /// Dockerfile, relative to the context.
    #[serde(skip_serializing_if = "empty_str")]
    pub dockerfile: Option<String>,
    /// Inline Dockerfile content.
    #[serde(skip_serializing_if = "empty_str")]
    pub dockerfile_inline: Option<String>,
    /// Extra privileges (`network.host`, `security.insecure`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<String>,
    /// Build args; `None` = passed through without a value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Option<String>>,
    /// SSH agent sockets/keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ssh: Vec<SshKey>,
    /// Image labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Cache sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_from: Vec<String>,
    /// Cache exports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cache_to: Vec<String>,
    /// Disable the build cache.
    #[serde(skip_serializing_if = "is_false")]
    pub no_cache: bool,
    /// Named additional contexts.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_contexts: BTreeMap<String, String>,
    /// Always pull base images.
    #[serde(skip_serializing_if = "is_false")]
    pub pull: bool,
    /// Extra hosts, canonical `host=ip`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// Isolation technology.
    #[serde(skip_serializing_if = "empty_str")]
    pub isolation: Option<String>,
    /// Network for `RUN` steps.
    #[serde(skip_serializing_if = "empty_str")]
    pub network: Option<String>,
    /// Target stage.
    #[serde(skip_serializing_if = "empty_str")]
    pub target: Option<String>,
    /// Build secrets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ServiceSecretConfig>,
    /// `/dev/shm` size for build containers.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub shm_size: Option<Bytes>,
    /// Extra tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Ulimits for build containers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    /// Target platforms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// Privileged build.
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// `develop:`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct DevelopConfig {
    /// Watch rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub watch: Vec<Trigger>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One `develop.watch` rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Trigger {
    /// Watched host path (absolute).
    pub path: String,
    /// `sync`, `rebuild`, `restart`, `sync+restart`, `sync+exec`.
    pub action: String,
    /// Target path in the container.
    #[serde(skip_serializing_if = "empty_str")]
    pub target: Option<String>,
    /// Command for `sync+exec` (always printed in JSON, as `{"command": null}` when unset).
    pub exec: ServiceHook,
    /// Include patterns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Ignore patterns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Copy the whole path into the containers when watching starts (Compose 2.32+).
    #[serde(skip_serializing_if = "is_false")]
    pub initial_sync: bool,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// A lifecycle hook (`post_start`, `pre_stop`, `develop.watch[].exec`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ServiceHook {
    /// Command; `None` prints as `null`.
    #[serde(skip_serializing_if = "never")]
    pub command: Option<Vec<String>>,
    /// User to run as.
    #[serde(skip_serializing_if = "empty_str")]
    pub user: Option<String>,
    /// Run privileged.
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// Working directory.
    #[serde(skip_serializing_if = "empty_str")]
    pub working_dir: Option<String>,
    /// Environment.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    /// `x-*` keys.
    #[serde(flatten)]
    pub extensions: Extensions,
}
