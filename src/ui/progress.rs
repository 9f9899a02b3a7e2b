//! Progress as Compose v2 shows it: a line per resource and state (Creating, Created,
//! Starting, Started, Waiting, Healthy, Exited, Stopping, Removed), redrawn in place on a
//! terminal, plain lines otherwise, nothing when quiet. Progress goes to stderr.

use std::io::Write;
use std::sync::Mutex;
use std::time::Instant;

use indexmap::IndexMap;

use crate::converge::report::{Reporter, Resource};
use crate::ui::bytes::human;
use crate::ui::terminal;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn in place (a terminal).
    Tty,
    /// One line per change (CI, pipes, `--progress plain`).
    Plain,
    /// Nothing (`--progress quiet`).
    Quiet,
}

struct Line {
    status: String,
    detail: String,
    started: Instant,
    finished: Option<Instant>,
    failed: bool,
}

struct State {
    lines: IndexMap<String, Line>,
    drawn: usize,
    title: String,
    /// The widest service name of build output so far (its lines are aligned on it).
    build_width: usize,
}

/// The progress display of one command.
pub struct Progress {
    mode: Mode,
    color: bool,
    state: Mutex<State>,
}

/// A status that ends a resource's work (shown with a check mark and a time).
fn is_final(status: &str) -> bool {
    matches!(
        status,
        "Created"
            | "Started"
            | "Running"
            | "Healthy"
            | "Exited"
            | "Stopped"
            | "Removed"
            | "Recreated"
            | "Killed"
            | "Paused"
            | "Unpaused"
            | "Restarted"
            | "Error"
            | "Skipped"
            | "Completed"
    )
}

impl Progress {
    pub fn new(mode: Mode, color: bool, title: &str) -> Progress {
        Progress {
            mode,
            color,
            state: Mutex::new(State {
                lines: IndexMap::new(),
                drawn: 0,
                title: title.to_string(),
                build_width: 0,
            }),
        }
    }

    /// A new display in the same mode and colours, for a later phase (`up`'s stop after
    /// its logs): only that phase's lines are drawn.
    pub fn fresh(&self, title: &str) -> Progress {
        Progress::new(self.mode, self.color, title)
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Records that `name` (a `Container`, `Network` or `Volume`) reached `status`.
    fn show(&self, kind: &str, name: &str, status: &str, detail: &str) {
        if self.mode == Mode::Quiet {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        let line = st
            .lines
            .entry(format!("{kind} {name}"))
            .or_insert_with(|| Line {
                status: String::new(),
                detail: String::new(),
                started: now,
                finished: None,
                failed: false,
            });
        if line.status == status && line.detail == detail {
            return;
        }
        line.status = status.to_string();
        line.detail = detail.to_string();
        line.failed = status == "Error";
        line.finished = if is_final(status) { Some(now) } else { None };
        match self.mode {
            Mode::Plain => {
                let text = if detail.is_empty() {
                    format!(" {kind} {name}  {status}")
                } else {
                    format!(" {kind} {name}  {status}  {detail}")
                };
                let _ = writeln!(std::io::stderr(), "{text}");
            }
            Mode::Tty => self.redraw(&mut st),
            Mode::Quiet => {}
        }
    }

    fn paint(&self, code: u8, s: &str) -> String {
        if self.color {
            terminal::paint(s, code)
        } else {
            s.to_string()
        }
    }

    fn redraw(&self, st: &mut State) {
        let mut out = String::new();
        if st.drawn > 0 {
            out.push_str(&terminal::rewind(st.drawn));
        }
        let done = st.lines.values().filter(|l| l.finished.is_some()).count();
        let total = st.lines.len();
        out.push_str(&format!("[+] {} {done}/{total}\n", st.title));
        let width = st.lines.keys().map(|k| k.len()).max().unwrap_or(0);
        for (key, l) in &st.lines {
            let mark = match (l.finished, l.failed) {
                (_, true) => self.paint(31, "✘"),
                (Some(_), _) => self.paint(32, "✔"),
                (None, _) => self.paint(34, "⠿"),
            };
            let elapsed = l
                .finished
                .unwrap_or_else(Instant::now)
                .duration_since(l.started)
                .as_secs_f64();
            let status = if l.detail.is_empty() {
                l.status.clone()
            } else {
                format!("{} {}", l.status, l.detail)
            };
            out.push_str(&format!(
                " {mark} {key:<width$}  {status:<12} {elapsed:>5.1}s\n"
            ));
        }
        st.drawn = st.lines.len() + 1;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }

    /// Prints a line that is not a resource's status (a warning, a reason).
    pub fn note(&self, text: &str) {
        if self.mode == Mode::Quiet {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if self.mode == Mode::Tty && st.drawn > 0 {
            let _ = write!(std::io::stderr(), "{}", terminal::rewind(st.drawn));
            st.drawn = 0;
            let _ = writeln!(std::io::stderr(), "{text}");
            self.redraw(&mut st);
        } else {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }

    /// Forgets the drawn block so later output starts below it.
    pub fn finish(&self) {
        if let Ok(mut st) = self.state.lock() {
            if self.mode == Mode::Tty {
                self.redraw(&mut st);
            }
            st.drawn = 0;
        }
    }
}

impl Reporter for Progress {
    fn update(&self, kind: Resource, name: &str, status: &str, detail: &str) {
        self.show(&kind.to_string(), name, status, detail);
    }

    fn warn(&self, message: &str) {
        self.note(&format!("WARN {message}"));
    }

    fn build_output(&self, service: &str, line: &str) {
        let width = match self.state.lock() {
            Ok(mut st) => {
                st.build_width = st.build_width.max(service.len());
                st.build_width
            }
            Err(_) => service.len(),
        };
        self.note(&format!("{service:<width$}  | {line}"));
    }

    fn transfer(&self, kind: Resource, name: &str, status: &str, done: u64, total: u64) {
        let detail = if total > 0 {
            format!("{} / {}", human(done), human(total))
        } else {
            String::new()
        };
        self.show(&kind.to_string(), name, status, &detail);
    }

    fn note(&self, message: &str) {
        Progress::note(self, message);
    }
}
