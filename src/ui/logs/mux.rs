//! The multiplexer: the past of every container, then (following) their new lines as they
//! come, held back a moment and released in timestamp order; new containers of the project
//! (restarts, recreations, scale-ups) are followed as their events announce them. Attached
//! (`up` without `-d`), each exit is printed in its place and handed to the caller, and it ends
//! once nothing followed runs or will restart.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Notify};

use berth_engine::clock::format_unix;
use berth_engine::labels as L;
use berth_engine::{ComposeLabels, Engine, EngineError, Event, EventKind};

use super::follow::{follow_container, Mark};
use super::line::Line;
use super::out::Out;
use super::{display_name, now_ts, past, subscribe, Attached, End, Exit, Options, Source};

/// How long a line is held back, so that lines of several containers come out in order.
const HOLD: Duration = Duration::from_millis(150);

/// What the multiplexer holds back briefly before printing: lines, and (attached) exits with the
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

/// Shows the past of `sources`, then with `opts.follow` follows them and the project's new
/// containers until stdout closes, Ctrl-C (not attached), or (attached) nothing runs.
pub(super) async fn multiplex(
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
        Some(a) => {
            let events = opts.follow.then_some(a.events);
            (Some((a.exits, a.keep_going, a.began_ns)), events)
        }
        None => (None, opts.follow.then(|| subscribe(engine, &opts.project))),
    };
    let (past, marks, seq) = past::read(engine, &sources, opts).await?;
    // Attached, the past goes through the same ordering as what follows: the replayed exits
    // take their places among these lines.
    let backlog = if attached.is_some() {
        past
    } else {
        for l in &past {
            if !out.line(l) {
                return Ok(End::Closed);
            }
        }
        if !out.flush() {
            return Ok(End::Closed);
        }
        Vec::new()
    };
    let Some(events) = events else {
        return Ok(End::Shown);
    };
    let attached = attached.map(|(exits, keep_going, began_ns)| Attach {
        exits,
        keep_going,
        began_ns,
        running: HashSet::new(),
        quiet_since: None,
        died: HashSet::new(),
        rechecked: Instant::now(),
    });
    let (tx, rx) = mpsc::unbounded_channel::<Line>();
    let mut mux = Mux {
        engine,
        opts,
        out,
        held: Hold::default(),
        tx,
        marks: Arc::new(Mutex::new(marks)),
        seq: Arc::new(AtomicU64::new(seq)),
        wakers: HashMap::new(),
        followed: HashMap::new(),
        attached,
        seen: HashSet::new(),
    };
    mux.start(backlog, sources).await;
    mux.run(rx, events).await
}

/// Attached mode's state.
struct Attach {
    exits: mpsc::UnboundedSender<Exit>,
    keep_going: bool,
    /// When `up` began (engine clock, ns): older events are not of this run.
    began_ns: i128,
    /// The followed containers that run or will restart.
    running: HashSet<String>,
    /// Nothing left running since: when to look once more before ending (a container being
    /// recreated is gone for a moment before its successor starts).
    quiet_since: Option<Instant>,
    /// The containers whose exit was shown and that have not started since.
    died: HashSet<String>,
    /// When `running` was last checked against the engine.
    rechecked: Instant,
}

impl Attach {
    fn stopped(&mut self, id: &str) {
        self.running.remove(id);
        if self.running.is_empty() && self.quiet_since.is_none() {
            self.quiet_since = Some(Instant::now());
        }
    }

    fn started(&mut self, id: &str) {
        self.died.remove(id);
        self.running.insert(id.to_string());
        self.quiet_since = None;
    }
}

/// The multiplexer while following.
struct Mux<'a> {
    engine: &'a Engine,
    opts: &'a Options,
    out: Out,
    held: Hold,
    /// Where the followers send their lines.
    tx: mpsc::UnboundedSender<Line>,
    /// How far each container's log has been shown.
    marks: Arc<Mutex<HashMap<String, Mark>>>,
    seq: Arc<AtomicU64>,
    /// Pinged on each of a followed container's events, so that its follower looks again.
    wakers: HashMap<String, Arc<Notify>>,
    followed: HashMap<String, Source>,
    attached: Option<Attach>,
    /// The starts and exits seen (container, action, engine time): one the engine tells twice
    /// is heard once (an exit shown twice was seen once on Podman 4.3 under load; whether a
    /// repeated event was the cause is not confirmed).
    seen: HashSet<(String, String, i64)>,
}

impl Mux<'_> {
    /// Queues the backlog and starts a follower per source.
    async fn start(&mut self, backlog: Vec<Line>, sources: Vec<Source>) {
        let arrived = Instant::now();
        for l in backlog {
            self.held.line(l, arrived);
        }
        for s in sources {
            if self.attached.is_some() && alive(self.engine, &s.id).await {
                if let Some(a) = self.attached.as_mut() {
                    a.running.insert(s.id.clone());
                }
            }
            self.follow(s);
        }
        if let Some(a) = self.attached.as_mut() {
            if a.running.is_empty() {
                a.quiet_since = Some(Instant::now());
            }
        }
    }

    /// Follows one more container, from its mark, across its restarts.
    fn follow(&mut self, src: Source) {
        let notify = Arc::new(Notify::new());
        self.wakers.insert(src.id.clone(), notify.clone());
        self.followed.insert(src.id.clone(), src.clone());
        tokio::spawn(follow_container(
            self.engine.clone(),
            src,
            self.opts.until,
            self.tx.clone(),
            self.marks.clone(),
            self.seq.clone(),
            notify,
        ));
    }

    async fn run(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<Line>,
        mut events: super::ProjectEvents,
    ) -> Result<End, EngineError> {
        let mut events_open = true;
        // Since when the engine has not answered (its event stream ended), and when it was
        // last asked again.
        let mut engine_gone: Option<Instant> = None;
        let mut asked = Instant::now();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        let attached = self.attached.is_some();
        let ctrl_c = async {
            if attached {
                std::future::pending::<()>().await;
            }
            let _ = tokio::signal::ctrl_c().await;
        };
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                l = rx.recv() => {
                    if let Some(l) = l {
                        self.held.line(l, Instant::now());
                    }
                }
                _ = tick.tick() => {
                    if let Some(end) = self.on_tick(rx.is_empty()).await {
                        return Ok(end);
                    }
                    if engine_gone.is_some() && asked.elapsed() >= Duration::from_secs(1) {
                        asked = Instant::now();
                        if self.engine_answers().await {
                            engine_gone = None;
                            events = super::subscribe(self.engine, &self.opts.project);
                            events_open = true;
                            self.out.flush();
                            eprintln!("berth: the engine answers again: following the logs");
                            for w in self.wakers.values() {
                                w.notify_one();
                            }
                        }
                    }
                }
                ev = events.recv(), if events_open => match ev {
                    Some(Ok(ev)) => self.on_event(ev).await,
                    Some(Err(e)) if !e.is_unreachable() => {}
                    // The event stream ended or lost the engine: say so once, keep the
                    // followers, and ask every second until the engine answers again.
                    None | Some(Err(_)) => {
                        events_open = false;
                        if engine_gone.is_none() && !self.engine_answers().await {
                            engine_gone = Some(Instant::now());
                            asked = Instant::now();
                            self.out.flush();
                            eprintln!(
                                "berth: the engine at {} stopped answering; the logs go on when it answers again (Ctrl-C to stop)",
                                self.engine.host()
                            );
                        }
                    }
                },
                _ = &mut ctrl_c => {
                    self.out.flush();
                    return Ok(End::Interrupted);
                }
            }
        }
    }

    /// Whether the engine answers a quick question (within its deadline).
    async fn engine_answers(&self) -> bool {
        self.engine
            .list_containers(&[L::project_filter(&self.opts.project)])
            .await
            .is_ok()
    }

    /// Writes what has waited its time (an exit reaches the caller once the lines before it
    /// are out); attached, checks whether anything still runs.
    async fn on_tick(&mut self, nothing_queued: bool) -> Option<End> {
        let mut wrote = false;
        while let Some((line, exit)) = self.held.due(HOLD) {
            if let Some(l) = line {
                if !self.out.line(&l) {
                    return Some(End::Closed);
                }
                wrote = true;
            }
            if let (Some(a), Some(ex)) = (&self.attached, exit) {
                if !self.out.flush() {
                    return Some(End::Closed);
                }
                let _ = a.exits.send(ex);
            }
        }
        if wrote && !self.out.flush() {
            return Some(End::Closed);
        }
        self.recheck().await;
        self.all_stopped(nothing_queued).await
    }

    /// Attached: now and then, what `running` says is checked against the engine, so that a
    /// missed or reordered event cannot keep `up` waiting for a container long gone.
    async fn recheck(&mut self) {
        let engine = self.engine;
        let Some(a) = self.attached.as_mut() else {
            return;
        };
        if a.running.is_empty() || a.rechecked.elapsed() <= Duration::from_secs(2) {
            return;
        }
        a.rechecked = Instant::now();
        let ids: Vec<String> = a.running.iter().cloned().collect();
        for id in ids {
            if !alive(engine, &id).await {
                a.running.remove(&id);
            }
        }
        if a.running.is_empty() {
            a.quiet_since = Some(Instant::now());
        }
    }

    /// Attached and quiet for a moment: ends unless something followed runs again.
    async fn all_stopped(&mut self, nothing_queued: bool) -> Option<End> {
        let engine = self.engine;
        let held_empty = self.held.is_empty();
        let a = self.attached.as_mut()?;
        let t = a.quiet_since?;
        if !a.running.is_empty()
            || !held_empty
            || !nothing_queued
            || a.keep_going
            || t.elapsed() <= Duration::from_millis(500)
        {
            return None;
        }
        // Nothing followed runs: anything new of the project that does?
        let mut again = false;
        for id in self.followed.keys() {
            if alive(engine, id).await {
                a.running.insert(id.clone());
                again = true;
            }
        }
        if !again {
            self.out.flush();
            return Some(End::AllStopped);
        }
        a.quiet_since = None;
        None
    }

    /// A project event: wakes a followed container's follower (attached, an exit is shown in
    /// its place), or starts following a new container of the selected services.
    async fn on_event(&mut self, ev: Event) {
        if matches!(ev.kind, EventKind::Start | EventKind::Die)
            && ev.time_nano != 0
            && !self
                .seen
                .insert((ev.id.clone(), ev.action.clone(), ev.time_nano))
        {
            return;
        }
        if let Some(a) = &self.attached {
            if ev.time_nano != 0 && (ev.time_nano as i128) < a.began_ns {
                return;
            }
        }
        if ev.id.is_empty() {
            return;
        }
        if let Some(w) = self.wakers.get(&ev.id) {
            w.notify_one();
            if self.attached.is_some() {
                self.attached_event(ev).await;
            }
            return;
        }
        if ev.kind != EventKind::Start {
            return;
        }
        let service = ev.service().to_string();
        let number: Option<u32> = ev.label(L::NUMBER).and_then(|n| n.parse().ok());
        let opts = self.opts;
        if ev.oneoff()
            || (!opts.services.is_empty() && !opts.services.contains(&service))
            || (opts.index.is_some() && number != opts.index)
        {
            return;
        }
        let shown = ev
            .attributes
            .get("name")
            .map(String::as_str)
            .unwrap_or(&ev.id);
        let name = display_name(&opts.project, shown);
        self.out.register(&name, &service);
        if let Some(a) = self.attached.as_mut() {
            a.started(&ev.id);
        }
        self.follow(Source {
            id: ev.id,
            name,
            service,
        });
    }

    /// Attached: what a followed container's event means for the exits shown and for ending.
    async fn attached_event(&mut self, ev: Event) {
        let engine = self.engine;
        let id = ev.id.clone();
        let Some(a) = self.attached.as_mut() else {
            return;
        };
        match ev.kind {
            // `oom` says the kernel killed a process, not that the container ended: its
            // `die`, if it ends, follows.
            EventKind::Die if ev.is_oom() => {}
            // A second `die` without a `start` between is the same exit told twice (seen on
            // Podman under load).
            EventKind::Die if !a.died.insert(id.clone()) => {}
            EventKind::Die => {
                let restarting = alive(engine, &id).await;
                if !restarting {
                    a.running.remove(&id);
                    if a.running.is_empty() {
                        a.quiet_since = Some(Instant::now());
                    }
                }
                let src = self.followed.get(&id).cloned();
                let name = src.as_ref().map(|s| s.name.clone()).unwrap_or_default();
                let service = src.map(|s| s.service).unwrap_or_default();
                // In its place among the lines: the engine's time of the exit.
                let n = ev.time_nano;
                let ts = if n == 0 {
                    now_ts()
                } else {
                    format_unix(
                        n.div_euclid(1_000_000_000),
                        n.rem_euclid(1_000_000_000) as u32,
                    )
                };
                let seq = self.seq.fetch_add(1, Ordering::SeqCst) + 1;
                let code = ev.exit_code().unwrap_or(-1);
                let exit = Exit {
                    id,
                    service,
                    name,
                    code,
                    restarting,
                };
                self.held.exit(ts, seq, exit, Instant::now());
            }
            EventKind::Start => a.started(&id),
            EventKind::Remove => a.stopped(&id),
            _ => {}
        }
    }
}
