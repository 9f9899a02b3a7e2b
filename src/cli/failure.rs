//! A command's failure with the exit code Compose v2 uses for it, and how library errors map
//! to those codes; a loader error shown with its source line.

use crate::project::ProjectScope;
use berth_compose::error::LoadError;
use std::path::Path;

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

/// Renders a loader error with the offending source line and a caret under the column. The
/// excerpt is a window of the line around the column (a hostile line can be megabytes long),
/// and every control character the user's file holds is shown escaped, in the message and the
/// excerpt alike: an error never sends the file's escape sequences to the terminal.
pub fn render_load_error(e: &LoadError) -> String {
    let mut out = visible(&e.to_string());
    if let Some(pos) = &e.pos {
        if pos.line > 0 {
            let limit = berth_compose::input::MAX_COMPOSE_FILE;
            let text = berth_compose::input::read_text(Path::new(&*pos.file), limit)
                .ok()
                .or_else(|| {
                    let d = std::env::current_dir().ok()?;
                    berth_compose::input::read_text(&d.join(&*pos.file), limit).ok()
                });
            if let Some(line) = text
                .as_deref()
                .and_then(|t| t.lines().nth(pos.line as usize - 1))
            {
                let n = pos.line.to_string();
                let pad = " ".repeat(n.len());
                let (shown, caret_at) = excerpt(line, pos.col.saturating_sub(1) as usize);
                let caret = " ".repeat(caret_at);
                out = format!("{out}\n {pad} |\n {n} | {shown}\n {pad} | {caret}^");
            }
        }
    }
    out
}

/// `s` with its control characters (but newlines and tabs) written as escapes (`\u{1b}`).
pub fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// At most `WIDTH` characters of `line` around character `col`, made visible, and where the
/// caret goes under them.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    const WIDTH: usize = 100;
    let chars: Vec<char> = line.chars().collect();
    let col = col.min(chars.len());
    let start = col.saturating_sub(WIDTH / 2);
    let end = (start + WIDTH).min(chars.len());
    let piece = |from: usize, to: usize| visible(&chars[from..to].iter().collect::<String>());
    let lead = if start > 0 { "…" } else { "" };
    let trail = if end < chars.len() { "…" } else { "" };
    let before = piece(start, col);
    let shown = format!("{lead}{before}{}{trail}", piece(col, end));
    (shown, lead.chars().count() + before.chars().count())
}
