//! The one module that talks to the container engine (Docker, or Podman's Docker-compatible
//! API) through bollard. Everything engine-specific lives here: how we connect, which API
//! version we speak, how errors are classified, and the few calls the rest of berth makes.

pub mod build;
mod compat;
pub mod images;
pub mod labels;
pub mod spec;

use std::collections::HashMap;
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
/// where Docker answers 404 or 409).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot connect to the container engine at {host}: {detail}\n  hint: is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at a running engine")]
    Unreachable { host: String, detail: String },
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
        match e {
            B::DockerResponseServerError {
                status_code,
                message,
            } => {
                let m = message.to_lowercase();
                if status_code == 404
                    || m.contains("no such")
                    || m.contains("not found")
                    || m.contains("not known")
                {
                    EngineError::NotFound(message)
                } else if m.contains("is not running")
                    || m.contains("state improper")
                    || m.contains("can only kill running")
                {
                    EngineError::NotRunning(message)
                } else if status_code == 409
                    || m.contains("already in use")
                    || m.contains("already exists")
                {
                    EngineError::Conflict(message)
                } else {
                    EngineError::Other(message)
                }
            }
            other => EngineError::Other(other.to_string()),
        }
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::NotFound(_))
    }
}

type Result<T> = std::result::Result<T, EngineError>;

/// A connected engine.
#[derive(Clone)]
pub struct Engine {
    pub docker: Docker,
    pub kind: EngineKind,
    /// Where we connected, for messages.
    pub host: String,
    /// The API version both sides speak, e.g. (1, 41).
    pub api_version: (u32, u32),
    /// The engine's own version string.
    pub version: String,
}

/// Where to connect: `DOCKER_HOST`, else the default socket.
pub fn default_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

impl Engine {
    /// Connects to `host` (`unix://…` or `tcp://…`) and negotiates the API version, so that
    /// Docker 20.10 (API 1.41) and current engines both work.
    pub async fn connect(host: &str) -> Result<Engine> {
        let unreachable = |detail: String| EngineError::Unreachable {
            host: host.to_string(),
            detail,
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
            api_version,
            version: v.version.unwrap_or_default(),
        })
    }

    /// Connects to `DOCKER_HOST` or the default socket.
    pub async fn connect_default() -> Result<Engine> {
        Engine::connect(&default_host()).await
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
        self.docker
            .list_containers(Some(opts))
            .await
            .map_err(EngineError::classify)
    }

    pub async fn inspect_container(&self, id: &str) -> Result<ContainerInspectResponse> {
        self.docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await
            .map_err(EngineError::classify)
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
            .map_err(EngineError::classify)?;
        Ok((r.id, r.warnings))
    }

    pub async fn start_container(&self, id: &str) -> Result<()> {
        self.docker
            .start_container(id, None::<StartContainerOptions>)
            .await
            .map_err(EngineError::classify)
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
            Err(e) => match EngineError::classify(e) {
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
            .map_err(EngineError::classify)
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
            .map_err(EngineError::classify)
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
            .map_err(EngineError::classify)
    }

    pub async fn pause_container(&self, id: &str) -> Result<()> {
        self.docker
            .pause_container(id)
            .await
            .map_err(EngineError::classify)
    }

    pub async fn unpause_container(&self, id: &str) -> Result<()> {
        self.docker
            .unpause_container(id)
            .await
            .map_err(EngineError::classify)
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
            .map_err(EngineError::classify)?;
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
            .map_err(EngineError::classify)
    }

    pub async fn create_network(&self, req: NetworkCreateRequest) -> Result<String> {
        let r = self
            .docker
            .create_network(req)
            .await
            .map_err(EngineError::classify)?;
        Ok(r.id)
    }

    pub async fn remove_network(&self, id: &str) -> Result<()> {
        match self
            .docker
            .remove_network(id)
            .await
            .map_err(EngineError::classify)
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
            .map_err(EngineError::classify)
    }

    pub async fn inspect_volume(&self, name: &str) -> Result<Volume> {
        self.docker
            .inspect_volume(name)
            .await
            .map_err(EngineError::classify)
    }

    pub async fn list_volumes(&self, labels: &[String]) -> Result<Vec<Volume>> {
        let opts = ListVolumesOptionsBuilder::new()
            .filters(&Self::label_filters(labels))
            .build();
        let r = self
            .docker
            .list_volumes(Some(opts))
            .await
            .map_err(EngineError::classify)?;
        Ok(r.volumes.unwrap_or_default())
    }

    pub async fn create_volume(&self, req: VolumeCreateRequest) -> Result<Volume> {
        self.docker
            .create_volume(req)
            .await
            .map_err(EngineError::classify)
    }

    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(EngineError::classify)
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// The image's ID, or None when the engine does not have it.
    pub async fn image_id(&self, image: &str) -> Result<Option<String>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(i.id),
            Err(e) => match EngineError::classify(e) {
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
            Err(e) => match EngineError::classify(e) {
                EngineError::NotFound(_) => Ok(()),
                other => Err(other),
            },
        }
    }

    /// Container events for the containers carrying `labels`, from now on.
    pub fn container_events(
        &self,
        labels: &[String],
    ) -> impl Stream<Item = Result<EventMessage>> + use<> {
        let mut f = Self::label_filters(labels);
        f.insert("type".to_string(), vec!["container".to_string()]);
        let opts = EventsOptionsBuilder::new().filters(&f).build();
        self.docker
            .events(Some(opts))
            .map(|r| r.map_err(EngineError::classify))
    }

    /// Waits until the container exits; its exit code.
    pub async fn wait_container(&self, id: &str) -> Result<i64> {
        let mut s = self
            .docker
            .wait_container(id, None::<bollard::query_parameters::WaitContainerOptions>);
        match s.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(EngineError::classify(e)),
            None => Ok(-1),
        }
    }
}

/// Shortens a Go-style duration for the engine (nanoseconds).
pub fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}
