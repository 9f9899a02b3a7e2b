//! A command's failure with the exit code Compose v2 uses for it, and how library errors map
//! to those codes; a loader error shown with its source line.

use crate::project::ProjectScope;
use berth_compose::error::LoadError;

/// A failure with the exit code Compose v2 uses for it.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<berth_engine::EngineError> for Failure {
    fn from(e: berth_engine::EngineError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<crate::session::SessionError> for Failure {
    fn from(e: crate::session::SessionError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<crate::project::ContainerError> for Failure {
    fn from(e: crate::project::ContainerError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        Failure {
            code: e.exit_code(),
            message: render_load_error(&e),
        }
    }
}

impl From<crate::converge::apply::ApplyError> for Failure {
    /// Compose v2's exit codes: 130 for an interrupt, 18 for a failed pull, else 1.
    fn from(e: crate::converge::apply::ApplyError) -> Self {
        use crate::converge::apply::ApplyError;
        use crate::images::ImageError;
        match e {
            ApplyError::Interrupted => {
                Failure::new(130, "interrupted: the next `berth up` continues from here")
            }
            e @ ApplyError::Image(ImageError::Pull(_)) => Failure::new(18, e.to_string()),
            e => Failure::new(1, e.to_string()),
        }
    }
}

/// `no such service: x` (exit 1) for a service the compose file does not define.
pub fn check_services(scope: &ProjectScope, services: &[String]) -> Result<(), Failure> {
    match scope.unknown_service(services) {
        Some(s) => Err(Failure::new(1, format!("no such service: {s}"))),
        None => Ok(()),
    }
}

/// Renders a loader error with the offending source line and a caret under the column.
pub fn render_load_error(e: &LoadError) -> String {
    let mut out = e.to_string();
    if let Some(pos) = &e.pos {
        if pos.line > 0 {
            let text = std::fs::read_to_string(&*pos.file).ok().or_else(|| {
                std::env::current_dir()
                    .ok()
                    .and_then(|d| std::fs::read_to_string(d.join(&*pos.file)).ok())
            });
            if let Some(line) = text
                .as_deref()
                .and_then(|t| t.lines().nth(pos.line as usize - 1))
            {
                let n = pos.line.to_string();
                let pad = " ".repeat(n.len());
                let caret = " ".repeat(pos.col.saturating_sub(1) as usize);
                out = format!("{out}\n {pad} |\n {n} | {line}\n {pad} | {caret}^");
            }
        }
    }
    out
}
