//! The `up` command as a whole: convergence ([`crate::converge::apply::up`]), then, unless
//! detached, the attached services' logs followed in the foreground ([`attached`]) with the
//! project's `develop.watch` rules applied beside them (`up --watch`), until the containers
//! stop or Ctrl-C stops them.

pub mod attached;

use std::time::SystemTime;

use berth_compose::load::LoadedProject;
use berth_engine::{Engine, EngineError};

use crate::converge::apply::{self, ApplyError, UpOptions};
use crate::signals::Interrupts;
use crate::ui::logs;
use crate::ui::progress::Progress;
use crate::ui::text::say;
use crate::watch;

/// What `up` does after converging, in the foreground.
#[derive(Clone, Debug, Default)]
pub struct Foreground {
    /// Services whose logs are shown (empty: every service `up` started, but `no_attach`).
    pub attach: Vec<String>,
    pub no_attach: Vec<String>,
    /// Stop everything when a container stops (`--abort-on-container-exit`).
    pub abort_on_exit: bool,
    /// Exit with this service's code (`--exit-code-from`).
    pub exit_code_from: Option<String>,
    pub color: bool,
    pub no_prefix: bool,
    pub timestamps: bool,
    /// `up --watch`: these rules are applied while the logs are shown.
    pub watch: Option<Vec<watch::Rule>>,
}

/// Why `up` failed.
#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error("following the logs: {0}")]
    Follow(#[from] EngineError),
}

/// What `up` ended with: its exit code and the warnings convergence gave.
pub struct UpEnd {
    pub code: i32,
    pub warnings: Vec<String>,
}

/// Runs `up`: converges (Ctrl-C stops it), then with `foreground` follows the logs (and the
/// watch rules) until the containers stop or Ctrl-C stops them. `warn` shows convergence's
/// warnings as soon as they are known (before the logs).
pub async fn up(
    engine: &Engine,
    loaded: &LoadedProject,
    opts: &UpOptions,
    foreground: Option<&Foreground>,
    progress: &Progress,
    interrupts: &mut Interrupts,
    warn: &dyn Fn(&str),
) -> Result<i32, UpError> {
    // What the attached logs show from: this moment (not the older logs of kept containers).
    let began = SystemTime::now();
    // Attached, the project's events are collected from before anything starts: no exit
    // can come before the logs are followed and go unseen.
    let foreground = foreground.filter(|_| !opts.dry_run);
    let events = foreground.map(|_| logs::subscribe(engine, &loaded.name));
    // Meanwhile, the engine's clock against ours: "from when `up` began" is on its clock.
    let clock = events.is_some().then(|| {
        let e = engine.clone();
        tokio::spawn(async move { e.clock_offset().await })
    });
    let outcome = tokio::select! {
        r = apply::up(engine, loaded, opts, progress) => r,
        _ = interrupts.recv() => Err(ApplyError::Interrupted),
    };
    progress.finish();
    let outcome = outcome?;
    for w in &outcome.warnings {
        warn(w);
    }
    let (Some(fg), Some(events)) = (foreground, events) else {
        return Ok(0); // detached, or a dry run
    };
    // Attached: follow the logs until the containers stop or Ctrl-C stops them.
    let attach: Vec<String> = if fg.attach.is_empty() {
        outcome
            .containers
            .keys()
            .filter(|s| !fg.no_attach.contains(s))
            .cloned()
            .collect()
    } else {
        fg.attach.clone()
    };
    let watching = async {
        if let Some(rules) = &fg.watch {
            let opts = watch::Options {
                quiet: false,
                prune: false,
            };
            if let Err(e) = watch::run(engine, loaded, rules, &opts, &say).await {
                warn(&format!("watch stopped: {e}"));
            }
        }
        std::future::pending::<()>().await
    };
    let offset = match clock {
        Some(c) => c.await.ok().flatten(),
        None => None,
    };
    let follow = attached::follow(
        engine,
        &outcome.containers,
        &attach,
        attached::FollowOptions {
            project: loaded.name.clone(),
            abort_on_exit: fg.abort_on_exit || fg.exit_code_from.is_some(),
            exit_code_from: fg.exit_code_from.clone(),
            color: fg.color,
            no_prefix: fg.no_prefix,
            timestamps: fg.timestamps,
            timeout: opts.timeout,
            since: logs::shift(began, offset),
            keep_going: fg.watch.is_some(),
            events,
        },
        progress,
        interrupts,
    );
    tokio::select! {
        r = follow => Ok(r?),
        _ = watching => unreachable!("the watch future never ends"),
    }
}
