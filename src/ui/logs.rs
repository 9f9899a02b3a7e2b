//! The log multiplexer: the logs of several containers as one stream of lines, each with an
//! aligned prefix coloured per service, merged in timestamp order. With `follow`, it keeps
//! following across restarts, recreations and scale-ups by watching the project's events.
//!
//! Lines are bytes: what a container writes reaches stdout unchanged (no UTF-8 decoding).
//! A closed stdout (`berth logs | head`) ends the multiplexer quietly.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::{BufWriter, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{mpsc, Notify};

use berth_engine::clock::{format_unix, parse_unix};
use berth_engine::io::LogRequest;
use berth_engine::labels as L;
use berth_engine::{ComposeLabels, Engine, EngineError, Event, EventKind};

use crate::ui::terminal::paint;

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

/// A log line: its engine timestamp (RFC 3339, nanoseconds), source and bytes (with `\n`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub ts: String,
    pub seq: u64,
    pub name: Arc<str>,
    pub service: Arc<str>,
    pub bytes: Vec<u8>,
    /// A message of berth's (`web-1 exited with code 0`), printed without a prefix.
    pub note: bool,
}

/// Is `s` a Docker log timestamp (`2024-01-02T03:04:05.123456789Z`)?
fn is_ts(s: &[u8]) -> bool {
    s.len() >= 20
        && s[4] == b'-'
        && s[7] == b'-'
        && s[10] == b'T'
        && s[13] == b':'
        && s[16] == b':'
        && s[..4].iter().all(u8::is_ascii_digit)
        && (s.ends_with(b"Z") || s.contains(&b'+'))
}

/// Pads the fraction to nanoseconds so that timestamps compare as strings.
pub fn normalize_ts(ts: &str) -> String {
    let body = ts.trim_end_matches('Z');
    let (main, frac) = body.split_once('.').unwrap_or((body, ""));
    format!("{main}.{frac:0<9}Z")
}

/// Joins a container's timestamped chunks into whole lines.
#[derive(Default)]
pub struct Assembler {
    pending: Vec<u8>,
    pending_ts: String,
}

impl Assembler {
    /// Feeds one chunk (`<ts> <bytes>`); returns the lines it completes, with their timestamps.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut data = chunk;
        let mut ts = None;
        if let Some(sp) = data.iter().take(40).position(|b| *b == b' ') {
            if is_ts(&data[..sp]) {
                ts = Some(normalize_ts(&String::from_utf8_lossy(&data[..sp])));
                data = &data[sp + 1..];
            }
        }
        let mut out = Vec::new();
        for piece in data.split_inclusive(|b| *b == b'\n') {
            if self.pending.is_empty() {
                self.pending_ts = ts.clone().unwrap_or_else(|| self.pending_ts.clone());
            }
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                out.push((self.pending_ts.clone(), std::mem::take(&mut self.pending)));
            }
        }
        out
    }
    /// The unfinished last line, if any.
    pub fn finish(&mut self) -> Option<(String, Vec<u8>)> {
        if self.pending.is_empty() {
            return None;
        }
        let mut l = std::mem::take(&mut self.pending);
        l.push(b'\n');
        Some((self.pending_ts.clone(), l))
    }
}

/// Writes prefixed lines to stdout; remembers a closed pipe.
pub struct Out {
    w: BufWriter<std::io::Stdout>,
    prefix: bool,
    color: bool,
    timestamps: bool,
    width: usize,
    colors: HashMap<String, u8>,
    pub closed: bool,
}

impl Out {
    pub fn new(prefix: bool, color: bool, timestamps: bool) -> Out {
        Out {
            w: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            prefix,
            color,
            timestamps,
            width: 0,
            colors: HashMap::new(),
            closed: false,
        }
    }
    /// Makes room for a name in the prefix column and gives its service a colour.
    pub fn register(&mut self, name: &str, service: &str) {
        self.width = self.width.max(name.chars().count());
        let n = self.colors.len();
        self.colors
            .entry(service.to_string())
            .or_insert(COLORS[n % COLORS.len()]);
    }
    /// Writes one line; false once stdout is closed.
    pub fn line(&mut self, l: &Line) -> bool {
        if self.closed {
            return false;
        }
        if l.note {
            if self.w.write_all(&l.bytes).is_err() {
                self.closed = true;
            }
            return !self.closed;
        }
        if self.prefix {
            self.register(&l.name, &l.service);
        }
        let mut head = String::new();
        if self.prefix {
            let pad = format!("{:<w$} |", &*l.name, w = self.width + 1);
            match (self.color, self.colors.get(&*l.service)) {
                (true, Some(c)) => {
                    head.push_str(&paint(&pad, *c));
                    head.push(' ');
                }
                _ => {
                    head.push_str(&pad);
                    head.push(' ');
                }
            }
        }
        if self.timestamps && !l.ts.is_empty() {
            head.push_str(&l.ts);
            head.push(' ');
        }
        let r = self
            .w
            .write_all(head.as_bytes())
            .and_then(|_| self.w.write_all(&l.bytes));
        if r.is_err() {
            self.closed = true;
        }
        !self.closed
    }
    /// Writes a plain message (not a log line).
    pub fn note(&mut self, text: &str) -> bool {
        if self.w.write_all(text.as_bytes()).is_err() {
            self.closed = true;
        }
        self.flush()
    }
    pub fn flush(&mut self) -> bool {
        if !self.closed && self.w.flush().is_err() {
            self.closed = true;
        }
        !self.closed
    }
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

fn unix_of_ts(ts: &str) -> i32 {
    parse_unix(ts)
        .map(|v| v.clamp(0, i32::MAX as i64) as i32)
        .unwrap_or(0)
}

/// Reads a container's log (not following) into lines.
async fn history(
    engine: &Engine,
    src: &Source,
    req: &LogRequest,
    seq: &mut u64,
) -> Result<Vec<Line>, EngineError> {
    let mut s = engine.logs(&src.id, req);
    let mut asm = Assembler::default();
    let mut out = Vec::new();
    let name: Arc<str> = src.name.as_str().into();
    let service: Arc<str> = src.service.as_str().into();
    let mut push = |(ts, bytes): (String, Vec<u8>), out: &mut Vec<Line>| {
        *seq += 1;
        out.push(Line {
            ts,
            seq: *seq,
            name: name.clone(),
            service: service.clone(),
            bytes,
            note: false,
        });
    };
    while let Some(c) = s.next().await {
        match c {
            Ok(c) => {
                for l in asm.push(c.bytes()) {
                    push(l, &mut out);
                }
            }
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e),
        }
    }
    if let Some(l) = asm.finish() {
        push(l, &mut out);
    }
    Ok(out)
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
    multiplex(engine, sources, opts, None).await.map(|_| ())
}

/// `up` without `-d`: follows `sources` (and the project's new containers of `opts.services`)
/// as [`Attached`] says.
pub async fn attached(
    engine: &Engine,
    sources: Vec<Source>,
    opts: &Options,
    attached: Attached,
) -> Result<End, EngineError> {
    multiplex(engine, sources, opts, Some(attached)).await
}

/// What `multiplex` holds back briefly before printing: lines, and (attached) exits with the
/// note that shows them, released in timestamp order once they have waited their time.
#[derive(Default)]
struct Hold {
    order: BinaryHeap<Reverse<(String, u64, Instant)>>,
    lines: HashMap<u64, Line>,
    exits: HashMap<u64, Exit>,
}

impl Hold {
    fn line(&mut self, l: Line, arrived: Instant) {
        self.order.push(Reverse((l.ts.clone(), l.seq, arrived)));
        self.lines.insert(l.seq, l);
    }

    /// `web-1 exited with code 0` at `ts`, and the exit handed on once it is printed.
    fn exit(&mut self, ts: String, seq: u64, ex: Exit, arrived: Instant) {
        self.line(
            Line {
                ts,
                seq,
                name: ex.name.as_str().into(),
                service: ex.service.as_str().into(),
                bytes: format!("{} exited with code {}\n", ex.name, ex.code).into_bytes(),
                note: true,
            },
            arrived,
        );
        self.exits.insert(seq, ex);
    }

    /// The next line (and exit) that has waited `hold`, if any.
    fn due(&mut self, hold: Duration) -> Option<(Option<Line>, Option<Exit>)> {
        let Reverse((_, seq, at)) = self.order.peek()?;
        if at.elapsed() < hold {
            return None;
        }
        let seq = *seq;
        self.order.pop();
        Some((self.lines.remove(&seq), self.exits.remove(&seq)))
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Is the container running, or about to be started again by its restart policy?
async fn alive(engine: &Engine, id: &str) -> bool {
    match engine.inspect_container(id).await {
        Ok(i) => i.state.running || i.state.restarting,
        Err(_) => false,
    }
}

async fn multiplex(
    engine: &Engine,
    sources: Vec<Source>,
    opts: &Options,
    attached: Option<Attached>,
) -> Result<End, EngineError> {
    let mut out = Out::new(opts.prefix, opts.color, opts.timestamps);
    for s in &sources {
        out.register(&s.name, &s.service);
    }
    // Subscribe before reading the past, so that no start is missed in between. Attached,
    // the events since `up` began are replayed first: an exit before this point is shown too.
    let (attached, events) = match attached {
        Some(a) => (
            Some((a.exits, a.keep_going, a.began_ns)),
            opts.follow.then_some(a.events),
        ),
        None => (None, opts.follow.then(|| subscribe(engine, &opts.project))),
    };
    // Where following takes up a container whose past showed no line: the lower bound asked
    // for (a line logged since the past was read is new), or, with `--tail 0`, the engine's
    // now (its clock: a drifting one must not hide or repeat lines).
    let follow_from: Option<String> = if opts.follow && opts.tail.trim() == "0" {
        let offset = engine.clock_offset().await;
        Some(engine.log_moment(shift(std::time::SystemTime::now(), offset)))
    } else if let Some(from) = &opts.from_ts {
        Some(from.clone())
    } else {
        (opts.since > 0).then(|| format_unix(opts.since as i64, 0))
    };
    let req = LogRequest {
        follow: false,
        timestamps: true,
        since: opts.since,
        until: opts.until,
        tail: if opts.tail.is_empty() {
            "all".into()
        } else {
            opts.tail.clone()
        },
    };
    let mut seq = 0u64;
    let jobs = sources.iter().map(|s| {
        let req = req.clone();
        async move {
            let mut local = 0u64;
            history(engine, s, &req, &mut local).await
        }
    });
    let results = futures_util::future::join_all(jobs).await;
    let mut all: Vec<Line> = Vec::new();
    let mut last: HashMap<String, Mark> = HashMap::new();
    for (s, r) in sources.iter().zip(results) {
        let mut lines = r?;
        for l in lines.iter_mut() {
            seq += 1;
            l.seq = seq;
        }
        let mut mark = follow_from.clone().map(|ts| Mark { ts, at_ts: 0 });
        for l in &lines {
            match mark.as_mut() {
                Some(m) => m.saw(&l.ts),
                None => {
                    mark = Some(Mark {
                        ts: l.ts.clone(),
                        at_ts: 1,
                    })
                }
            }
        }
        if let Some(mark) = mark {
            last.insert(s.id.clone(), mark);
        }
        all.extend(lines);
    }
    // Each container's lines are in order; a stable sort by timestamp merges them.
    all.sort_by(|a, b| a.ts.cmp(&b.ts));
    if let Some(from) = &opts.from_ts {
        // `since` is whole seconds: drop what came before the exact moment.
        all.retain(|l| l.ts.as_str() >= from.as_str());
    }
    // Attached, the past goes through the same ordering as what follows: the replayed exits
    // take their places among these lines.
    let backlog = if attached.is_some() {
        all
    } else {
        for l in &all {
            if !out.line(l) {
                return Ok(End::Closed);
            }
        }
        if !out.flush() {
            return Ok(End::Closed);
        }
        Vec::new()
    };
    let Some(mut events) = events else {
        return Ok(End::Shown);
    };
    let mut events_open = true;

    // Following: one task per container, re-following after each restart.
    let (tx, mut rx) = mpsc::unbounded_channel::<Line>();
    let last = Arc::new(Mutex::new(last));
    let mut wakers: HashMap<String, Arc<Notify>> = HashMap::new();
    let mut followed: HashMap<String, Source> = HashMap::new();
    // Attached: the followed containers that run or will restart.
    let mut running: std::collections::HashSet<String> = std::collections::HashSet::new();
    // Attached and nothing left running: when to look once more before ending (a container
    // being recreated is gone for a moment before its successor starts).
    let mut quiet_since: Option<Instant> = None;
    // Attached: the containers whose exit was shown and that have not started since.
    let mut died: std::collections::HashSet<String> = std::collections::HashSet::new();
    let seq = Arc::new(std::sync::atomic::AtomicU64::new(seq));
    let spawn = |src: Source,
                 wakers: &mut HashMap<String, Arc<Notify>>,
                 followed: &mut HashMap<String, Source>| {
        let notify = Arc::new(Notify::new());
        wakers.insert(src.id.clone(), notify.clone());
        followed.insert(src.id.clone(), src.clone());
        let engine = engine.clone();
        let tx = tx.clone();
        let last = last.clone();
        let seq = seq.clone();
        let until = opts.until;
        tokio::spawn(follow_container(engine, src, until, tx, last, seq, notify))
    };
    // Lines are held back briefly and released in timestamp order.
    let hold = Duration::from_millis(150);
    let mut held = Hold::default();
    let arrived = Instant::now();
    for l in backlog {
        held.line(l, arrived);
    }
    for s in sources {
        if attached.is_some() && alive(engine, &s.id).await {
            running.insert(s.id.clone());
        }
        spawn(s, &mut wakers, &mut followed);
    }
    if attached.is_some() && running.is_empty() {
        quiet_since = Some(Instant::now());
    }
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    // Attached: now and then, what `running` says is checked against the engine, so that a
    // missed or reordered event cannot keep `up` waiting for a container long gone.
    let mut rechecked = Instant::now();
    let ctrl_c = async {
        if attached.is_some() {
            std::future::pending::<()>().await;
        }
        let _ = tokio::signal::ctrl_c().await;
    };
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            l = rx.recv() => {
                if let Some(l) = l {
                    held.line(l, Instant::now());
                }
            }
            _ = tick.tick() => {
                let now = Instant::now();
                let mut wrote = false;
                while let Some((line, exit)) = held.due(hold) {
                    if let Some(l) = line {
                        if !out.line(&l) {
                            return Ok(End::Closed);
                        }
                        wrote = true;
                    }
                    // An exit reaches the caller once the lines before it are out.
                    if let (Some((exits, _, _)), Some(ex)) = (&attached, exit) {
                        if !out.flush() {
                            return Ok(End::Closed);
                        }
                        let _ = exits.send(ex);
                    }
                }
                if wrote && !out.flush() {
                    return Ok(End::Closed);
                }
                if attached.is_some()
                    && !running.is_empty()
                    && rechecked.elapsed() > Duration::from_secs(2)
                {
                    rechecked = Instant::now();
                    let ids: Vec<String> = running.iter().cloned().collect();
                    for id in ids {
                        if !alive(engine, &id).await {
                            running.remove(&id);
                        }
                    }
                    if running.is_empty() {
                        quiet_since = Some(Instant::now());
                    }
                }
                if let (Some((_, keep_going, _)), Some(t)) = (&attached, quiet_since) {
                    if running.is_empty() && held.is_empty() && rx.is_empty() && !keep_going
                        && now.duration_since(t) > Duration::from_millis(500)
                    {
                        // Nothing followed runs: anything new of the project that does?
                        let mut again = false;
                        for id in followed.keys() {
                            if alive(engine, id).await {
                                running.insert(id.clone());
                                again = true;
                            }
                        }
                        if !again {
                            out.flush();
                            return Ok(End::AllStopped);
                        }
                        quiet_since = None;
                    }
                }
            }
            ev = events.recv(), if events_open => {
                let Some(ev) = ev else {
                    // The event stream ended: keep the followers, stop looking for new ones.
                    events_open = false;
                    continue;
                };
                let Ok(ev) = ev else { continue };
                if let Some((_, _, began)) = &attached {
                    if ev.time_nano != 0 && (ev.time_nano as i128) < *began {
                        continue;
                    }
                }
                if ev.id.is_empty() {
                    continue;
                }
                let id = ev.id.clone();
                if let Some(w) = wakers.get(&id) {
                    w.notify_one();
                    // `oom` says the kernel killed a process, not that the container ended:
                    // its `die`, if it ends, follows.
                    let oom = ev.is_oom();
                    match (&attached, &ev.kind) {
                        (Some(_), EventKind::Die) if oom => {}
                        // A second `die` without a `start` between is the same exit told twice
                        // (seen on Podman under load).
                        (Some(_), EventKind::Die) if !died.insert(id.clone()) => {}
                        (Some(_), EventKind::Die) => {
                            let restarting = alive(engine, &id).await;
                            if !restarting {
                                running.remove(&id);
                                if running.is_empty() {
                                    quiet_since = Some(Instant::now());
                                }
                            }
                            let code: i64 = ev.exit_code().unwrap_or(-1);
                            let src = followed.get(&id).cloned();
                            let name = src.as_ref().map(|s| s.name.clone()).unwrap_or_default();
                            let service = src.map(|s| s.service).unwrap_or_default();
                            // In its place among the lines: the engine's time of the exit.
                            let n = ev.time_nano;
                            let ts = if n == 0 { now_ts() } else { format_unix(n.div_euclid(1_000_000_000), n.rem_euclid(1_000_000_000) as u32) };
                            let n = seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                            held.exit(ts, n, Exit { id: id.clone(), service, name, code, restarting }, Instant::now());
                        }
                        (Some(_), EventKind::Start) => {
                            died.remove(&id);
                            running.insert(id.clone());
                            quiet_since = None;
                        }
                        (Some(_), EventKind::Remove) => {
                            running.remove(&id);
                            if running.is_empty() && quiet_since.is_none() {
                                quiet_since = Some(Instant::now());
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
                if ev.kind != EventKind::Start {
                    continue;
                }
                let service = ev.service().to_string();
                let oneoff = ev.oneoff();
                let number: Option<u32> = ev.label(L::NUMBER).and_then(|n| n.parse().ok());
                if oneoff
                    || (!opts.services.is_empty() && !opts.services.contains(&service))
                    || (opts.index.is_some() && number != opts.index)
                {
                    continue;
                }
                let name = display_name(&opts.project, ev.attributes.get("name").map(String::as_str).unwrap_or(&id));
                out.register(&name, &service);
                if attached.is_some() {
                    running.insert(id.clone());
                    quiet_since = None;
                }
                spawn(Source { id, name, service }, &mut wakers, &mut followed);
            }
            _ = &mut ctrl_c => {
                out.flush();
                return Ok(End::Interrupted);
            }
        }
    }
}

/// How far a container's log has been shown: the newest timestamp, and how many lines with
/// exactly that timestamp (engines with whole-second timestamps give many lines the same).
#[derive(Clone, Debug)]
struct Mark {
    ts: String,
    at_ts: usize,
}

impl Mark {
    fn saw(&mut self, ts: &str) {
        if ts == self.ts {
            self.at_ts += 1;
        } else if ts > self.ts.as_str() {
            self.ts = ts.to_string();
            self.at_ts = 1;
        }
    }
}

/// Follows one container: its log from the last line shown, again after each restart,
/// until the container is removed.
async fn follow_container(
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
        while let Some(c) = s.next().await {
            let Ok(c) = c else { break };
            for l in asm.push(c.bytes()) {
                if !send(l) {
                    return;
                }
            }
        }
        if let Some(l) = asm.finish() {
            send(l);
        }
        if let (Some(n), Ok(mut m)) = (newest, last.lock()) {
            m.insert(src.id.clone(), n);
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

/// Lines of several sources merged by timestamp (stable: equal stamps keep their order).
pub fn merge(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| a.ts.cmp(&b.ts));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_lines_across_chunks_and_strips_timestamps() {
        let mut a = Assembler::default();
        assert!(a.push(b"2024-01-02T03:04:05.1Z hel").is_empty());
        let l = a.push(b"lo\nwor");
        assert_eq!(
            l,
            vec![("2024-01-02T03:04:05.100000000Z".into(), b"hello\n".to_vec())]
        );
        let l = a.push(b"2024-01-02T03:04:06.000000001Z \xffld\n");
        assert_eq!(l[0].1, b"wor\xffld\n".to_vec());
        assert!(a.finish().is_none());
    }

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
