//! `up` without `-d`: the attached services' logs through the multiplexer (`ui::logs`), as
//! `berth logs -f` shows them (merged in time order, prefixed `web-1 | `), with each exit
//! printed in its place (`web-1 exited with code 0`). Unlike Compose v2, a container its
//! restart policy starts again, or one recreated meanwhile (`up --watch` rebuilds), goes on
//! being followed. It ends when nothing attached runs or will restart; Ctrl-C stops the
//! containers (a second Ctrl-C kills them) and exits 130, as Compose v2 does.

use std::collections::BTreeMap;

use tokio::sync::mpsc;

use berth_engine::{Engine, EngineError};

use crate::converge::down;
use crate::converge::report::{Reporter, Resource};
use crate::signals::Interrupts;
use crate::ui::logs::{self, Attached, Options, Source};
use crate::ui::progress::Progress;
use crate::ui::text::say;

pub struct FollowOptions {
    pub project: String,
    pub abort_on_exit: bool,
    pub exit_code_from: Option<String>,
    pub color: bool,
    pub no_prefix: bool,
    pub timestamps: bool,
    pub timeout: Option<i32>,
    /// When `up` began: what the containers wrote and did from then on is shown, not the
    /// older logs of containers it kept.
    pub since: std::time::SystemTime,
    /// `up --watch`: containers stopping do not end it (the next change may fix them).
    pub keep_going: bool,
    /// The project's events since before `up` started anything (`logs::subscribe`).
    pub events: logs::ProjectEvents,
}

/// Follows the logs of `attach`'s containers; returns the exit code berth should exit with.
pub async fn follow(
    engine: &Engine,
    containers: &BTreeMap<String, Vec<String>>,
    attach: &[String],
    opts: FollowOptions,
    progress: &Progress,
    interrupts: &mut Interrupts,
) -> Result<i32, EngineError> {
    let mut sources = Vec::new();
    for (svc, ids) in containers {
        if !attach.contains(svc) {
            continue;
        }
        for id in ids {
            let name = engine
                .inspect_container(id)
                .await
                .ok()
                .map(|i| i.name)
                .unwrap_or_else(|| id.clone());
            sources.push(Source {
                id: id.clone(),
                name: logs::display_name(&opts.project, &name),
                service: svc.clone(),
            });
        }
    }
    if sources.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    say(&format!("Attaching to {}", names.join(", ")));
    let began = opts
        .since
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let lopts = Options {
        follow: true,
        timestamps: opts.timestamps,
        since: began.as_secs() as i32,
        until: 0,
        tail: "all".into(),
        prefix: !opts.no_prefix,
        color: opts.color,
        project: opts.project.clone(),
        services: attach.to_vec(),
        index: None,
        from_ts: Some(engine.log_moment(opts.since)),
    };
    let (tx, mut exits) = mpsc::unbounded_channel();
    let mux = logs::attached(
        engine,
        sources,
        &lopts,
        Attached {
            exits: tx,
            keep_going: opts.keep_going,
            events: opts.events,
            began_ns: opts
                .since
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as i128)
                .unwrap_or(0),
        },
    );
    tokio::pin!(mux);
    let services: Vec<String> = containers.keys().cloned().collect();
    // The stop after an abort or Ctrl-C is shown as Compose v2 shows it, below the logs.
    let stopping = progress.fresh("Stopping");
    let stopping = &stopping;
    let stop_all = |kill: bool| {
        let engine = engine.clone();
        let project = opts.project.clone();
        let services = services.clone();
        let timeout = opts.timeout;
        async move { stop_services(&engine, &project, &services, kill, timeout, stopping).await }
    };
    let mut exit_code = 0;
    loop {
        tokio::select! {
            r = &mut mux => {
                while let Ok(ex) = exits.try_recv() {
                    if opts.exit_code_from.as_deref() == Some(ex.service.as_str()) {
                        exit_code = ex.code as i32;
                    }
                }
                return r.map(|_| exit_code);
            }
            Some(ex) = exits.recv() => {
                if opts.exit_code_from.as_deref() == Some(ex.service.as_str()) {
                    exit_code = ex.code as i32;
                }
                if !opts.abort_on_exit {
                    continue;
                }
                progress.note("Aborting on container exit...");
                stop_all(false).await;
                return Ok(match &opts.exit_code_from {
                    None => ex.code as i32,
                    Some(from) if *from == ex.service => ex.code as i32,
                    // The chosen service was stopped by the abort: its code now.
                    Some(from) => exit_code_of(engine, &opts.project, from).await,
                });
            }
            _ = interrupts.recv() => {
                progress.note("Gracefully stopping... (press Ctrl+C again to force)");
                tokio::select! {
                    _ = stop_all(false) => {}
                    _ = interrupts.recv() => { stop_all(true).await; }
                }
                return Ok(130);
            }
        }
    }
}

/// Stops the containers of `services` that run or will (a restart policy's pending retry
/// included: left alone, it would start again after `up` ended), dependents first as
/// `berth stop` does, or kills them (the second Ctrl-C). Shown as Compose v2 shows it.
async fn stop_services(
    engine: &Engine,
    project: &str,
    services: &[String],
    kill: bool,
    timeout: Option<i32>,
    progress: &Progress,
) {
    let Ok(found) = crate::converge::apply::observe(engine, project).await else {
        return;
    };
    let mine: Vec<_> = found
        .into_iter()
        .filter(|o| !o.oneoff && services.contains(&o.service))
        .collect();
    if kill {
        let jobs = mine.iter().map(|o| async move {
            let r = match o.state.as_str() {
                "running" => {
                    progress.update(Resource::Container, &o.name, "Killing", "");
                    engine.kill_container(&o.id, "SIGKILL").await
                }
                // A restarting container cannot be killed; a stop cancels its next start.
                "restarting" | "paused" => {
                    progress.update(Resource::Container, &o.name, "Killing", "");
                    engine.stop_container(&o.id, Some(0)).await
                }
                _ => return,
            };
            match r {
                Err(e) if !e.is_not_found() => {
                    progress.update(Resource::Container, &o.name, "Error", &e.to_string())
                }
                _ => progress.update(Resource::Container, &o.name, "Killed", ""),
            }
        });
        futures_util::future::join_all(jobs).await;
    } else {
        let deps = down::dependencies(None, &mine);
        if let Err(e) = down::stop_in_order(engine, &mine, &deps, timeout, 64, progress, None).await
        {
            progress.note(&format!("stopping: {e}"));
        }
    }
    progress.finish();
}

/// The exit code of `service`'s first replica (not a one-off `run` container), once it has
/// stopped (the abort just stopped it; a bound guards against one that will not).
async fn exit_code_of(engine: &Engine, project: &str, service: &str) -> i32 {
    let Ok(found) = crate::project::containers(engine, project).await else {
        return 0;
    };
    let Some(c) = found
        .into_iter()
        .filter(|c| c.service == service && !c.oneoff)
        .min_by_key(|c| c.number)
    else {
        return 0;
    };
    let wait = engine.wait_container(&c.id);
    match tokio::time::timeout(std::time::Duration::from_secs(30), wait).await {
        Ok(code) => code.unwrap_or(0) as i32,
        Err(_) => 0,
    }
}
