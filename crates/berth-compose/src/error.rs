//! The loader's one error type: where (file:line:col), which key (`services.web.ports[1]`),
//! what is wrong in plain words, and the exit code class Compose v2 uses for it.

use std::fmt;

use super::yaml::Pos;

/// Compose v2's exit-code classes for loader failures (`pkg/compose/metrics.go`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A compose file, env file or included file does not exist (exit 14).
    FileNotFound,
    /// The compose model is invalid: syntax, schema, references, cycles (exit 15).
    Invalid,
    /// Anything else, e.g. an invalid `-p` project name (exit 1).
    Other,
}

impl ErrorKind {
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::FileNotFound => 14,
            ErrorKind::Invalid => 15,
            ErrorKind::Other => 1,
        }
    }
}

/// A problem with the user's compose files, pointing into them.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadError {
    pub kind: ErrorKind,
    /// Where in which file; `None` when the problem has no single place (e.g. no file found).
    pub pos: Option<Pos>,
    /// The key path, e.g. `services.web.ports[1]`.
    pub path: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What would fix it, when we know.
    pub hint: Option<String>,
}

impl LoadError {
    pub fn invalid(
        pos: Option<Pos>,
        path: impl Into<Option<String>>,
        message: impl Into<String>,
    ) -> LoadError {
        LoadError {
            kind: ErrorKind::Invalid,
            pos,
            path: path.into(),
            message: message.into(),
            hint: None,
        }
    }
    pub fn at(pos: &Pos, path: &str, message: impl Into<String>) -> LoadError {
        LoadError::invalid(
            if pos.is_known() || !pos.file.is_empty() {
                Some(pos.clone())
            } else {
                None
            },
            if path.is_empty() {
                None
            } else {
                Some(path.to_string())
            },
            message,
        )
    }
    pub fn not_found(message: impl Into<String>) -> LoadError {
        LoadError {
            kind: ErrorKind::FileNotFound,
            pos: None,
            path: None,
            message: message.into(),
            hint: None,
        }
    }
    pub fn other(message: impl Into<String>) -> LoadError {
        LoadError {
            kind: ErrorKind::Other,
            pos: None,
            path: None,
            message: message.into(),
            hint: None,
        }
    }
    pub fn with_hint(mut self, hint: impl Into<String>) -> LoadError {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_kind(mut self, kind: ErrorKind) -> LoadError {
        self.kind = kind;
        self
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(pos) = &self.pos {
            write!(f, "{pos}: ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Joins a key onto a dotted path: `services` + `web` = `services.web`.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends a list index: `services.web.ports` + 1 = `services.web.ports[1]`.
pub fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}
