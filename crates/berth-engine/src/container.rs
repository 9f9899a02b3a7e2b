//! Containers as berth sees them, whatever engine answered: a listed container
//! ([`ContainerSummary`]) and an inspected one ([`ContainerDetails`]). Docker's and Podman's
//! answers are read into these here (Podman's differences included), so nothing outside this
//! crate reads an Engine API model.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, ContainerSummary as ApiSummary,
    HealthStatusEnum,
};

use crate::labels as L;

/// Where a container is in its life, as the engine says it (`docker ps`'s `State`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContainerStatus {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    /// A state the engine named that berth does not know (shown as empty).
    #[default]
    Unknown,
}

impl ContainerStatus {
    /// The engine's word for it (`running`, `exited`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            ContainerStatus::Created => "created",
            ContainerStatus::Running => "running",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Restarting => "restarting",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Exited => "exited",
            ContainerStatus::Dead => "dead",
            ContainerStatus::Unknown => "",
        }
    }

    /// Parses the engine's word (Podman's `stopped` and `configured` included).
    pub fn parse(s: &str) -> ContainerStatus {
        match s.to_ascii_lowercase().as_str() {
            "created" | "configured" => ContainerStatus::Created,
            "running" => ContainerStatus::Running,
            "paused" => ContainerStatus::Paused,
            "restarting" => ContainerStatus::Restarting,
            "removing" => ContainerStatus::Removing,
            "exited" | "stopped" => ContainerStatus::Exited,
            "dead" => ContainerStatus::Dead,
            _ => ContainerStatus::Unknown,
        }
    }

    /// Exited or dead: it ran and will not run again by itself (a restart policy aside).
    pub fn has_stopped(&self) -> bool {
        matches!(self, ContainerStatus::Exited | ContainerStatus::Dead)
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A published port as `docker ps` lists it (serialised as Compose v2's `ps --format json`
/// `Publishers` entries).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PortSummary {
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(rename = "PrivatePort")]
    pub private_port: u16,
    #[serde(rename = "PublicPort", skip_serializing_if = "Option::is_none")]
    pub public_port: Option<u16>,
    /// `tcp`, `udp` or `sctp`.
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

/// A container as the engine lists it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerSummary {
    pub id: String,
    /// Its name, without the engine's leading `/`.
    pub name: String,
    /// The image as the container was created from it (a reference, or an ID).
    pub image: String,
    /// The image's ID (`sha256:…`).
    pub image_id: String,
    pub command: String,
    /// When it was created (Unix seconds).
    pub created: i64,
    pub state: ContainerStatus,
    /// The engine's human status (`Up 2 minutes (healthy)`, `Exited (3) 5 seconds ago`).
    pub status: String,
    pub labels: HashMap<String, String>,
    pub ports: Vec<PortSummary>,
}

/// What Compose v2's labels say about a container: which project, service and replica.
pub trait ComposeLabels {
    /// The container's labels.
    fn labels(&self) -> &HashMap<String, String>;

    /// A label's value.
    fn label(&self, key: &str) -> Option<&str> {
        self.labels().get(key).map(String::as_str)
    }
    /// `com.docker.compose.project`.
    fn project(&self) -> &str {
        self.label(L::PROJECT).unwrap_or_default()
    }
    /// `com.docker.compose.service`.
    fn service(&self) -> &str {
        self.label(L::SERVICE).unwrap_or_default()
    }
    /// `com.docker.compose.container-number` (0 when missing).
    fn number(&self) -> u32 {
        self.label(L::NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
    /// A one-off container (`berth run`): `com.docker.compose.oneoff=True`.
    fn oneoff(&self) -> bool {
        self.label(L::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

impl ComposeLabels for ContainerSummary {
    fn labels(&self) -> &HashMap<String, String> {
        &self.labels
    }
}

impl ContainerSummary {
    /// The exit code its status shows (`Exited (3) 2 minutes ago`), when it has exited.
    pub fn exit_code(&self) -> Option<i64> {
        self.status
            .strip_prefix("Exited (")
            .and_then(|s| s.split(')').next())
            .and_then(|s| s.parse().ok())
    }

    /// The health its status shows (`Up 2 minutes (healthy)` → `healthy`,
    /// `(health: starting)` → `starting`), else empty.
    pub fn health_shown(&self) -> &str {
        let Some((_, rest)) = self.status.rsplit_once('(') else {
            return "";
        };
        let h = rest.trim_end_matches(')');
        let h = h.strip_prefix("health: ").unwrap_or(h);
        match h {
            "starting" | "healthy" | "unhealthy" => h,
            _ => "",
        }
    }

    pub(crate) fn from_api(c: ApiSummary) -> ContainerSummary {
        ContainerSummary {
            id: c.id.unwrap_or_default(),
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image: c.image.unwrap_or_default(),
            image_id: c.image_id.unwrap_or_default(),
            command: c.command.unwrap_or_default(),
            created: c.created.unwrap_or(0),
            state: c
                .state
                .map(|s| ContainerStatus::parse(s.as_ref()))
                .unwrap_or_default(),
            status: c.status.unwrap_or_default(),
            labels: c.labels.unwrap_or_default(),
            ports: c
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|p| PortSummary {
                    ip: p.ip,
                    private_port: p.private_port,
                    public_port: p.public_port,
                    protocol: p.typ.map(|t| t.to_string()).filter(|t| !t.is_empty()),
                })
                .collect(),
        }
    }
}

/// A healthcheck's verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HealthStatus {
    /// No healthcheck, or none reported.
    #[default]
    None,
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            HealthStatus::None => "",
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One run of a healthcheck probe.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HealthProbe {
    /// When it started and ended (RFC 3339, as the engine wrote them).
    pub start: String,
    pub end: String,
    pub exit_code: i64,
    pub output: String,
}

/// A container's health: the verdict, the failures in a row, the last probes (oldest first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    pub status: HealthStatus,
    pub failing_streak: i64,
    pub log: Vec<HealthProbe>,
}

/// The healthcheck a container was created with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]`; `["NONE"]` disables the image's.
    pub test: Vec<String>,
    /// Zero when unset (the engine's default then).
    pub interval: Duration,
    pub timeout: Duration,
    /// Zero when unset.
    pub start_period: Duration,
    /// Zero when unset (the engine's default, 3, then).
    pub retries: i64,
}

impl Healthcheck {
    /// Whether it checks anything (`NONE` and an empty test do not).
    pub fn is_active(&self) -> bool {
        self.test.first().is_some_and(|t| t != "NONE")
    }
}

/// Where a container is now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerState {
    pub status: ContainerStatus,
    pub running: bool,
    pub restarting: bool,
    pub oom_killed: bool,
    pub pid: i64,
    /// The last exit code (0 before it first exits).
    pub exit_code: i64,
    /// RFC 3339 times as the engine wrote them (empty when never).
    pub started_at: String,
    pub finished_at: String,
    /// The engine's error for a start that failed.
    pub error: String,
    pub health: Option<Health>,
}

/// A mount of a container, as inspected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountPoint {
    /// `bind`, `volume`, `tmpfs`, ...
    pub kind: String,
    /// The volume's name (volumes only).
    pub name: Option<String>,
    pub source: String,
    pub destination: String,
}

/// A published port's host side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostBinding {
    pub host_ip: String,
    pub host_port: String,
}

/// A container as inspected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContainerDetails {
    pub id: String,
    /// Its name, without the engine's leading `/`.
    pub name: String,
    /// The image ID it was created from.
    pub image_id: String,
    pub labels: HashMap<String, String>,
    pub state: ContainerState,
    pub restart_count: i64,
    pub healthcheck: Option<Healthcheck>,
    pub tty: bool,
    pub open_stdin: bool,
    pub mounts: Vec<MountPoint>,
    /// Published ports by `PORT/PROTOCOL` (`80/tcp`), each with its host bindings.
    pub ports: BTreeMap<String, Vec<HostBinding>>,
    /// The memory limit in bytes (0: none).
    pub memory_limit: i64,
    /// The CPU limit in units of 1e-9 CPUs (`cpus: 0.5` is 500,000,000; 0: none), else the
    /// CFS quota over its period.
    pub nano_cpus: i64,
    pub cpu_quota: i64,
    pub cpu_period: i64,
}

impl ComposeLabels for ContainerDetails {
    fn labels(&self) -> &HashMap<String, String> {
        &self.labels
    }
}

impl ContainerDetails {
    /// Whether it has a healthcheck that checks something.
    pub fn has_healthcheck(&self) -> bool {
        self.healthcheck
            .as_ref()
            .is_some_and(Healthcheck::is_active)
    }

    /// The health verdict (None without a healthcheck or before the first report).
    pub fn health(&self) -> HealthStatus {
        self.state
            .health
            .as_ref()
            .map(|h| h.status)
            .unwrap_or_default()
    }

    /// Which run of the container this is: its start time and restart count change together
    /// with each run (a restart policy's too).
    pub fn run_mark(&self) -> (String, i64) {
        (self.state.started_at.clone(), self.restart_count)
    }

    pub(crate) fn from_api(i: ContainerInspectResponse) -> ContainerDetails {
        let nanos = |n: Option<i64>| Duration::from_nanos(n.unwrap_or(0).max(0) as u64);
        let config = i.config.unwrap_or_default();
        let state = i.state.unwrap_or_default();
        let host = i.host_config.unwrap_or_default();
        let health = state.health.map(|h| Health {
            status: match h.status {
                Some(HealthStatusEnum::STARTING) => HealthStatus::Starting,
                Some(HealthStatusEnum::HEALTHY) => HealthStatus::Healthy,
                Some(HealthStatusEnum::UNHEALTHY) => HealthStatus::Unhealthy,
                _ => HealthStatus::None,
            },
            failing_streak: h.failing_streak.unwrap_or(0),
            log: h
                .log
                .unwrap_or_default()
                .into_iter()
                .map(|p| HealthProbe {
                    start: p.start.unwrap_or_default(),
                    end: p.end.unwrap_or_default(),
                    exit_code: p.exit_code.unwrap_or(0),
                    output: p.output.unwrap_or_default(),
                })
                .collect(),
        });
        ContainerDetails {
            id: i.id.unwrap_or_default(),
            name: i
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            image_id: i.image.unwrap_or_default(),
            labels: config.labels.unwrap_or_default(),
            state: ContainerState {
                status: match state.status {
                    Some(ContainerStateStatusEnum::CREATED) => ContainerStatus::Created,
                    Some(ContainerStateStatusEnum::RUNNING) => ContainerStatus::Running,
                    Some(ContainerStateStatusEnum::PAUSED) => ContainerStatus::Paused,
                    Some(ContainerStateStatusEnum::RESTARTING) => ContainerStatus::Restarting,
                    Some(ContainerStateStatusEnum::REMOVING) => ContainerStatus::Removing,
                    Some(ContainerStateStatusEnum::EXITED) => ContainerStatus::Exited,
                    Some(ContainerStateStatusEnum::DEAD) => ContainerStatus::Dead,
                    _ => ContainerStatus::Unknown,
                },
                running: state.running.unwrap_or(false),
                restarting: state.restarting.unwrap_or(false),
                oom_killed: state.oom_killed.unwrap_or(false),
                pid: state.pid.unwrap_or(0),
                exit_code: state.exit_code.unwrap_or(0),
                started_at: state.started_at.unwrap_or_default(),
                finished_at: state.finished_at.unwrap_or_default(),
                error: state.error.unwrap_or_default(),
                health,
            },
            restart_count: i.restart_count.unwrap_or(0),
            healthcheck: config.healthcheck.map(|h| Healthcheck {
                test: h.test.unwrap_or_default(),
                interval: nanos(h.interval),
                timeout: nanos(h.timeout),
                start_period: nanos(h.start_period),
                retries: h.retries.unwrap_or(0),
            }),
            tty: config.tty.unwrap_or(false),
            open_stdin: config.open_stdin.unwrap_or(false),
            mounts: i
                .mounts
                .unwrap_or_default()
                .into_iter()
                .map(|m| MountPoint {
                    kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                    name: m.name,
                    source: m.source.unwrap_or_default(),
                    destination: m.destination.unwrap_or_default(),
                })
                .collect(),
            ports: i
                .network_settings
                .and_then(|n| n.ports)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| {
                    let bindings = v
                        .unwrap_or_default()
                        .into_iter()
                        .map(|b| HostBinding {
                            host_ip: b.host_ip.unwrap_or_default(),
                            host_port: b.host_port.unwrap_or_default(),
                        })
                        .collect();
                    (k, bindings)
                })
                .collect(),
            memory_limit: host.memory.unwrap_or(0),
            nano_cpus: host.nano_cpus.unwrap_or(0),
            cpu_quota: host.cpu_quota.unwrap_or(0),
            cpu_period: host.cpu_period.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_both_engines_write_them() {
        assert_eq!(ContainerStatus::parse("running"), ContainerStatus::Running);
        // Podman's transient words.
        assert_eq!(ContainerStatus::parse("stopped"), ContainerStatus::Exited);
        assert_eq!(
            ContainerStatus::parse("configured"),
            ContainerStatus::Created
        );
        assert_eq!(ContainerStatus::parse("weird"), ContainerStatus::Unknown);
        assert_eq!(ContainerStatus::Exited.to_string(), "exited");
    }

    #[test]
    fn a_summary_shows_its_exit_code_health_and_compose_identity() {
        let c = ContainerSummary {
            status: "Exited (3) 2 minutes ago".into(),
            labels: HashMap::from([
                (L::SERVICE.to_string(), "web".to_string()),
                (L::NUMBER.to_string(), "2".to_string()),
                (L::ONEOFF.to_string(), "True".to_string()),
            ]),
            ..Default::default()
        };
        assert_eq!((c.exit_code(), c.health_shown()), (Some(3), ""));
        assert_eq!((c.service(), c.number(), c.oneoff()), ("web", 2, true));
        let up = ContainerSummary {
            status: "Up 2 minutes (healthy)".into(),
            ..Default::default()
        };
        assert_eq!((up.exit_code(), up.health_shown()), (None, "healthy"));
        let starting = ContainerSummary {
            status: "Up 1 second (health: starting)".into(),
            ..Default::default()
        };
        assert_eq!(starting.health_shown(), "starting");
    }

    #[test]
    fn publishers_serialise_as_compose_v2_prints_them() {
        let p = PortSummary {
            ip: Some("0.0.0.0".into()),
            private_port: 80,
            public_port: Some(8080),
            protocol: Some("tcp".into()),
        };
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}"#
        );
    }
}
