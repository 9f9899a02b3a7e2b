//! Container calls: list, inspect, create, start, stop, kill, remove, rename, pause, wait,
//! events, and driving a healthcheck on Podman.

use std::collections::HashMap;
use std::time::Duration;

use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, InspectContainerOptions,
    KillContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    RenameContainerOptionsBuilder, StartContainerOptions, StopContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use crate::archive::{Archive, Stamp};
use crate::error::{EngineError, Result};
use crate::spec::{ContainerSpec, Injection};
use crate::{
    podman, ContainerDetails, ContainerStatus, ContainerSummary, Engine, EngineKind, Event,
};

impl Engine {
    /// On Podman, runs a container's healthcheck when one is due (its interval since the
    /// last run), because without systemd Podman never runs it. Returns zero when it ran
    /// (inspect again now), else how long until the next one is due; None on Docker (which
    /// runs its own) or without a healthcheck.
    pub async fn drive_healthcheck(
        &self,
        id: &str,
        inspected: &ContainerDetails,
    ) -> Option<Duration> {
        if self.kind != EngineKind::Podman {
            return None;
        }
        let check = inspected.healthcheck.as_ref().filter(|h| h.is_active())?;
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

    pub(crate) fn label_filters(labels: &[String]) -> HashMap<String, Vec<String>> {
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
        self.answer(
            "the container list",
            self.settled(|| self.docker.list_containers(Some(opts.clone()))),
        )
        .await
        .map(|l| l.into_iter().map(ContainerSummary::from_api).collect())
    }

    /// Inspects a container. Podman reports the transient state `stopped` (between the exit
    /// and its cleanup), which the API's state enum lacks, so the answer does not parse: that
    /// is retried until the state settles (`podman::is_transient_state_error`).
    pub async fn inspect_container(&self, id: &str) -> Result<ContainerDetails> {
        self.answer(
            "a container inspection",
            self.settled(|| {
                self.docker
                    .inspect_container(id, None::<InspectContainerOptions>)
            }),
        )
        .await
        .map(ContainerDetails::from_api)
    }

    /// Makes `call`, again while Podman answers with a transient container state (up to 5 s).
    async fn settled<T, F, Fut>(&self, call: F) -> std::result::Result<T, bollard::errors::Error>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, bollard::errors::Error>>,
    {
        let mut tries = 0;
        loop {
            match call().await {
                Err(e)
                    if tries < 50
                        && self.kind == EngineKind::Podman
                        && podman::is_transient_state_error(&e) =>
                {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                r => return r,
            }
        }
    }

    /// Creates the container `spec` describes, connects it to its other networks and writes
    /// its files (secrets and configs that cannot be binds). Returns its ID and what the engine
    /// accepted but discarded (its warnings). A container that fails after it was created is
    /// removed again, so a failure leaves nothing half-made behind.
    pub async fn create_from_spec(
        &self,
        spec: &ContainerSpec,
    ) -> std::result::Result<(String, Vec<String>), CreateError> {
        let mut b = CreateContainerOptionsBuilder::new().name(&spec.name);
        if let Some(p) = &spec.platform {
            b = b.platform(p);
        }
        let r = self
            .docker
            .create_container(Some(b.build()), spec.body.clone())
            .await
            .map_err(|e| CreateError::Create(self.err(e)))?;
        let id = r.id;
        let finish = async {
            for (net, ep) in &spec.extra_networks {
                self.connect_network(net, &id, ep.clone())
                    .await
                    .map_err(|e| CreateError::Connect(net.clone(), e))?;
            }
            self.inject_files(&id, &spec.injections)
                .await
                .map_err(CreateError::Inject)
        };
        if let Err(e) = finish.await {
            let _ = self.remove_container(&id, true).await;
            return Err(e);
        }
        Ok((id, r.warnings))
    }

    /// Writes files into a created container through the archive API; files with an explicit
    /// owner need the engine to keep the archive's uid and gid.
    async fn inject_files(&self, id: &str, files: &[Injection]) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for keep_owner in [false, true] {
            let batch: Vec<&Injection> = files
                .iter()
                .filter(|f| f.keep_owner == keep_owner)
                .collect();
            if batch.is_empty() {
                continue;
            }
            let mut archive = Archive::new(Stamp::Reproducible);
            for f in batch {
                archive
                    .add_bytes(
                        f.path.trim_start_matches('/'),
                        &f.content,
                        f.mode,
                        (f.uid, f.gid),
                        now,
                    )
                    .map_err(|e| EngineError::Other(format!("cannot pack {}: {e}", f.path)))?;
            }
            let tar = archive
                .finish()
                .map_err(|e| EngineError::Other(format!("cannot pack files: {e}")))?;
            self.upload(id, "/", tar, keep_owner).await?;
        }
        Ok(())
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

    /// Container events for the containers carrying `labels`, from now on, named the same on
    /// both engines ([`crate::EventKind`]).
    pub fn container_events(&self, labels: &[String]) -> impl Stream<Item = Result<Event>> + use<> {
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
            .map(move |r| r.map(Event::from_api).map_err(|e| me.err(e)))
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
        let state = self.inspect_container(id).await.ok().map(|i| i.state);
        let never_ran = state
            .as_ref()
            .is_some_and(|s| s.status == ContainerStatus::Created);
        let code = if never_ran { -1 } else { code };
        Ok(podman::wait_status(code, state.map(|s| s.exit_code)))
    }
}

/// Why [`Engine::create_from_spec`] failed, and at which step.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The engine refused the container (a name in use is [`EngineError::Conflict`]).
    #[error("{0}")]
    Create(EngineError),
    /// It could not be connected to this network.
    #[error("cannot connect it to network {0}: {1}")]
    Connect(String, EngineError),
    /// Its secrets or configs could not be written into it.
    #[error("cannot write secrets/configs into the container: {0}")]
    Inject(EngineError),
}

impl CreateError {
    /// The engine's error underneath.
    pub fn engine_error(&self) -> &EngineError {
        match self {
            CreateError::Create(e) | CreateError::Connect(_, e) | CreateError::Inject(e) => e,
        }
    }
}

/// Shortens a Go-style duration for the engine (nanoseconds).
pub fn nanos(d: Duration) -> i64 {
    d.as_nanos().min(i64::MAX as u128) as i64
}
