//! Applying a plan on the engine: images ready, networks and volumes first, then the service
//! graph walked concurrently: a service starts as soon as its own dependencies meet their
//! condition. Health and exits are followed through engine events (no fixed polling timer), so
//! a chain of health-gated services starts as fast as its healthchecks allow.

mod describe;
mod images;
mod labels;
mod resources;
mod update;
mod wait;
mod walk;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{Notify, Semaphore};

use berth_compose::graph::{Condition, ServiceGraph};
use berth_compose::hash;
use berth_compose::load::LoadedProject;
use berth_engine::labels as L;
use berth_engine::{spec, Engine, EngineError, EventKind};

use super::plan::{self, Desired, Observed, Plan, RecreatePolicy};
use super::report::{Reporter, Resource};
use crate::images::{ImageError, PullPolicy};

pub use super::observe::observe;
pub use describe::{describe, orphan_detail, recreate_detail};
pub use labels::{container_labels, replicas};
pub use resources::{ensure_networks, ensure_volumes};
pub use update::{policy as update_policy, OnFailure, Order, Policy as UpdatePolicy};

/// What can stop `up`.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Spec(#[from] spec::SpecError),
    #[error("dependency failed to start: {0}")]
    Dependency(String),
    /// An image could not be built, pulled or found (a failed pull is Compose's exit code 18).
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Timeout(String),
    #[error("interrupted")]
    Interrupted,
    /// An update under `deploy.update_config` failed (after its `failure_action`).
    #[error("{0}")]
    Update(String),
}

/// `up`'s options (the flags of `berth up` and `berth create`).
#[derive(Clone, Debug)]
pub struct UpOptions {
    pub services: Vec<String>,
    pub recreate: RecreatePolicy,
    pub always_recreate_deps: bool,
    pub no_deps: bool,
    pub remove_orphans: bool,
    pub ignore_orphans: bool,
    pub scale: BTreeMap<String, u32>,
    pub no_start: bool,
    pub renew_anon_volumes: bool,
    pub timeout: Option<i32>,
    pub wait: bool,
    pub wait_timeout: Option<Duration>,
    pub parallel: usize,
    pub dry_run: bool,
    /// `up --build`: build every selected service that has `build:` first.
    pub build: bool,
    /// `up --no-build`: never build, even a missing image.
    pub no_build: bool,
    /// `--pull`: one policy for every service; None: each service's `pull_policy`.
    pub pull: Option<PullPolicy>,
    /// `--quiet-pull`: pulls without progress.
    pub quiet_pull: bool,
    /// `run`: once the services are up, wait until these meet their condition (service,
    /// condition, required: an optional one that fails is a warning).
    pub then_wait: Vec<(String, Condition, bool)>,
    /// `--strict`: refuse what berth would otherwise do another way with a warning (a
    /// start-first update of a service that cannot run twice).
    pub strict: bool,
    /// `berth rollback`: the services rolled back, each to its revision number; their
    /// replacements follow `rollback_config` instead of `update_config`.
    pub rollback: BTreeMap<String, u32>,
}

impl Default for UpOptions {
    fn default() -> Self {
        UpOptions {
            services: vec![],
            recreate: RecreatePolicy::Diverged,
            always_recreate_deps: false,
            no_deps: false,
            remove_orphans: false,
            ignore_orphans: false,
            scale: BTreeMap::new(),
            no_start: false,
            renew_anon_volumes: false,
            timeout: None,
            wait: false,
            wait_timeout: None,
            parallel: 8,
            dry_run: false,
            build: false,
            no_build: false,
            pull: None,
            quiet_pull: false,
            then_wait: Vec::new(),
            strict: false,
            rollback: BTreeMap::new(),
        }
    }
}

/// What `up` did.
#[derive(Debug, Default)]
pub struct UpOutcome {
    pub plan: Plan,
    /// Containers of the selected services, by service.
    pub containers: BTreeMap<String, Vec<String>>,
    pub warnings: Vec<String>,
}

/// Brings the project up: the whole of `berth up -d` (and `create`, with `no_start`).
pub async fn up(
    engine: &Engine,
    loaded: &LoadedProject,
    opts: &UpOptions,
    progress: &dyn Reporter,
) -> Result<UpOutcome, ApplyError> {
    let graph = ServiceGraph::from_project(&loaded.project);
    let selected = select(loaded, &graph, opts)?;
    preflight(engine, loaded, &selected)?;
    // From here to the end, this berth alone changes the project (a dry run changes nothing).
    let _lock = match opts.dry_run {
        true => None,
        false => {
            crate::converge::lock::ProjectLock::acquire(engine.host(), &loaded.name, progress).await
        }
    };
    let images = images::ready_images(engine, loaded, &selected, opts, progress).await?;
    let observed = observe(engine, &loaded.name).await?;
    let plan = make_plan(loaded, &graph, &selected, &images, &observed, opts);
    let mut outcome = UpOutcome::default();
    if let Some(w) = orphans(engine, loaded, &plan, opts, progress).await? {
        outcome.warnings.push(w);
    }
    if opts.dry_run {
        for name in &selected {
            for a in &plan.services[name] {
                let (cname, what) = describe(loaded, name, a, &plan.services[name]);
                progress.update(Resource::Container, &cname, &what, "");
            }
        }
        outcome.plan = plan;
        return Ok(outcome);
    }
    ensure_networks(engine, loaded, &selected, progress).await?;
    ensure_volumes(engine, loaded, &selected, progress).await?;

    let wake = Wake::follow(engine, &loaded.name);
    let run = walk::Run {
        engine,
        loaded,
        progress,
        opts,
        images,
        names: Mutex::new(
            observed
                .iter()
                .map(|o| (o.name.clone(), o.id.clone()))
                .collect(),
        ),
        events: wake.notify.clone(),
        limit: Semaphore::new(opts.parallel.max(1)),
        warnings: Mutex::new(Vec::new()),
        // The Docker CLI's config.json: the containers' proxies.
        proxy_env: berth_engine::CliConfig::load().proxies(engine.host()),
        precreated: Mutex::new(HashMap::new()),
    };
    walk::precreate(&run, &selected, &plan).await?;
    outcome.containers = walk::walk(&run, &graph, &plan, &selected).await?;
    if !opts.no_start {
        remember(&run, &plan).await;
    }
    settle(&run, &selected, &mut outcome).await?;
    outcome
        .warnings
        .extend(run.warnings.lock().map(|w| w.clone()).unwrap_or_default());
    outcome.plan = plan;
    Ok(outcome)
}

/// Records a revision for each service whose containers `up` created or replaced (the update
/// history `berth rollback` returns to). A history that cannot be written is a warning: the
/// project is up.
async fn remember(run: &walk::Run<'_>, plan: &Plan) {
    let loaded = run.loaded;
    let applied: Vec<crate::converge::history::Applied> = plan
        .services
        .iter()
        .filter(|(_, acts)| {
            acts.iter().any(|a| {
                matches!(
                    a,
                    plan::Action::Create { .. } | plan::Action::Recreate { .. }
                )
            })
        })
        .filter_map(|(name, _)| {
            let svc = loaded.project.services.get(name)?;
            let image_id = run.images.get(name).cloned().flatten()?;
            Some(crate::converge::history::Applied {
                service: name.clone(),
                image: spec::image_name(&loaded.name, name, svc),
                image_id,
                hash: hash::service_hash(name, svc),
                config: hash::hashed_config(svc),
                cause: match run.opts.rollback.get(name) {
                    Some(n) => format!("rollback to {n}"),
                    None => "up".into(),
                },
            })
        })
        .collect();
    if applied.is_empty() {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let now = berth_engine::clock::format_unix(now.as_secs() as i64, 0);
    let now = now.replace(".000000000Z", "Z");
    if let Err(e) = crate::converge::history::record(run.engine, &loaded.name, &applied, &now).await
    {
        run.progress
            .warn(&format!("the update history could not be written: {e}"));
    }
}

/// Every selected service's container spec, built once before anything changes: what would
/// fail at a container's creation (a secret's variable unset, its file missing, a value the
/// engine cannot take) fails here, before a network, a volume or an image is touched, and in
/// `--dry-run` too.
fn preflight(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
) -> Result<(), ApplyError> {
    // Containers of `service:`/`container:` references do not exist yet: any name will do.
    let resolver = |s: &str| Some(s.to_string());
    let environment = |k: &str| loaded.environment.get(k).map(str::to_string);
    let ctx = berth_engine::spec::SpecContext {
        project: &loaded.project,
        project_name: &loaded.name,
        api_version: engine.api_version(),
        resolve_container: &resolver,
        environment: &environment,
        working_dir: &loaded.working_dir,
        base_environment: &[],
    };
    for name in selected {
        if let Some(svc) = loaded.project.services.get(name) {
            berth_engine::spec::container_spec(&ctx, name, svc, 1, BTreeMap::new())?;
        }
    }
    Ok(())
}

/// The services `up` acts on, in start order: all, the named ones (`--no-deps`), or the named
/// ones with their dependencies.
fn select(
    loaded: &LoadedProject,
    graph: &ServiceGraph,
    opts: &UpOptions,
) -> Result<Vec<String>, ApplyError> {
    if let Some(s) = opts
        .services
        .iter()
        .find(|s| !loaded.project.services.contains_key(*s))
    {
        return Err(ApplyError::Invalid(format!("no such service: {s}")));
    }
    let order = graph.start_order();
    Ok(if opts.services.is_empty() {
        order
    } else if opts.no_deps {
        order
            .into_iter()
            .filter(|s| opts.services.contains(s))
            .collect()
    } else {
        let set = graph.with_dependencies(&opts.services);
        order.into_iter().filter(|s| set.contains(s)).collect()
    })
}

/// The plan: each selected service as the project wants it against what the engine runs.
fn make_plan(
    loaded: &LoadedProject,
    graph: &ServiceGraph,
    selected: &[String],
    images: &HashMap<String, Option<String>>,
    observed: &[Observed],
    opts: &UpOptions,
) -> Plan {
    let project = &loaded.project;
    let desired: Vec<Desired> = selected
        .iter()
        .map(|n| {
            let svc = &project.services[n];
            Desired {
                service: n.clone(),
                replicas: replicas(n, svc, &opts.scale),
                config_hash: hash::service_hash(n, svc),
                berth_config: hash::hashed_config(svc).to_string(),
                image_id: images.get(n).cloned().flatten(),
                one_shot: project.services.values().any(|other| {
                    other
                        .depends_on
                        .get(n)
                        .map(|d| d.condition.as_deref() == Some("service_completed_successfully"))
                        .unwrap_or(false)
                }),
            }
        })
        .collect();
    let mut known: Vec<String> = project.services.keys().cloned().collect();
    known.extend(loaded.disabled_services.iter().cloned());
    let mut plan = plan::plan(&desired, observed, &known, opts.recreate);
    if opts.always_recreate_deps {
        walk::force_recreate_dependents(&mut plan, graph);
    }
    plan
}

/// Containers of services the project no longer declares: removed with `--remove-orphans`,
/// else named in the warning it returns (as Compose v2 warns), unless ignored.
async fn orphans(
    engine: &Engine,
    loaded: &LoadedProject,
    plan: &Plan,
    opts: &UpOptions,
    progress: &dyn Reporter,
) -> Result<Option<String>, ApplyError> {
    if plan.orphans.is_empty() || (opts.ignore_orphans && !opts.remove_orphans) {
        return Ok(None);
    }
    for o in &plan.orphans {
        let why = orphan_detail(loaded, o);
        if opts.remove_orphans && opts.dry_run {
            let what = format!("Remove (orphan: {why})");
            progress.update(Resource::Container, &o.name, &what, "");
        } else if opts.remove_orphans {
            progress.update(Resource::Container, &o.name, "Stopping", "");
            engine.stop_container(&o.id, opts.timeout).await?;
            progress.update(Resource::Container, &o.name, "Stopped", "");
            progress.update(Resource::Container, &o.name, "Removing", "");
            engine.remove_container(&o.id, false).await?;
            progress.update(Resource::Container, &o.name, "Removed", "");
        } else if opts.dry_run {
            let what = format!("Leave alone (orphan: {why}; --remove-orphans removes it)");
            progress.update(Resource::Container, &o.name, &what, "");
        }
    }
    if opts.remove_orphans {
        return Ok(None);
    }
    let names: Vec<&str> = plan.orphans.iter().map(|o| o.name.as_str()).collect();
    Ok(Some(format!(
        "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
        names.join(" ")
    )))
}

/// `--wait` (every container ready) and `run`'s dependencies (each meets its condition; an
/// optional one that does not is a warning).
async fn settle(
    run: &walk::Run<'_>,
    selected: &[String],
    outcome: &mut UpOutcome,
) -> Result<(), ApplyError> {
    let opts = run.opts;
    if opts.wait && !opts.no_start {
        let deadline = opts.wait_timeout.map(|d| Instant::now() + d);
        for name in selected {
            for id in outcome.containers.get(name).cloned().unwrap_or_default() {
                wait::wait_ready(run, &id, deadline).await?;
            }
        }
    }
    for (service, condition, required) in &opts.then_wait {
        for id in outcome.containers.get(service).cloned().unwrap_or_default() {
            if let Err(e) = wait::wait_condition(run, service, &id, *condition).await {
                if *required {
                    return Err(ApplyError::Dependency(format!(
                        "dependency failed to start: {e}"
                    )));
                }
                outcome.warnings.push(format!(
                    "optional dependency \"{service}\" is not ready: {e}"
                ));
            }
        }
    }
    Ok(())
}

/// The project's events followed while `up` runs: starts, exits, health changes and removals
/// wake the waiters (named alike on Docker and Podman). Stops following when dropped.
struct Wake {
    notify: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Wake {
    fn follow(engine: &Engine, project: &str) -> Wake {
        let notify = Arc::new(Notify::new());
        let waiters = notify.clone();
        let mut stream = Box::pin(engine.container_events(&[L::project_filter(project)]));
        let task = tokio::spawn(async move {
            while let Some(Ok(ev)) = stream.next().await {
                if matches!(
                    ev.kind,
                    EventKind::Start | EventKind::Die | EventKind::Health(_) | EventKind::Remove
                ) {
                    waiters.notify_waiters();
                }
            }
        });
        Wake { notify, task }
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        self.task.abort();
    }
}
