//! Following one container's log across its restarts: after each run's stream ends, the
//! follower waits for the next run (or one that came and went meanwhile) and reads on from
//! where it was.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, Notify};

use berth_engine::clock::parse_unix;
use berth_engine::io::LogRequest;
use berth_engine::Engine;

use super::line::{Assembler, Line};
use super::Source;

/// How far a container's log has been shown: the newest timestamp, and how many lines with
/// exactly that timestamp (engines with whole-second timestamps give many lines the same).
#[derive(Clone, Debug)]
pub(super) struct Mark {
    pub(super) ts: String,
    pub(super) at_ts: usize,
}

impl Mark {
    pub(super) fn saw(&mut self, ts: &str) {
        if ts == self.ts {
            self.at_ts += 1;
        } else if ts > self.ts.as_str() {
            self.ts = ts.to_string();
            self.at_ts = 1;
        }
    }
}

fn unix_of_ts(ts: &str) -> i32 {
    parse_unix(ts)
        .map(|v| v.clamp(0, i32::MAX as i64) as i32)
        .unwrap_or(0)
}

/// Follows one container: its log from the last line shown, again after each restart,
/// until the container is removed.
pub(super) async fn follow_container(
    engine: Engine,
    src: Source,
    until: i32,
    tx: mpsc::UnboundedSender<Line>,
    last: Arc<Mutex<HashMap<String, Mark>>>,
    seq: Arc<std::sync::atomic::AtomicU64>,
    notify: Arc<Notify>,
) {
    let name: Arc<str> = src.name.as_str().into();
    let service: Arc<str> = src.service.as_str().into();
    // Which run of the container was last read: its start time and restart count. A run can
    // begin and end while this follower waits (a restart policy's quick retries): a new
    // identity means there are lines to read even though the container no longer runs.
    let mut read_run = match engine.inspect_container(&src.id).await {
        Ok(i) => Some(i.run_mark()),
        Err(e) if e.is_not_found() => return,
        Err(_) => None,
    };
    loop {
        let after = last.lock().ok().and_then(|m| m.get(&src.id).cloned());
        let req = LogRequest {
            follow: true,
            timestamps: true,
            since: after.as_ref().map(|a| unix_of_ts(&a.ts)).unwrap_or(0),
            until,
            tail: "all".into(),
        };
        let mut s = engine.logs(&src.id, &req);
        let mut asm = Assembler::default();
        let mut newest = after.clone();
        // Lines stamped exactly `after.ts` that were already shown, to skip again.
        let mut to_skip = after.as_ref().map(|a| a.at_ts).unwrap_or(0);
        let mut send = |(ts, bytes): (String, Vec<u8>)| -> bool {
            if let Some(a) = &after {
                if ts.as_str() < a.ts.as_str() {
                    return true;
                }
                if ts == a.ts && to_skip > 0 {
                    to_skip -= 1;
                    return true;
                }
            }
            match newest.as_mut() {
                Some(m) => m.saw(&ts),
                None => {
                    newest = Some(Mark {
                        ts: ts.clone(),
                        at_ts: 1,
                    })
                }
            }
            let seq = seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            tx.send(Line {
                ts,
                seq,
                name: name.clone(),
                service: service.clone(),
                bytes,
                note: false,
            })
            .is_ok()
        };
        // The stream ends when the run ends. Podman's can also run on into the next run, or
        // stall across a restart: an event of the container (its wake) that shows another run
        // is read from the mark afresh (what was shown is skipped by the mark).
        let next_run = loop {
            tokio::select! {
                c = s.next() => match c {
                    Some(Ok(c)) => {
                        for l in asm.push(c.bytes()) {
                            if !send(l) {
                                return;
                            }
                        }
                    }
                    _ => break None,
                },
                _ = notify.notified() => {
                    if let Ok(i) = engine.inspect_container(&src.id).await {
                        let run = Some(i.run_mark());
                        if run != read_run {
                            break Some(run);
                        }
                    }
                }
            }
        };
        // A line cut off by a switch to the next run is read whole from the mark; one cut off
        // by the end of the log is shown as it is.
        if next_run.is_none() {
            if let Some(l) = asm.finish() {
                send(l);
            }
        }
        if let (Some(n), Ok(mut m)) = (newest, last.lock()) {
            m.insert(src.id.clone(), n);
        }
        if let Some(run) = next_run {
            read_run = run;
            continue;
        }
        // The stream ends when the container stops: wait for it to run again, or for a run
        // that came and went meanwhile (read from the mark: the stream then ends at once).
        loop {
            let notified = notify.notified();
            match engine.inspect_container(&src.id).await {
                Err(e) if e.is_not_found() => return,
                Ok(i) => {
                    let run = Some(i.run_mark());
                    let running = i.state.running;
                    if running || run != read_run {
                        read_run = run;
                        break;
                    }
                }
                Err(_) => {}
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), notified).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_counts_the_lines_of_its_timestamp() {
        // Whole-second stamps (Podman 4.3): three lines share one; a restart's line in the
        // same second must still count as new once those three are skipped.
        let mut m = Mark {
            ts: "2026-01-01T00:00:00.000000000Z".into(),
            at_ts: 0,
        };
        for _ in 0..3 {
            m.saw("2026-01-01T00:00:05.000000000Z");
        }
        assert_eq!(
            (m.ts.as_str(), m.at_ts),
            ("2026-01-01T00:00:05.000000000Z", 3)
        );
        m.saw("2026-01-01T00:00:04.000000000Z"); // older: ignored
        assert_eq!(m.at_ts, 3);
        m.saw("2026-01-01T00:00:06.000000000Z");
        assert_eq!(
            (m.ts.as_str(), m.at_ts),
            ("2026-01-01T00:00:06.000000000Z", 1)
        );
    }
}
