//! The one module that talks to the container engine (Docker, or Podman's Docker-compatible
//! API) through bollard. Everything engine-specific lives here: how we connect, which API
//! version we speak, how errors are classified, and the few calls the rest of berth makes.

pub mod build;
mod compat;
pub mod images;
pub mod io;
pub mod labels;
pub mod podman;
pub mod spec;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, ContainerSummary, EndpointSettings,
    EventMessage, Network, NetworkConnectRequest, NetworkCreateRequest, Volume,
    VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, InspectContainerOptions,
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder,
    ListVolumesOptionsBuilder, RemoveContainerOptionsBuilder, RemoveVolumeOptions,
    RenameContainerOptionsBuilder, StartContainerOptions, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures_util::Stream;
use futures_util::StreamExt;

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

/// An engine failure, classified by what it means rather than by HTTP code (Podman answers 500
/// where Docker answers 404 or 409: see [`podman::classify_message`]).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "cannot connect to the {engine} engine at {host} ({source_of}): {detail}\n  hint: {hint}"
    )]
    Unreachable {
        /// "Docker", "Podman", or "container" when auto-detecting.
        engine: String,
        host: String,
        /// Where the address came from (`DOCKER_HOST`, `--engine podman`, ...).
        source_of: String,
        detail: String,
        hint: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotRunning(String),
    #[error("{0}")]
    Other(String),
}

impl EngineError {
    fn classify(e: bollard::errors::Error) -> EngineError {
        use bollard::errors::Error as B;
        use podman::ErrorKind as K;
        match e {
            B::DockerResponseServerError {
                status_code,
                message,
            } => match podman::classify_message(status_code, &message) {
                K::NotFound => EngineError::NotFound(message),
                K::NotRunning => EngineError::NotRunning(message),
                K::Conflict => EngineError::Conflict(message),
                K::Other => match podman::rlimit_hint(&message) {
                    Some(hint) => EngineError::Other(format!("{message}\n  {hint}")),
                    None => EngineError::Other(message),
                },
            },
            other => EngineError::Other(other.to_string()),
        }
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::NotFound(_))
    }
}

/// Is this bollard error a failure to reach the engine (rather than the engine's answer)?
fn is_transport(e: &bollard::errors::Error) -> bool {
    use bollard::errors::Error as B;
    matches!(
        e,
        B::IOError { .. }
            | B::HyperResponseError { .. }
            | B::HyperLegacyError { .. }
            | B::RequestTimeoutError
            | B::SocketNotFoundError(_)
    )
}

type Result<T> = std::result::Result<T, EngineError>;

/// A connected engine.
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub kind: EngineKind,
    /// Where we connected, for messages.
    pub host: String,
    /// Where that address came from (`DOCKER_HOST`, `CONTAINER_HOST`, `--engine podman`, ...).
    pub source: String,
    /// The API version both sides speak, e.g. (1, 41).
    pub api_version: (u32, u32),
    /// The engine's own version string.
    pub version: String,
    /// Podman without systemd: berth runs the healthchecks while it waits (see `podman`).
    health: Arc<podman::HealthDriver>,
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

fn hint_for(expect: Option<EngineKind>, host: &str) -> String {
    match expect {
        Some(EngineKind::Podman) => format!(
            "is the Podman API service running? Start it (`podman system service --time=0 {host} &` as root, `systemctl --user start podman.socket` rootless, or `sudo bash scripts/podman.sh`), or point CONTAINER_HOST at a running one"
        ),
        Some(EngineKind::Docker) => "is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at a running engine".to_string(),
        None => "is the Docker daemon or the Podman API service running? Start one, point DOCKER_HOST (or CONTAINER_HOST) at it, or choose with --engine docker|podman".to_string(),
    }
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
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let v = docker
            .version()
            .await
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

    /// One line naming the engine: `Podman 4.3.1 (API 1.41) at unix:///run/podman/podman.sock`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} (API {}.{}) at {} ({})",
            self.kind, self.version, self.api_version.0, self.api_version.1, self.host, self.source
        )
    }

    /// Classifies a failed call; a transport failure names the engine and its address.
    fn err(&self, e: bollard::errors::Error) -> EngineError {
        if is_transport(&e) {
            return EngineError::Unreachable {
                engine: self.kind.to_string(),
                host: self.host.clone(),
                source_of: self.source.clone(),
                detail: e.to_string(),
                hint: hint_for(Some(self.kind), &self.host),
            };
        }
        EngineError::classify(e)
    }

    /// On Podman, runs a container's healthcheck when one is due (its interval since the
    /// last run), because without systemd Podman never runs it. Returns zero when it ran
    /// (inspect again now), else how long until the next one is due; None on Docker (which
    /// runs its own) or without a healthcheck.
    pub async fn drive_healthcheck(
        &self,
        id: &str,
        inspected: &ContainerInspectResponse,
    ) -> Option<Duration> {
        if self.kind != EngineKind::Podman {
            return None;
        }
        let check = inspected.config.as_ref()?.healthcheck.as_ref()?;
        let test = check.test.as_ref()?;
        if test.is_empty() || test[0] == "NONE" {
            return None;
        }
        let interval = podman::health_interval(check.interval);
        match self.health.due(id, interval) {
            Ok(()) => {
                // A failed probe call (container just exited, ...) shows in the next inspect.
                let _ = podman::run_healthcheck(&self.docker, id).await;
                Some(Duration::ZERO)
            }
            Err(left) => Some(left),
        }
    }

    fn label_filters(labels: &[String]) -> HashMap<String, Vec<String>> {
        let mut f = HashMap::new();
        f.insert("label".to_string(), labels.to_vec());
        f
    }

    /// Containers (running or not) carrying all of `labels` (`key=value` or `key`).
    pub async fn list_containers(&self, labels: &[String]) -> Result<Vec<ContainerSummary>> {
        let opts = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&Self::label_filters(labels))
            .build();
        let mut tries = 0;
        loop {
            match self.docker.list_containers(Some(opts.clone())).await {
                Err(e)
                    if tries < 50
                        && self.kind == EngineKind::Podman
                        && podman::is_transient_state_error(&e) =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                r => return r.map_err(|e| self.err(e)),
            }
        }
    }

    /// Inspects a container. Podman reports the transient state `stopped` (between the exit
    /// and its cleanup), which the API's state enum lacks, so the answer does not parse: that
    /// is retried until the state settles (`podman::is_transient_state_error`).
    pub async fn inspect_container(&self, id: &str) -> Result<ContainerInspectResponse> {
        let mut tries = 0;
        loop {
            match self
                .docker
                .inspect_container(id, None::<InspectContainerOptions>)
                .await
            {
                Err(e)
                    if tries < 50
                        && self.kind == EngineKind::Podman
                        && podman::is_transient_state_error(&e) =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                r => return r.map_err(|e| self.err(e)),
            }
        }
    }

    pub async fn create_container(&self, name: &str, body: ContainerCreateBody) -> Result<String> {
        self.create_container_with(name, None, body)
            .await
            .map(|(id, _)| id)
    }

    /// Creates a container for `platform` (`os[/arch[/variant]]`, API 1.41+); returns its ID
    /// and the engine's warnings (settings it accepted but discarded).
    pub async fn create_container_with(
        &self,
        name: &str,
        platform: Option<&str>,
        body: ContainerCreateBody,
    ) -> Result<(String, Vec<String>)> {
        let mut b = CreateContainerOptionsBuilder::new().name(name);
        if let Some(p) = platform {
            b = b.platform(p);
        }
        let r = self
            .docker
            .create_container(Some(b.build()), body)
            .await
            .map_err(|e| self.err(e))?;
        Ok((r.id, r.warnings))
    }

    pub async fn start_container(&self, id: &str) -> Result<()> {
        self.docker
            .start_container(id, None::<StartContainerOptions>)
            .await
            .map_err(|e| self.err(e))
    }

    /// Stops a container; one that is already stopped is not an error.
    pub async fn stop_container(&self, id: &str, timeout: Option<i32>) -> Result<()> {
        let mut b = StopContainerOptionsBuilder::new();
        if let Some(t) = timeout {
            b = b.t(t);
        }
        match self.docker.stop_container(id, Some(b.build())).await {
            Ok(()) => Ok(()),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 304, ..
            }) => Ok(()),
            Err(e) => match self.err(e) {
                EngineError::NotRunning(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    pub async fn kill_container(&self, id: &str, signal: &str) -> Result<()> {
        let opts = KillContainerOptionsBuilder::new().signal(signal).build();
        self.docker
            .kill_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    /// Removes a container (forcefully), with its anonymous volumes when `volumes`.
    pub async fn remove_container(&self, id: &str, volumes: bool) -> Result<()> {
        let opts = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(volumes)
            .build();
        match self
            .docker
            .remove_container(id, Some(opts))
            .await
            .map_err(|e| self.err(e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    pub async fn rename_container(&self, id: &str, name: &str) -> Result<()> {
        let opts = RenameContainerOptionsBuilder::new().name(name).build();
        self.docker
            .rename_container(id, opts)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn pause_container(&self, id: &str) -> Result<()> {
        self.docker
            .pause_container(id)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn unpause_container(&self, id: &str) -> Result<()> {
        self.docker
            .unpause_container(id)
            .await
            .map_err(|e| self.err(e))
    }

    /// Networks whose name is exactly `name` (the engine's filter matches substrings).
    pub async fn find_networks(&self, name: &str) -> Result<Vec<Network>> {
        let mut f = HashMap::new();
        f.insert("name".to_string(), vec![name.to_string()]);
        let opts = ListNetworksOptionsBuilder::new().filters(&f).build();
        let nets = self
            .docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| self.err(e))?;
        Ok(nets
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name))
            .collect())
    }

    pub async fn list_networks(&self, labels: &[String]) -> Result<Vec<Network>> {
        let opts = ListNetworksOptionsBuilder::new()
            .filters(&Self::label_filters(labels))
            .build();
        self.docker
            .list_networks(Some(opts))
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn create_network(&self, req: NetworkCreateRequest) -> Result<String> {
        let r = self
            .docker
            .create_network(req)
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.id)
    }

    pub async fn remove_network(&self, id: &str) -> Result<()> {
        match self
            .docker
            .remove_network(id)
            .await
            .map_err(|e| self.err(e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    pub async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()> {
        let req = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(endpoint),
        };
        self.docker
            .connect_network(network, req)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn inspect_volume(&self, name: &str) -> Result<Volume> {
        self.docker
            .inspect_volume(name)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn list_volumes(&self, labels: &[String]) -> Result<Vec<Volume>> {
        let opts = ListVolumesOptionsBuilder::new()
            .filters(&Self::label_filters(labels))
            .build();
        let r = self
            .docker
            .list_volumes(Some(opts))
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.volumes.unwrap_or_default())
    }

    pub async fn create_volume(&self, req: VolumeCreateRequest) -> Result<Volume> {
        self.docker
            .create_volume(req)
            .await
            .map_err(|e| self.err(e))
    }

    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(|e| self.err(e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// The image's ID, or None when the engine does not have it.
    pub async fn image_id(&self, image: &str) -> Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i.id),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The names (`repo:tag`) of an image; None when it does not exist.
    pub async fn image_tags(&self, image: &str) -> Result<Option<Vec<String>>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(Some(
                i.repo_tags
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect(),
            )),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    pub async fn remove_image(&self, image: &str) -> Result<()> {
        match self
            .docker
            .remove_image(
                image,
                None::<bollard::query_parameters::RemoveImageOptions>,
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Container events for the containers carrying `labels`, from now on, each with its
    /// meaning (Docker's and Podman's names differ: `podman::event_kind`).
    pub fn container_events(
        &self,
        labels: &[String],
    ) -> impl Stream<Item = Result<(podman::EventKind, EventMessage)>> + use<> {
        // Podman 4.3's compat /events ignores `label` (and `container`) filters and sends
        // nothing at all when they are given: filter on its side by type only, and on ours by
        // the labels it puts in the event's attributes.
        let podman = self.kind == EngineKind::Podman;
        let mut f = if podman {
            HashMap::new()
        } else {
            Self::label_filters(labels)
        };
        f.insert("type".to_string(), vec!["container".to_string()]);
        let opts = EventsOptionsBuilder::new().filters(&f).build();
        let me = self.clone();
        let wanted = labels.to_vec();
        self.docker
            .events(Some(opts))
            .filter(move |r| {
                let keep = match r {
                    Ok(ev) if podman => {
                        let attrs = ev.actor.as_ref().and_then(|a| a.attributes.as_ref());
                        podman::labels_match(attrs, &wanted)
                    }
                    _ => true,
                };
                std::future::ready(keep)
            })
            .map(move |r| {
                r.map(|ev| {
                    let kind = podman::event_kind(ev.action.as_deref().unwrap_or_default());
                    (kind, ev)
                })
                .map_err(|e| me.err(e))
            })
    }

    /// Waits until the container exits; its exit code. Podman answers -1 (or 0 at once) for a
    /// container whose start failed: the recorded exit code then, else 128
    /// (`podman::wait_status`).
    pub async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut s = self
            .docker
            .wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        let code = match s.next().await {
            Some(Ok(r)) => r.status_code,
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => return Err(self.err(e)),
            None => -1,
        };
        if code >= 0 && self.kind != EngineKind::Podman {
            return Ok(code);
        }
        // Podman answers -1, or 0 at once for a container still `created`, when its start
        // failed: a container that never ran did not exit 0.
        let state = self.inspect_container(id).await.ok().and_then(|i| i.state);
        let never_ran = state
            .as_ref()
            .map(|s| s.status == Some(bollard::models::ContainerStateStatusEnum::CREATED))
            .unwrap_or(false);
        let code = if never_ran { -1 } else { code };
        Ok(podman::wait_status(code, state.and_then(|s| s.exit_code)))
    }
}

/// Shortens a Go-style duration for the engine (nanoseconds).
pub fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn a_connection_error_names_the_engine_and_the_socket() {
        let e = EngineError::Unreachable {
            engine: "Podman".into(),
            host: "unix:///run/podman/podman.sock".into(),
            source_of: "rootful Podman socket".into(),
            detail: "the socket does not exist".into(),
            hint: hint_for(Some(EngineKind::Podman), "unix:///run/podman/podman.sock"),
        };
        let m = e.to_string();
        assert!(
            m.contains("Podman engine at unix:///run/podman/podman.sock"),
            "{m}"
        );
        assert!(m.contains("podman system service"), "{m}");
    }
}
