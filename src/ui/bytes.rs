//! Byte progress for long transfers (bundle save/load/push): on a terminal one line redrawn in
//! place with bytes, percentage and rate; otherwise a plain line every 10 % (or 5 s). stderr.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ui::terminal::clear_line;

pub struct ByteProgress {
    label: String,
    total: Option<u64>,
    tty: bool,
    quiet: bool,
    state: Mutex<State>,
}

struct State {
    started: Instant,
    last_draw: Option<Instant>,
    last_decile: u64,
    done: u64,
}

/// Bytes as `12.3MB`.
pub fn human(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n}B")
    } else {
        format!("{v:.1}{}", units[i])
    }
}

impl ByteProgress {
    pub fn new(label: &str, total: Option<u64>, tty: bool, quiet: bool) -> ByteProgress {
        ByteProgress {
            label: label.to_string(),
            total: total.filter(|t| *t > 0),
            tty,
            quiet,
            state: Mutex::new(State {
                started: Instant::now(),
                last_draw: None,
                last_decile: 0,
                done: 0,
            }),
        }
    }

    fn line(&self, st: &State) -> String {
        let secs = st.started.elapsed().as_secs_f64().max(0.001);
        let rate = human((st.done as f64 / secs) as u64);
        match self.total {
            Some(t) => format!(
                "{} {} / {} ({:.0}%) {rate}/s",
                self.label,
                human(st.done),
                human(t),
                st.done as f64 * 100.0 / t as f64
            ),
            None => format!("{} {} {rate}/s", self.label, human(st.done)),
        }
    }

    /// `done` bytes so far.
    pub fn set(&self, done: u64) {
        if self.quiet {
            return;
        }
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.done = done;
        let now = Instant::now();
        if self.tty {
            if st
                .last_draw
                .is_none_or(|l| now.duration_since(l) >= Duration::from_millis(100))
            {
                st.last_draw = Some(now);
                let _ = write!(std::io::stderr(), "{}{}", clear_line(), self.line(&st));
            }
        } else {
            let decile = self.total.map(|t| done * 10 / t).unwrap_or(0);
            let due = match self.total {
                Some(_) => decile > st.last_decile,
                None => st
                    .last_draw
                    .is_none_or(|l| now.duration_since(l) >= Duration::from_secs(5)),
            } || st
                .last_draw
                .is_some_and(|l| now.duration_since(l) >= Duration::from_secs(5));
            if due {
                st.last_decile = decile;
                st.last_draw = Some(now);
                let _ = writeln!(std::io::stderr(), "{}", self.line(&st));
            }
        }
    }

    /// The final line, with the elapsed time.
    pub fn finish(&self) {
        if self.quiet {
            return;
        }
        let Ok(st) = self.state.lock() else {
            return;
        };
        let line = format!(
            "{} in {:.1}s",
            self.line(&st),
            st.started.elapsed().as_secs_f64()
        );
        if self.tty {
            let _ = writeln!(std::io::stderr(), "{}{line}", clear_line());
        } else {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}
