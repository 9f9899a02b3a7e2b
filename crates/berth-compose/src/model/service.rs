//! A service: every attribute of the Compose Specification, as Compose v2 prints it, with
//! its structured parts (build and develop, deploy, devices and block I/O, logging,
//! healthcheck, dependencies, networks, ports, volumes, config and secret references).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::scalars::*;

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
    /// What the loader folded `env_file` from, when the service had one: Compose v2 hashes
    /// the service before that fold (see [`crate::hash::service_hash`]). Never printed.
    #[serde(skip)]
    pub env_file_origin: Option<EnvFileOrigin>,
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

/// A service's `env_file` list and its own `environment`, as they were before the loader
/// folded the files into `environment`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvFileOrigin {
    /// The `env_file` entries (absolute paths), in order.
    pub files: Vec<EnvFile>,
    /// The service's `environment` alone (interpolated, bare names resolved from the shell).
    pub environment: BTreeMap<String, Option<String>>,
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
