//! Finding and connecting to the engine: which engine (`--engine`, `BERTH_ENGINE`), at which
//! address (`DOCKER_HOST`, `CONTAINER_HOST`, the sockets present), and what answered there.

use std::sync::Arc;

use bollard::Docker;

use crate::error::{hint_for, EngineError, Result};
use crate::{compat, podman};

/// Which engine answered on the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EngineKind::Docker => "Docker",
            EngineKind::Podman => "Podman",
        })
    }
}

/// A connected engine.
#[derive(Clone)]
pub struct Engine {
    /// The client: private to this crate, so every engine call goes through a method here.
    pub(crate) docker: Docker,
    pub(crate) kind: EngineKind,
    pub(crate) host: String,
    pub(crate) source: String,
    pub(crate) api_version: (u32, u32),
    pub(crate) version: String,
    /// Podman without systemd: berth runs the healthchecks while it waits (see `podman`).
    pub(crate) health: Arc<podman::HealthDriver>,
}

/// Which engine to use: `--engine` / `BERTH_ENGINE`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineChoice {
    Docker,
    Podman,
    #[default]
    Auto,
}

impl std::str::FromStr for EngineChoice {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "docker" => Ok(EngineChoice::Docker),
            "podman" => Ok(EngineChoice::Podman),
            "auto" | "" => Ok(EngineChoice::Auto),
            other => Err(format!(
                "unknown engine \"{other}\" (use docker, podman or auto)"
            )),
        }
    }
}

/// The Docker socket when `DOCKER_HOST` is unset.
pub const DOCKER_SOCKET: &str = "unix:///var/run/docker.sock";

/// Where to connect, and why there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    /// `DOCKER_HOST`, `CONTAINER_HOST`, `default Docker socket`, `rootful Podman socket`, ...
    pub source: String,
    /// The engine the user asked for (None: whichever answers).
    pub expect: Option<EngineKind>,
}

/// Chooses the address for `choice` from the environment (`env`) and the sockets present
/// (`exists`):
/// - docker: `DOCKER_HOST`, else /var/run/docker.sock;
/// - podman: `CONTAINER_HOST`, else `DOCKER_HOST`, else the rootless
///   `$XDG_RUNTIME_DIR/podman/podman.sock` or the rootful /run/podman/podman.sock, whichever
///   exists (rootless first when not root);
/// - auto: `DOCKER_HOST`, else `CONTAINER_HOST`, else the Docker socket if it exists, else a
///   Podman socket that exists, else the Docker socket.
pub fn choose_target(
    choice: EngineChoice,
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
    is_root: bool,
) -> Target {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let t = |host: String, source: &str, expect| Target {
        host,
        source: source.to_string(),
        expect,
    };
    let sock_exists = |h: &str| exists(h.strip_prefix("unix://").unwrap_or(h));
    let rootful = format!("unix://{}", podman::ROOTFUL_SOCKET);
    let rootless = var("XDG_RUNTIME_DIR")
        .map(|d| format!("unix://{}/podman/podman.sock", d.trim_end_matches('/')));
    let mut podman_sockets: Vec<(String, &str)> = Vec::new();
    if is_root {
        podman_sockets.push((rootful.clone(), "rootful Podman socket"));
    }
    if let Some(r) = &rootless {
        podman_sockets.push((r.clone(), "rootless Podman socket"));
    }
    if !is_root {
        podman_sockets.push((rootful.clone(), "rootful Podman socket"));
    }
    let podman_socket = || {
        podman_sockets
            .iter()
            .find(|(h, _)| sock_exists(h))
            .or(podman_sockets.first())
            .cloned()
    };
    match choice {
        EngineChoice::Docker => match var("DOCKER_HOST") {
            Some(h) => t(h, "DOCKER_HOST", Some(EngineKind::Docker)),
            None => t(
                DOCKER_SOCKET.into(),
                "default Docker socket",
                Some(EngineKind::Docker),
            ),
        },
        EngineChoice::Podman => {
            if let Some(h) = var("CONTAINER_HOST") {
                t(h, "CONTAINER_HOST", Some(EngineKind::Podman))
            } else if let Some(h) = var("DOCKER_HOST") {
                t(h, "DOCKER_HOST", Some(EngineKind::Podman))
            } else {
                let (h, src) =
                    podman_socket().unwrap_or((rootful.clone(), "rootful Podman socket"));
                t(h, src, Some(EngineKind::Podman))
            }
        }
        EngineChoice::Auto => {
            if let Some(h) = var("DOCKER_HOST") {
                t(h, "DOCKER_HOST", None)
            } else if let Some(h) = var("CONTAINER_HOST") {
                t(h, "CONTAINER_HOST", None)
            } else if sock_exists(DOCKER_SOCKET) {
                t(DOCKER_SOCKET.into(), "default Docker socket", None)
            } else if let Some((h, src)) = podman_socket().filter(|(h, _)| sock_exists(h)) {
                t(h, src, None)
            } else {
                t(
                    DOCKER_SOCKET.into(),
                    "default Docker socket; no Podman socket either",
                    None,
                )
            }
        }
    }
}

/// The user's engine choice: `BERTH_ENGINE`, else auto.
pub fn choice_from_env() -> std::result::Result<EngineChoice, String> {
    std::env::var("BERTH_ENGINE")
        .ok()
        .map(|v| v.parse())
        .unwrap_or(Ok(EngineChoice::Auto))
}

/// Where to connect for `choice`, from this process's environment.
pub fn target(choice: EngineChoice) -> Target {
    // Root owns /root; a process that can read /proc/self/status knows its uid for sure.
    let is_root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false);
    choose_target(
        choice,
        &|k| std::env::var(k).ok(),
        &|p| std::path::Path::new(p).exists(),
        is_root,
    )
}

/// Where to connect: `DOCKER_HOST`, else the default socket.
pub fn default_host() -> String {
    target(EngineChoice::Auto).host
}

impl Engine {
    /// Connects to `host` (`unix://…` or `tcp://…`) and negotiates the API version, so that
    /// Docker 20.10 (API 1.41) and current engines both work.
    pub async fn connect(host: &str) -> Result<Engine> {
        Engine::connect_to(&Target {
            host: host.to_string(),
            source: "DOCKER_HOST".to_string(),
            expect: None,
        })
        .await
    }

    /// Connects to a chosen target; fails when the engine there is not the one asked for.
    pub async fn connect_to(target: &Target) -> Result<Engine> {
        let host = target.host.as_str();
        let engine_name = match target.expect {
            Some(k) => k.to_string(),
            None => "container".to_string(),
        };
        let unreachable = |detail: String| EngineError::Unreachable {
            engine: engine_name.clone(),
            host: host.to_string(),
            source_of: target.source.clone(),
            detail,
            hint: hint_for(target.expect, host),
        };
        let docker = if let Some(path) = host.strip_prefix("unix://") {
            if !std::path::Path::new(path).exists() {
                return Err(unreachable("the socket does not exist".into()));
            }
            Docker::connect_with_unix(host, 120, bollard::API_DEFAULT_VERSION)
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            Docker::connect_with_http(host, 120, bollard::API_DEFAULT_VERSION)
        } else if host.starts_with('/') {
            Docker::connect_with_unix(host, 120, bollard::API_DEFAULT_VERSION)
        } else {
            return Err(unreachable(
                "unsupported address (use unix:///path or tcp://host:port)".into(),
            ));
        }
        .map_err(|e| unreachable(e.to_string()))?;
        // bollard's own timeout covers headers only: the whole handshake gets a deadline.
        let limit = crate::error::answer_within();
        let silent = || {
            unreachable(format!(
                "the engine accepted the connection but did not answer within {} s",
                limit.as_secs()
            ))
        };
        let docker = tokio::time::timeout(limit, docker.negotiate_version())
            .await
            .map_err(|_| silent())?
            .map_err(|e| unreachable(e.to_string()))?;
        let v = tokio::time::timeout(limit, docker.version())
            .await
            .map_err(|_| silent())?
            .map_err(|e| unreachable(e.to_string()))?;
        let kind = if v
            .components
            .as_ref()
            .map(|cs| cs.iter().any(|c| c.name.to_lowercase().contains("podman")))
            .unwrap_or(false)
        {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        };
        if let Some(want) = target.expect {
            if want != kind {
                return Err(EngineError::Unreachable {
                    engine: want.to_string(),
                    host: host.to_string(),
                    source_of: target.source.clone(),
                    detail: format!(
                        "the engine answering there is {kind} {}, not {want}",
                        v.version.clone().unwrap_or_default()
                    ),
                    hint: format!(
                        "use --engine {} (or auto), or point {} at a {want} engine",
                        kind.to_string().to_lowercase(),
                        if want == EngineKind::Podman {
                            "CONTAINER_HOST"
                        } else {
                            "DOCKER_HOST"
                        }
                    ),
                });
            }
        }
        let api = v.api_version.clone().unwrap_or_default();
        let mut parts = api.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let api_version = (parts.next().unwrap_or(1), parts.next().unwrap_or(41));
        let docker = if api_version < (1, 44) {
            docker.with_request_modifier(compat::container_wide_mac_address)
        } else {
            docker
        };
        Ok(Engine {
            docker,
            kind,
            host: host.to_string(),
            source: target.source.clone(),
            api_version,
            version: v.version.unwrap_or_default(),
            health: podman::HealthDriver::new(),
        })
    }

    /// Connects to `DOCKER_HOST` or the default socket.
    pub async fn connect_default() -> Result<Engine> {
        Engine::connect_to(&target(EngineChoice::Auto)).await
    }

    /// Which engine answered.
    pub fn kind(&self) -> EngineKind {
        self.kind
    }

    /// Where berth connected (`unix:///var/run/docker.sock`, `tcp://…`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Where that address came from (`DOCKER_HOST`, `CONTAINER_HOST`, `--engine podman`, ...).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The API version both sides speak, e.g. (1, 41).
    pub fn api_version(&self) -> (u32, u32) {
        self.api_version
    }

    /// The engine's own version string (`20.10.24+dfsg1`, `4.3.1`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// One line naming the engine: `Podman 4.3.1 (API 1.41) at unix:///run/podman/podman.sock`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} (API {}.{}) at {} ({})",
            self.kind, self.version, self.api_version.0, self.api_version.1, self.host, self.source
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn pick(choice: EngineChoice, vars: &[(&str, &str)], socks: &[&str], root: bool) -> Target {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        choose_target(
            choice,
            &|k| vars.get(k).cloned(),
            &|p| socks.contains(&p),
            root,
        )
    }

    #[test]
    fn the_engine_and_its_socket_are_chosen_from_flags_environment_and_sockets() {
        use EngineChoice::*;
        let t = pick(Docker, &[], &[], false);
        assert_eq!(t.host, "unix:///var/run/docker.sock");
        assert_eq!(t.expect, Some(EngineKind::Docker));
        let t = pick(Docker, &[("DOCKER_HOST", "tcp://h:2375")], &[], false);
        assert_eq!(
            (t.host.as_str(), t.source.as_str()),
            ("tcp://h:2375", "DOCKER_HOST")
        );
        // Podman: CONTAINER_HOST, then DOCKER_HOST, then the sockets.
        let t = pick(
            Podman,
            &[
                ("CONTAINER_HOST", "unix:///c.sock"),
                ("DOCKER_HOST", "unix:///d.sock"),
            ],
            &[],
            false,
        );
        assert_eq!(
            (t.host.as_str(), t.source.as_str()),
            ("unix:///c.sock", "CONTAINER_HOST")
        );
        let t = pick(Podman, &[("DOCKER_HOST", "unix:///d.sock")], &[], false);
        assert_eq!(t.host, "unix:///d.sock");
        let t = pick(
            Podman,
            &[("XDG_RUNTIME_DIR", "/run/user/1000")],
            &[
                "/run/user/1000/podman/podman.sock",
                "/run/podman/podman.sock",
            ],
            false,
        );
        assert_eq!(t.host, "unix:///run/user/1000/podman/podman.sock");
        assert_eq!(t.source, "rootless Podman socket");
        let t = pick(
            Podman,
            &[("XDG_RUNTIME_DIR", "/run/user/0")],
            &["/run/user/0/podman/podman.sock", "/run/podman/podman.sock"],
            true,
        );
        assert_eq!(t.host, "unix:///run/podman/podman.sock");
        let t = pick(
            Podman,
            &[("XDG_RUNTIME_DIR", "/run/user/1000")],
            &["/run/podman/podman.sock"],
            false,
        );
        assert_eq!(t.source, "rootful Podman socket");
        // Auto: DOCKER_HOST, CONTAINER_HOST, the Docker socket, a Podman socket.
        let t = pick(Auto, &[("CONTAINER_HOST", "unix:///c.sock")], &[], false);
        assert_eq!((t.host.as_str(), t.expect), ("unix:///c.sock", None));
        let t = pick(
            Auto,
            &[],
            &["/var/run/docker.sock", "/run/podman/podman.sock"],
            true,
        );
        assert_eq!(t.host, "unix:///var/run/docker.sock");
        let t = pick(Auto, &[], &["/run/podman/podman.sock"], true);
        assert_eq!(t.host, "unix:///run/podman/podman.sock");
        assert_eq!("podman".parse::<EngineChoice>(), Ok(Podman));
        assert!("lxc".parse::<EngineChoice>().is_err());
    }
}
