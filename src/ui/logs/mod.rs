//! The log multiplexer: the logs of several containers as one stream of lines, each with an
//! aligned prefix coloured per service, merged in timestamp order. With `follow`, it keeps
//! following across restarts, recreations and scale-ups by watching the project's events.
//!
//! Lines are bytes: what a container writes reaches stdout unchanged (no UTF-8 decoding).
//! A closed stdout (`berth logs | head`) ends the multiplexer quietly.

mod follow;
mod line;
mod mux;
mod out;
mod past;

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;

use berth_engine::clock::{format_unix, parse_unix};
use berth_engine::labels as L;
use berth_engine::{Engine, EngineError, Event};

/// One container to show.
#[derive(Clone, Debug)]
pub struct Source {
    pub id: String,
    /// The name shown in the prefix (`web-1`).
    pub name: String,
    pub service: String,
}

/// What to show and how.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub follow: bool,
    pub timestamps: bool,
    /// Unix seconds; 0 for no bound.
    pub since: i32,
    pub until: i32,
    /// "all" or a number of lines per container.
    pub tail: String,
    pub prefix: bool,
    pub color: bool,
    /// For following new containers: the project, the services (empty: all), the replica.
    pub project: String,
    pub services: Vec<String>,
    pub index: Option<u32>,
    /// Only lines from this timestamp on (`format_unix`'s form), finer than `since`.
    pub from_ts: Option<String>,
}

/// Prefix colours, as Compose v2 cycles them.
pub const COLORS: &[u8] = &[36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/// The name Compose v2 shows for a container: without the `<project>-` prefix.
pub fn display_name(project: &str, container: &str) -> String {
    container
        .trim_start_matches('/')
        .strip_prefix(&format!("{project}-"))
        .unwrap_or(container.trim_start_matches('/'))
        .to_string()
}

/// The current time as a Docker log timestamp.
pub fn now_ts() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_unix(d.as_secs() as i64, d.subsec_nanos())
}

/// `t` on a clock `offset` nanoseconds ahead.
pub fn shift(t: std::time::SystemTime, offset: Option<i128>) -> std::time::SystemTime {
    match offset {
        Some(o) if o >= 0 => t + Duration::from_nanos(o as u64),
        Some(o) => t - Duration::from_nanos(o.unsigned_abs() as u64),
        None => t,
    }
}

/// `--since`/`--until`: a duration before now (`10m`, `1h30m`), a timestamp, or Unix seconds.
pub fn parse_time_bound(s: &str) -> Result<i32, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let v = if let Ok(n) = s.parse::<f64>() {
        n as i64
    } else if let Ok(d) = berth_compose::syntax::parse_duration_nanos(s) {
        now - d / 1_000_000_000
    } else if let Some(t) = parse_unix(s) {
        t
    } else {
        return Err(format!(
            "invalid time {s:?}: use a duration (10m, 1h30m), a timestamp (2024-01-02T15:04:05Z) or Unix seconds"
        ));
    };
    Ok(v.clamp(0, i32::MAX as i64) as i32)
}

/// A followed container stopped (`up` without `-d` acts on these).
#[derive(Clone, Debug)]
pub struct Exit {
    pub id: String,
    pub service: String,
    pub name: String,
    pub code: i64,
    /// Its restart policy starts it again.
    pub restarting: bool,
}

/// How a following multiplexer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Not following: everything was shown.
    Shown,
    /// stdout was closed (`berth logs -f | head`).
    Closed,
    /// Ctrl-C (only `logs`: `up` handles its own).
    Interrupted,
    /// Attached: none of the followed containers runs or will restart.
    AllStopped,
}

/// The attached mode of `up`: each exit is printed (`web-1 exited with code 0`) in its place
/// among the lines and sent to `exits`; the multiplexer ends once nothing it follows runs or
/// restarts (unless `keep_going`, for `up --watch`), and leaves Ctrl-C to the caller.
pub struct Attached {
    pub exits: mpsc::UnboundedSender<Exit>,
    pub keep_going: bool,
    /// The project's events, subscribed to before `up` started anything ([`subscribe`]), so
    /// that an exit before the logs are followed is seen too (Docker replays only its last
    /// 256 events, Podman 4.3's replay cannot be relied on).
    pub events: ProjectEvents,
    /// When `up` began, on the engine's clock (ns): an event dated before is not of this run
    /// (Podman 4.3 has been seen to deliver earlier ones on a busy machine).
    pub began_ns: i128,
}

/// The project's container events, collected in the background from the moment of
/// [`subscribe`].
pub type ProjectEvents = mpsc::UnboundedReceiver<Result<Event, EngineError>>;

/// Subscribes to the project's container events now and collects them until the receiver is
/// dropped.
pub fn subscribe(engine: &Engine, project: &str) -> ProjectEvents {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut stream = Box::pin(engine.container_events(&[L::project_filter(project)]));
    tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            if tx.send(ev).is_err() {
                return;
            }
        }
    });
    rx
}

/// Shows the logs of `sources` (and, following, of the project's new containers).
pub async fn show(
    engine: &Engine,
    sources: Vec<Source>,
    opts: &Options,
) -> Result<(), EngineError> {
    mux::multiplex(engine, sources, opts, None)
        .await
        .map(|_| ())
}

/// `up` without `-d`: follows `sources` (and the project's new containers of `opts.services`)
/// as [`Attached`] says.
pub async fn attached(
    engine: &Engine,
    sources: Vec<Source>,
    opts: &Options,
    attached: Attached,
) -> Result<End, EngineError> {
    mux::multiplex(engine, sources, opts, Some(attached)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_and_clock_shifts() {
        assert!(parse_time_bound("10m").is_ok());
        assert!(parse_time_bound("yesterday").is_err());
        let t = std::time::UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(
            shift(t, Some(-2_500_000_000)),
            t - Duration::from_millis(2500)
        );
        assert_eq!(shift(t, Some(1)), t + Duration::from_nanos(1));
        assert_eq!(shift(t, None), t);
    }
}
