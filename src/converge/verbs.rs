//! The simple verbs on a project's existing containers: `start`, `stop`, `restart`, `rm`,
//! `kill`, `pause`, `unpause`. Containers are found by the project's labels (so they work
//! without the compose file); with the file, dependencies order them.

use std::collections::{BTreeSet, HashMap};

use berth_compose::graph::ServiceGraph;
use berth_compose::load::LoadedProject;
use berth_engine::Engine;

use super::apply::{observe, ApplyError};
use super::down;
use super::plan::Observed;
use super::report::{Reporter, Resource};

/// One of the simple verbs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Start,
    Stop,
    Restart,
    Rm,
    Kill,
    Pause,
    Unpause,
}

/// How a verb acts.
#[derive(Clone, Debug, Default)]
pub struct VerbOptions {
    /// Services to act on (all when empty).
    pub services: Vec<String>,
    /// Stop timeout (stop, restart, rm --stop).
    pub timeout: Option<i32>,
    /// The signal `kill` sends.
    pub signal: String,
    /// `rm --stop`: stop running containers first (else only stopped ones are removed).
    pub stop: bool,
    /// `rm -v`: their anonymous volumes too.
    pub volumes: bool,
    /// `restart --no-deps`: not the services that depend on them with `restart: true`.
    pub no_deps: bool,
    pub parallel: usize,
    /// Say what would happen, change nothing.
    pub dry_run: bool,
}

/// `restart dep` also restarts the services that depend on it with `restart: true`.
fn with_restarting_dependents(loaded: Option<&LoadedProject>, services: &[String]) -> Vec<String> {
    let mut out = services.to_vec();
    let Some(l) = loaded else {
        return out;
    };
    let mut changed = true;
    while changed {
        changed = false;
        for (svc, def) in &l.project.services {
            if out.contains(svc) {
                continue;
            }
            if def
                .depends_on
                .iter()
                .any(|(d, c)| c.restart && out.contains(d))
            {
                out.push(svc.clone());
                changed = true;
            }
        }
    }
    out
}

/// Applies `verb` to the project's (non-one-off) containers of `opts.services`.
pub async fn apply_verb(
    engine: &Engine,
    project: &str,
    loaded: Option<&LoadedProject>,
    verb: Verb,
    opts: &VerbOptions,
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let services = if verb == Verb::Restart && !opts.no_deps && !opts.services.is_empty() {
        with_restarting_dependents(loaded, &opts.services)
    } else {
        opts.services.clone()
    };
    let mut selected: Vec<Observed> = observe(engine, project)
        .await?
        .into_iter()
        .filter(|o| !o.oneoff && (services.is_empty() || services.contains(&o.service)))
        .collect();
    selected.sort_by(|a, b| a.name.cmp(&b.name));
    if opts.dry_run {
        let what = format!("Would {}", format!("{verb:?}").to_lowercase());
        for o in &selected {
            progress.update(Resource::Container, &o.name, &what, "");
        }
        return Ok(());
    }
    let graph = loaded.map(|l| ServiceGraph::from_project(&l.project));
    let deps: HashMap<String, BTreeSet<String>> = graph
        .as_ref()
        .map(|g| {
            g.deps
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().map(|d| d.service.clone()).collect()))
                .collect()
        })
        .unwrap_or_default();
    match verb {
        Verb::Stop => {
            down::stop_in_order(
                engine,
                &selected,
                &deps,
                opts.timeout,
                opts.parallel,
                progress,
                None,
            )
            .await
        }
        Verb::Rm => {
            let stopped: Vec<Observed> = selected
                .into_iter()
                .filter(|o| opts.stop || o.state != "running")
                .collect();
            if stopped.is_empty() {
                progress.note("No stopped containers");
                return Ok(());
            }
            let remove = Some(opts.volumes);
            down::stop_in_order(
                engine,
                &stopped,
                &deps,
                opts.timeout,
                opts.parallel,
                progress,
                remove,
            )
            .await
        }
        _ => {
            // Start (and restart) in dependency order; the others in any order.
            let order: Vec<String> = graph.as_ref().map(|g| g.start_order()).unwrap_or_default();
            selected.sort_by_key(|o| {
                order
                    .iter()
                    .position(|s| s == &o.service)
                    .unwrap_or(usize::MAX)
            });
            for o in &selected {
                one(engine, verb, o, opts, progress).await?;
            }
            Ok(())
        }
    }
}

/// Starts, restarts, kills, pauses or unpauses one container.
async fn one(
    engine: &Engine,
    verb: Verb,
    o: &Observed,
    opts: &VerbOptions,
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let show = |status: &str| progress.update(Resource::Container, &o.name, status, "");
    let r = match verb {
        Verb::Start if o.state == "running" => return Ok(()),
        Verb::Start => {
            show("Starting");
            engine.start_container(&o.id).await.map(|_| "Started")
        }
        Verb::Restart => {
            show("Restarting");
            match engine.stop_container(&o.id, opts.timeout).await {
                Ok(()) => engine.start_container(&o.id).await.map(|_| "Started"),
                Err(e) => Err(e),
            }
        }
        Verb::Kill if o.state != "running" => return Ok(()),
        Verb::Kill => {
            show("Killing");
            engine
                .kill_container(&o.id, &opts.signal)
                .await
                .map(|_| "Killed")
        }
        Verb::Pause => {
            show("Pausing");
            engine.pause_container(&o.id).await.map(|_| "Paused")
        }
        Verb::Unpause => {
            show("Unpausing");
            engine.unpause_container(&o.id).await.map(|_| "Unpaused")
        }
        Verb::Stop | Verb::Rm => return Ok(()),
    };
    match r {
        Ok(status) => {
            show(status);
            Ok(())
        }
        Err(e) => {
            show("Error");
            Err(e.into())
        }
    }
}
