//! Engine failures, classified by what they mean rather than by HTTP code.

use crate::{podman, Engine, EngineKind};

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
    pub(crate) fn classify(e: bollard::errors::Error) -> EngineError {
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
    /// The engine could not be reached or stopped answering.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, EngineError::Unreachable { .. })
    }

    /// The engine said the object does not exist.
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

pub(crate) type Result<T> = std::result::Result<T, EngineError>;

/// What to do when the engine does not answer.
pub(crate) fn hint_for(expect: Option<EngineKind>, host: &str) -> String {
    match expect {
        Some(EngineKind::Podman) => format!(
            "is the Podman API service running? Start it (`podman system service --time=0 {host} &` as root, `systemctl --user start podman.socket` rootless, or `sudo bash scripts/podman.sh`), or point CONTAINER_HOST at a running one"
        ),
        Some(EngineKind::Docker) => "is the Docker daemon running? Start it (e.g. `sudo systemctl start docker`, or `dockerd &`), or point DOCKER_HOST at a running engine".to_string(),
        None => "is the Docker daemon or the Podman API service running? Start one, point DOCKER_HOST (or CONTAINER_HOST) at it, or choose with --engine docker|podman".to_string(),
    }
}

/// How long a quick request (a listing, an inspection, the version) may take, its body
/// included: bollard's own timeout covers the response headers only, so a reply whose body
/// stalls would hang berth. `BERTH_ENGINE_TIMEOUT` (seconds) changes it.
pub(crate) fn answer_within() -> std::time::Duration {
    let secs = std::env::var("BERTH_ENGINE_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(30);
    std::time::Duration::from_secs(secs)
}

impl Engine {
    /// `call` (a quick request), with [`answer_within`]'s deadline on the whole answer.
    pub(crate) async fn answer<T>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = std::result::Result<T, bollard::errors::Error>>,
    ) -> Result<T> {
        let limit = answer_within();
        match tokio::time::timeout(limit, call).await {
            Ok(r) => r.map_err(|e| self.err(e)),
            Err(_) => Err(EngineError::Unreachable {
                engine: self.kind.to_string(),
                host: self.host.clone(),
                source_of: self.source.clone(),
                detail: format!(
                    "the engine stopped answering: no complete reply to {what} within {} s",
                    limit.as_secs()
                ),
                hint: hint_for(Some(self.kind), &self.host),
            }),
        }
    }

    /// Classifies a failed call; a transport failure names the engine and its address.
    pub(crate) fn err(&self, e: bollard::errors::Error) -> EngineError {
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
