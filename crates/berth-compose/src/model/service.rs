//! A service: every attribute of the Compose Specification, as Compose v2 prints it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::omit::*;
use super::*;

/// One service (compose-go `ServiceConfig`). Its name is its key in [`Project::services`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Service {
    /// Profiles that enable this service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    /// OCI annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Whether `up` attaches to the logs (`None` = default, true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach: Option<bool>,
    /// How to build the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildConfig>,
    /// Development (`watch`) configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub develop: Option<DevelopConfig>,
    /// Block IO limits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    /// Added capabilities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    /// Dropped capabilities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// Parent cgroup.
    #[serde(skip_serializing_if = "empty_str")]
    pub cgroup_parent: Option<String>,
    /// Cgroup namespace mode (`host`, `private`).
    #[serde(skip_serializing_if = "empty_str")]
    pub cgroup: Option<String>,
    /// Number of usable CPUs (Windows).
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_count: Option<i64>,
    /// Usable percentage of CPUs (Windows).
    #[serde(
        skip_serializing_if = "zero_f32",
        serialize_with = "short_f32::serialize",
        deserialize_with = "short_f32::deserialize"
    )]
    pub cpu_percent: Option<f32>,
    /// CFS period.
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_period: Option<i64>,
    /// CFS quota.
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_quota: Option<i64>,
    /// Realtime period.
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_rt_period: Option<i64>,
    /// Realtime runtime.
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_rt_runtime: Option<i64>,
    /// Number of CPUs (`cpus: 1.5`).
    #[serde(
        skip_serializing_if = "zero_f32",
        serialize_with = "short_f32::serialize",
        deserialize_with = "short_f32::deserialize"
    )]
    pub cpus: Option<f32>,
    /// CPUs allowed (`0-3`).
    #[serde(skip_serializing_if = "empty_str")]
    pub cpuset: Option<String>,
    /// Relative CPU weight.
    #[serde(skip_serializing_if = "zero_i64")]
    pub cpu_shares: Option<i64>,
    /// Command override. `None` (printed as `null`) keeps the image's; `Some(vec![])` clears it.
    #[serde(skip_serializing_if = "never")]
    pub command: Option<Vec<String>>,
    /// Configs granted to the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub configs: Vec<ServiceConfigObjConfig>,
    /// Fixed container name.
    #[serde(skip_serializing_if = "empty_str")]
    pub container_name: Option<String>,
    /// Windows credential spec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<CredentialSpecConfig>,
    /// Dependencies, by service name (always long form).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, ServiceDependency>,
    /// Deployment settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeployConfig>,
    /// Device cgroup rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_cgroup_rules: Vec<String>,
    /// Device mappings (long form).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    /// DNS servers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<String>,
    /// DNS options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_opt: Vec<String>,
    /// DNS search domains.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_search: Vec<String>,
    /// Legacy top-level `dockerfile`.
    #[serde(skip_serializing_if = "empty_str")]
    pub dockerfile: Option<String>,
    /// Domain name.
    #[serde(skip_serializing_if = "empty_str")]
    pub domainname: Option<String>,
    /// Entrypoint override. `None` (printed as `null`) keeps the image's; `Some(vec![])` clears it.
    #[serde(skip_serializing_if = "never")]
    pub entrypoint: Option<Vec<String>>,
    /// Container environment; a `None` value is a variable without value (`QUX: null`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, Option<String>>,
    /// Env files (`config` folds them into `environment` and drops them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    /// Exposed ports (strings, e.g. `"3000"`, `"8000-8010/udp"`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    /// `extends` (resolved away by the loader; kept for completeness).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extends: Option<ExtendsConfig>,
    /// External links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_links: Vec<String>,
    /// Extra `/etc/hosts` entries, canonical `host=ip`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// Supplementary groups.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// GPU requests.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gpus: Vec<DeviceRequest>,
    /// Hostname.
    #[serde(skip_serializing_if = "empty_str")]
    pub hostname: Option<String>,
    /// Health check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthCheckConfig>,
    /// Image reference.
    #[serde(skip_serializing_if = "empty_str")]
    pub image: Option<String>,
    /// Run an init process.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    /// IPC mode.
    #[serde(skip_serializing_if = "empty_str")]
    pub ipc: Option<String>,
    /// Isolation technology.
    #[serde(skip_serializing_if = "empty_str")]
    pub isolation: Option<String>,
    /// Container labels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Label files.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub label_file: Vec<String>,
    /// Links (`service` or `service:alias`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Logging driver and options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<LoggingConfig>,
    /// Legacy `log_driver`.
    #[serde(skip_serializing_if = "empty_str")]
    pub log_driver: Option<String>,
    /// Legacy `log_opt`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub log_opt: BTreeMap<String, String>,
    /// Memory limit.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub mem_limit: Option<Bytes>,
    /// Memory soft limit.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub mem_reservation: Option<Bytes>,
    /// Memory + swap limit.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub memswap_limit: Option<Bytes>,
    /// Swappiness (a `UnitBytes` in Compose, so it prints as a string).
    #[serde(skip_serializing_if = "zero_bytes")]
    pub mem_swappiness: Option<Bytes>,
    /// MAC address.
    #[serde(skip_serializing_if = "empty_str")]
    pub mac_address: Option<String>,
    /// Legacy `net`.
    #[serde(skip_serializing_if = "empty_str")]
    pub net: Option<String>,
    /// Network mode (`host`, `none`, `service:x`, `container:x`).
    #[serde(skip_serializing_if = "empty_str")]
    pub network_mode: Option<String>,
    /// Networks the service joins; `None` values print as `null`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, Option<ServiceNetworkConfig>>,
    /// Disable the OOM killer.
    #[serde(skip_serializing_if = "is_false")]
    pub oom_kill_disable: bool,
    /// OOM score adjustment.
    #[serde(skip_serializing_if = "zero_i64")]
    pub oom_score_adj: Option<i64>,
    /// PID mode.
    #[serde(skip_serializing_if = "empty_str")]
    pub pid: Option<String>,
    /// PIDs limit.
    #[serde(skip_serializing_if = "zero_i64")]
    pub pids_limit: Option<i64>,
    /// Target platform.
    #[serde(skip_serializing_if = "empty_str")]
    pub platform: Option<String>,
    /// Published ports (long form).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePortConfig>,
    /// Privileged mode.
    #[serde(skip_serializing_if = "is_false")]
    pub privileged: bool,
    /// Pull policy.
    #[serde(skip_serializing_if = "empty_str")]
    pub pull_policy: Option<String>,
    /// Read-only root filesystem.
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Restart policy (`no`, `always`, `on-failure[:n]`, `unless-stopped`).
    #[serde(skip_serializing_if = "empty_str")]
    pub restart: Option<String>,
    /// OCI runtime.
    #[serde(skip_serializing_if = "empty_str")]
    pub runtime: Option<String>,
    /// Number of containers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<i64>,
    /// Secrets granted to the service.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<ServiceSecretConfig>,
    /// Security options.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    /// Size of `/dev/shm`.
    #[serde(skip_serializing_if = "zero_bytes")]
    pub shm_size: Option<Bytes>,
    /// Keep stdin open.
    #[serde(skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    /// Grace period before SIGKILL (Go duration string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<String>,
    /// Stop signal.
    #[serde(skip_serializing_if = "empty_str")]
    pub stop_signal: Option<String>,
    /// Storage driver options.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub storage_opt: BTreeMap<String, String>,
    /// Kernel parameters.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// tmpfs mounts (short form strings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// Allocate a TTY.
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
    /// Resource limits, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, Ulimit>,
    /// User (`uid[:gid]` or name).
    #[serde(skip_serializing_if = "empty_str")]
    pub user: Option<String>,
    /// User namespace mode.
    #[serde(skip_serializing_if = "empty_str")]
    pub userns_mode: Option<String>,
    /// UTS namespace mode.
    #[serde(skip_serializing_if = "empty_str")]
    pub uts: Option<String>,
    /// Legacy `volume_driver`.
    #[serde(skip_serializing_if = "empty_str")]
    pub volume_driver: Option<String>,
    /// Mounts (long form).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<ServiceVolumeConfig>,
    /// `volumes_from` (`service:x` / `container:x` with optional `:ro`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes_from: Vec<String>,
    /// Working directory.
    #[serde(skip_serializing_if = "empty_str")]
    pub working_dir: Option<String>,
    /// Hooks run after start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_start: Vec<ServiceHook>,
    /// Hooks run before stop.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_stop: Vec<ServiceHook>,
    /// Service-level `x-*` keys (kept in YAML output, dropped from JSON output by Compose).
    #[serde(flatten)]
    pub extensions: Extensions,
}

impl Service {
    /// Number of containers: `scale`, else `deploy.replicas`, else 1.
    pub fn scale(&self) -> i64 {
        self.scale
            .or_else(|| self.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1)
    }
}
