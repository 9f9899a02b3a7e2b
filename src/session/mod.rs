//! A process in a container connected to this terminal: `exec` runs one in a running
//! container, `attach` joins a container's main process, `run` starts a one-off container of a
//! service and joins it. Each ends with the process's exit code, or when the detach keys are
//! typed (the process keeps running).

pub mod attach;
pub mod exec;
pub mod oneoff;

use berth_engine::EngineError;

use crate::project::ContainerError;

/// Why a session could not start or went wrong.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Container(#[from] ContainerError),
    /// The engine refused a step (`exec`, `attach`, `start`...) for the service.
    #[error("service \"{service}\": {step}{error}")]
    Engine {
        service: String,
        /// `exec: `, `attach: `, or empty.
        step: &'static str,
        error: Box<EngineError>,
    },
    #[error("{0}")]
    Invalid(String),
}

impl SessionError {
    pub(crate) fn engine<'a>(
        service: &'a str,
        step: &'static str,
    ) -> impl Fn(EngineError) -> Self + 'a {
        move |error| SessionError::Engine {
            service: service.to_string(),
            step,
            error: Box::new(error),
        }
    }
}

/// How a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The process exited with this code.
    Exited(i64),
    /// The detach keys were typed: the process keeps running.
    Detached,
    /// The process's restart policy started it again (an attachment ends there).
    Restarted,
    /// Nothing was attached (`exec -d`, `run -d`): the process runs on.
    Started,
}
