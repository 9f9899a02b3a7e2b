//! Applying a plan on the engine: networks and volumes first, then the service graph walked
//! concurrently: a service starts as soon as its own dependencies meet their condition.
//! Health and exits are followed through engine events (no fixed polling timer), so a chain
//! of health-gated services starts as fast as its healthchecks allow.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{watch, Notify, Semaphore};

use super::plan::{self, Action, Desired, Observed, Plan, RecreatePolicy};
use super::report::{Reporter, Resource, Silent};
use crate::images::{self, ImageError, ImageStep, PullPolicy};
use berth_compose::graph::{Condition, ServiceGraph};
use berth_compose::hash;
use berth_compose::load::LoadedProject;
use berth_compose::model::{Project, Service};
use berth_engine::labels as L;
use berth_engine::spec::{self, ContainerSpec, SpecContext};
use berth_engine::{
    ContainerDetails, ContainerStatus, CreateError, Engine, EngineError, EventKind, HealthStatus,
};

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
        }
    }
}

/// Makes every selected service's image ready, as [`images::decide`] says (the builds
/// together, then the pulls); returns each service's image ID (None for an image a dry run
/// would still build or pull, or for a service scaled to 0).
async fn ready_images(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
    opts: &UpOptions,
    progress: &dyn Reporter,
) -> Result<HashMap<String, Option<String>>, ApplyError> {
    let project = &loaded.project;
    let image_of = |n: &String| spec::image_name(&loaded.name, n, &project.services[n]);
    // One inspect per distinct image, all at once (50 services often share one image, and
    // every inspect is a round trip: Podman's take tens of milliseconds).
    let mut distinct: Vec<String> = selected.iter().map(image_of).collect();
    distinct.sort();
    distinct.dedup();
    let inspected =
        futures_util::future::join_all(distinct.iter().map(|i| engine.image_id(i))).await;
    let mut present: HashMap<String, Option<String>> = HashMap::new();
    for (image, r) in distinct.into_iter().zip(inspected) {
        present.insert(image, r?);
    }
    let steps: Vec<(String, ImageStep)> = selected
        .iter()
        .map(|name| {
            let svc = &project.services[name];
            let step = if replicas(name, svc, &opts.scale) == 0 {
                ImageStep::Use
            } else {
                let policy = PullPolicy::for_service(opts.pull, svc);
                let there = present.get(&image_of(name)).is_some_and(Option::is_some);
                images::decide(svc, policy, opts.build, opts.no_build, there)
            };
            (name.clone(), step)
        })
        .collect();
    // Every build at once (bounded by --parallel), before the pulls.
    let to_build: Vec<String> = steps
        .iter()
        .filter(|(_, step)| *step == ImageStep::Build)
        .map(|(n, _)| n.clone())
        .collect();
    if !to_build.is_empty() && !opts.dry_run {
        let flags = berth_engine::build::BuildFlags::default();
        images::build(engine, loaded, &to_build, &flags, opts.parallel, progress).await?;
    }
    let mut out = HashMap::new();
    for (name, step) in steps {
        let id = match step {
            ImageStep::Build if !opts.dry_run => engine.image_id(&image_of(&name)).await?,
            ImageStep::Use | ImageStep::Build | ImageStep::Pull { .. } if opts.dry_run => {
                present.get(&image_of(&name)).cloned().flatten()
            }
            ImageStep::Use => present.get(&image_of(&name)).cloned().flatten(),
            step => {
                let shown: &dyn Reporter = if opts.quiet_pull { &Silent } else { progress };
                let id = images::make_ready(engine, loaded, &name, step, opts.parallel, shown);
                Some(id.await?)
            }
        };
        out.insert(name, id);
    }
    Ok(out)
}

/// Reads the project's containers from the engine.
pub async fn observe(engine: &Engine, project: &str) -> Result<Vec<Observed>, EngineError> {
    let list = engine
        .list_containers(&[L::project_filter(project)])
        .await?;
    Ok(list.iter().map(Observed::from_summary).collect())
}

/// The replica count of a service: `--scale`, else `deploy.replicas`, else `scale`, else 1.
pub fn replicas(name: &str, service: &Service, scale: &BTreeMap<String, u32>) -> u32 {
    if let Some(n) = scale.get(name) {
        return *n;
    }
    service
        .deploy
        .as_ref()
        .and_then(|d| d.replicas)
        .or(service.scale)
        .map(|n| n.max(0) as u32)
        .unwrap_or(1)
}

/// Paths as Compose writes them in a label: comma-separated.
fn join_paths(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels of a service container, as Compose v2 writes them.
pub fn container_labels(
    loaded: &LoadedProject,
    name: &str,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
    oneoff: bool,
) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(L::PROJECT.into(), loaded.name.clone());
    l.insert(L::SERVICE.into(), name.into());
    l.insert(L::VERSION.into(), L::COMPOSE_VERSION.into());
    l.insert(
        L::WORKING_DIR.into(),
        loaded.working_dir.display().to_string(),
    );
    l.insert(L::CONFIG_FILES.into(), join_paths(&loaded.config_files));
    if !loaded.env_files.is_empty() {
        l.insert(L::ENVIRONMENT_FILE.into(), join_paths(&loaded.env_files));
    }
    l.insert(
        L::ONEOFF.into(),
        if oneoff { "True" } else { "False" }.into(),
    );
    l.insert(L::NUMBER.into(), number.to_string());
    let config = hash::hashed_config(service);
    l.insert(L::CONFIG_HASH.into(), hash::hash_of(&config));
    l.insert(L::BERTH_CONFIG.into(), config.to_string());
    if let Some(id) = image_id {
        l.insert(L::IMAGE.into(), id.to_string());
    }
    let deps: Vec<String> = service
        .depends_on
        .iter()
        .map(|(d, c)| {
            format!(
                "{d}:{}:{}",
                c.condition.as_deref().unwrap_or("service_started"),
                c.restart
            )
        })
        .collect();
    l.insert(L::DEPENDS_ON.into(), deps.join(","));
    l
}

/// What a service task publishes when it is done: its containers, or why it failed.
type Done = Option<Result<Vec<String>, String>>;

/// Shared state of one `up` run.
struct Run<'a> {
    engine: &'a Engine,
    loaded: &'a LoadedProject,
    progress: &'a dyn Reporter,
    opts: &'a UpOptions,
    images: HashMap<String, Option<String>>,
    /// Every container of the project by name, as it is now (for `service:x` references).
    names: Mutex<HashMap<String, String>>,
    /// Pinged on every engine event for the project.
    events: Arc<Notify>,
    limit: Semaphore,
    warnings: Mutex<Vec<String>>,
    /// Proxy variables from the Docker CLI configuration, for every container.
    proxy_env: Vec<(String, String)>,
    /// Containers created ahead of their turn, by (service, number): only started when due.
    precreated: Mutex<HashMap<(String, u32), String>>,
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
    let project = &loaded.project;
    let graph = ServiceGraph::from_project(project);
    // The Docker CLI's config.json: the containers' proxies.
    let cli = berth_engine::CliConfig::load();
    for s in &opts.services {
        if !project.services.contains_key(s) {
            return Err(ApplyError::Invalid(format!("no such service: {s}")));
        }
    }
    let selected: Vec<String> = if opts.services.is_empty() {
        graph.start_order()
    } else if opts.no_deps {
        graph
            .start_order()
            .into_iter()
            .filter(|s| opts.services.contains(s))
            .collect()
    } else {
        let set = graph.with_dependencies(&opts.services);
        graph
            .start_order()
            .into_iter()
            .filter(|s| set.contains(s))
            .collect()
    };

    let images = ready_images(engine, loaded, &selected, opts, progress).await?;

    let observed = observe(engine, &loaded.name).await?;
    let desired: Vec<Desired> = selected
        .iter()
        .map(|n| {
            let svc = &project.services[n];
            Desired {
                service: n.clone(),
                replicas: replicas(n, svc, &opts.scale),
                config_hash: hash::service_hash(svc),
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
    let mut plan = plan::plan(&desired, &observed, &known, opts.recreate);
    if opts.always_recreate_deps {
        force_recreate_dependents(&mut plan, &graph);
    }
    let mut outcome = UpOutcome::default();

    if !plan.orphans.is_empty() {
        if opts.remove_orphans {
            for o in &plan.orphans {
                if opts.dry_run {
                    let why = orphan_detail(loaded, o);
                    progress.update(
                        Resource::Container,
                        &o.name,
                        &format!("Remove (orphan: {why})"),
                        "",
                    );
                    continue;
                }
                progress.update(Resource::Container, &o.name, "Stopping", "");
                engine.stop_container(&o.id, opts.timeout).await?;
                engine.remove_container(&o.id, false).await?;
                progress.update(Resource::Container, &o.name, "Removed", "");
            }
        } else if !opts.ignore_orphans {
            if opts.dry_run {
                for o in &plan.orphans {
                    let why = orphan_detail(loaded, o);
                    progress.update(
                        Resource::Container,
                        &o.name,
                        &format!("Leave alone (orphan: {why}; --remove-orphans removes it)"),
                        "",
                    );
                }
            }
            let names: Vec<&str> = plan.orphans.iter().map(|o| o.name.as_str()).collect();
            outcome.warnings.push(format!(
                "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(" ")
            ));
        }
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

    // Follow the project's events from now on: health changes and exits wake the waiters.
    let notify = Arc::new(Notify::new());
    let events_task = {
        let notify = notify.clone();
        let mut stream = Box::pin(engine.container_events(&[L::project_filter(&loaded.name)]));
        tokio::spawn(async move {
            while let Some(ev) = stream.next().await {
                let Ok(ev) = ev else {
                    break;
                };
                // Only what a waiter looks at: starts, exits, health, removal (named alike on
                // Docker and Podman).
                if matches!(
                    ev.kind,
                    EventKind::Start | EventKind::Die | EventKind::Health(_) | EventKind::Remove
                ) {
                    notify.notify_waiters();
                }
            }
        })
    };

    let run = Run {
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
        events: notify,
        limit: Semaphore::new(opts.parallel.max(1)),
        warnings: Mutex::new(Vec::new()),
        proxy_env: cli.proxies(engine.host()),
        precreated: Mutex::new(HashMap::new()),
    };

    // Create every new container up front, in parallel: a service waiting for a healthy
    // dependency then only has to start. Services that reference another service's container
    // (network_mode/ipc/pid service:, volumes_from, links) are created at their turn.
    let refers = |svc: &Service| {
        [&svc.network_mode, &svc.ipc, &svc.pid].iter().any(|v| {
            v.as_deref()
                .map(|x| x.starts_with("service:"))
                .unwrap_or(false)
        }) || !svc.volumes_from.is_empty()
            || !svc.links.is_empty()
    };
    let creates = selected.iter().flat_map(|name| {
        let svc = &project.services[name];
        plan.services
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(move |a| match a {
                Action::Create { number, .. } if !refers(svc) => Some((name.clone(), svc, *number)),
                _ => None,
            })
    });
    let run_ref = &run;
    let jobs = creates.map(|(name, svc, number)| async move {
        let _permit = run_ref
            .limit
            .acquire()
            .await
            .map_err(|_| ApplyError::Interrupted)?;
        let id = create_container(run_ref, &name, svc, number, None, false).await?;
        if let Ok(mut m) = run_ref.precreated.lock() {
            m.insert((name, number), id);
        }
        Ok::<(), ApplyError>(())
    });
    for r in futures_util::future::join_all(jobs).await {
        if let Err(e) = r {
            events_task.abort();
            return Err(e);
        }
    }

    // One task per service; each waits on its dependencies' watch channels.
    let mut senders: HashMap<String, watch::Sender<Done>> = HashMap::new();
    let mut receivers: HashMap<String, watch::Receiver<Done>> = HashMap::new();
    for s in &selected {
        let (tx, rx) = watch::channel(None);
        senders.insert(s.clone(), tx);
        receivers.insert(s.clone(), rx);
    }
    let tasks = selected.iter().map(|name| {
        let run = &run;
        let graph = &graph;
        let plan = &plan;
        let receivers = &receivers;
        let tx = senders.remove(name);
        async move {
            let r = service_task(run, graph, plan, receivers, name).await;
            let msg = match &r {
                Ok(ids) => Ok(ids.clone()),
                Err(e) => Err(e.to_string()),
            };
            if let Some(tx) = tx {
                let _ = tx.send(Some(msg));
            }
            (name.clone(), r)
        }
    });
    let results = futures_util::future::join_all(tasks).await;
    let mut first_error = None;
    for (name, r) in results {
        match r {
            Ok(ids) => {
                outcome.containers.insert(name, ids);
            }
            Err(e) => {
                if first_error.is_none() {
                    first_error = Some(e);
                }
            }
        }
    }
    if let Some(e) = first_error {
        events_task.abort();
        return Err(e);
    }
    if opts.wait && !opts.no_start {
        let deadline = opts.wait_timeout.map(|d| Instant::now() + d);
        for name in &selected {
            for id in outcome.containers.get(name).cloned().unwrap_or_default() {
                wait_ready(&run, &id, deadline).await?;
            }
        }
    }
    for (service, condition, required) in &opts.then_wait {
        for id in outcome.containers.get(service).cloned().unwrap_or_default() {
            if let Err(e) = wait_condition(&run, service, &id, *condition).await {
                if *required {
                    events_task.abort();
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
    events_task.abort();
    outcome
        .warnings
        .extend(run.warnings.lock().map(|w| w.clone()).unwrap_or_default());
    outcome.plan = plan;
    Ok(outcome)
}

/// One line of `up --dry-run`: the container and what `up` would do to it, and why.
pub fn describe(
    loaded: &LoadedProject,
    service: &str,
    a: &Action,
    all: &[Action],
) -> (String, String) {
    let svc = &loaded.project.services[service];
    match a {
        Action::Create { number, .. } => {
            let existing = all
                .iter()
                .filter(|x| !matches!(x, Action::Create { .. } | Action::Remove { .. }))
                .count();
            let wanted = all
                .iter()
                .filter(|x| !matches!(x, Action::Remove { .. }))
                .count();
            let why = if existing == 0 {
                "no container yet".to_string()
            } else {
                format!("scale up from {existing} to {wanted}")
            };
            (
                spec::container_name(&loaded.name, service, svc, *number),
                format!("Create ({why})"),
            )
        }
        Action::Recreate { old, reason, .. } => (
            old.name.clone(),
            format!("Recreate ({})", recreate_detail(svc, old, reason)),
        ),
        Action::Start { container, .. } => (
            container.name.clone(),
            format!("Start ({}, configuration up to date)", container.state),
        ),
        Action::Keep { container, .. } => (
            container.name.clone(),
            if container.state == "exited" {
                "Leave alone (one-shot, exited 0, up to date)".into()
            } else {
                "Leave alone (running, up to date)".into()
            },
        ),
        Action::Remove { container, why, .. } => {
            (container.name.clone(), format!("Remove ({why})"))
        }
    }
}

/// Why a container is recreated; for a configuration change, the fields that changed with
/// their old and new values (from berth's config label on the old container).
pub fn recreate_detail(svc: &Service, old: &Observed, reason: &plan::RecreateReason) -> String {
    if !matches!(reason, plan::RecreateReason::ConfigChanged { .. }) {
        return reason.to_string();
    }
    let Some(before) = old
        .berth_config
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return format!(
            "{reason}; the container has no {} label (made by Compose v2 or an older berth): which fields changed is unknown",
            L::BERTH_CONFIG
        );
    };
    let diff = hash::config_diff(&before, &hash::hashed_config(svc));
    if diff.is_empty() {
        return format!("{reason}; the fields are the same: the hash was computed differently");
    }
    let show = |v: &Option<serde_json::Value>| match v {
        None => "(unset)".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                format!("{}…", s.chars().take(59).collect::<String>())
            } else {
                s
            }
        }
    };
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = diff
        .iter()
        .take(SHOWN)
        .map(|(k, o, n)| format!("{k}: {} -> {}", show(o), show(n)))
        .collect();
    if diff.len() > SHOWN {
        parts.push(format!("and {} more", diff.len() - SHOWN));
    }
    format!("configuration changed: {}", parts.join(", "))
}

/// Why an orphan is one: the files that declared it, against what the project reads now.
pub fn orphan_detail(loaded: &LoadedProject, o: &Observed) -> String {
    let now: Vec<String> = loaded
        .config_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    match o.config_files.as_deref() {
        Some(files) if files == now.join(",") => format!(
            "service \"{}\" is no longer declared in {}",
            o.service,
            files.replace(',', ", ")
        ),
        Some(files) => format!(
            "service \"{}\" was declared by {}, not by {}",
            o.service,
            files.replace(',', ", "),
            now.join(", ")
        ),
        None => format!("service \"{}\" is not declared by the project", o.service),
    }
}

/// `--always-recreate-deps`: a recreated service's dependents are recreated too.
fn force_recreate_dependents(plan: &mut Plan, graph: &ServiceGraph) {
    let recreated: Vec<String> = plan
        .services
        .iter()
        .filter(|(_, acts)| acts.iter().any(|a| matches!(a, Action::Recreate { .. })))
        .map(|(s, _)| s.clone())
        .collect();
    for r in recreated {
        for dep in graph.dependents(&r) {
            if let Some(acts) = plan.services.get_mut(dep) {
                for a in acts.iter_mut() {
                    if let Action::Keep { service, container }
                    | Action::Start { service, container } = a
                    {
                        *a = Action::Recreate {
                            service: service.clone(),
                            number: container.number,
                            old: container.clone(),
                            reason: plan::RecreateReason::Forced,
                        };
                    }
                }
            }
        }
    }
}

pub async fn ensure_networks(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let project = &loaded.project;
    let mut keys: Vec<&String> = Vec::new();
    for s in selected {
        let svc = &project.services[s];
        if svc.network_mode.is_some() {
            continue;
        }
        for k in svc.networks.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    for key in keys {
        let Some(cfg) = project.networks.get(key) else {
            return Err(ApplyError::Invalid(format!(
                "network {key} is not declared"
            )));
        };
        let name = spec::network_name(project, &loaded.name, key);
        // Looked up first: Docker 20.10 accepts a duplicate name and then fails on start.
        let found = engine.find_networks(&name).await?;
        if cfg.external {
            if found.is_empty() {
                return Err(ApplyError::Invalid(format!(
                    "network {name} declared as external, but could not be found (create it with `docker network create {name}`)"
                )));
            }
            continue;
        }
        if let Some(existing) = found.first() {
            match existing.labels.get(L::NETWORK) {
                Some(k) if k != key => {
                    return Err(ApplyError::Invalid(format!(
                        "network {name} was found but has incorrect label {}={k} (expected {key})",
                        L::NETWORK
                    )))
                }
                None => progress.warn(&format!(
                    "a network with name {name} exists but was not created by compose; berth uses it as it is"
                )),
                _ => {}
            }
            continue;
        }
        let (major, minor) = engine.api_version();
        if cfg.enable_ipv4 == Some(false) && !berth_engine::supports_disabling_ipv4((major, minor))
        {
            progress.warn(&format!(
                "networks.{key}.enable_ipv4: needs Engine API 1.47 (Docker 28), this engine speaks {major}.{minor}: IPv4 stays enabled"
            ));
        }
        progress.update(Resource::Network, &name, "Creating", "");
        let mut labels: HashMap<String, String> = cfg.labels.clone().into_iter().collect();
        labels.insert(L::PROJECT.into(), loaded.name.clone());
        labels.insert(L::NETWORK.into(), key.clone());
        labels.insert(L::VERSION.into(), L::COMPOSE_VERSION.into());
        match engine.create_network(&name, cfg, labels).await {
            Ok(_) => progress.update(Resource::Network, &name, "Created", ""),
            // Another `up` created it in between: use it.
            Err(EngineError::Conflict(_)) => {
                progress.update(Resource::Network, &name, "Created", "")
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub async fn ensure_volumes(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let project = &loaded.project;
    let mut keys: Vec<String> = Vec::new();
    for s in selected {
        for v in &project.services[s].volumes {
            if v.kind == "volume" {
                if let Some(src) = v.source.as_ref().filter(|x| !x.is_empty()) {
                    if !keys.contains(src) {
                        keys.push(src.clone());
                    }
                }
            }
        }
    }
    for key in keys {
        let Some(cfg) = project.volumes.get(&key) else {
            continue;
        };
        let name = spec::volume_name(project, &loaded.name, &key);
        let existing = engine.inspect_volume(&name).await?;
        if cfg.external {
            if existing.is_none() {
                return Err(ApplyError::Invalid(format!(
                    "external volume \"{name}\" not found (create it with `docker volume create {name}`)"
                )));
            }
            continue;
        }
        if let Some(v) = existing {
            if v.labels
                .get(L::PROJECT)
                .map(|p| p != &loaded.name)
                .unwrap_or(true)
            {
                progress.warn(&format!(
                    "volume \"{name}\" already exists but was not created by this project. Use `external: true` to use an existing volume"
                ));
            }
            continue;
        }
        progress.update(Resource::Volume, &name, "Creating", "");
        let mut labels: HashMap<String, String> = cfg.labels.clone().into_iter().collect();
        labels.insert(L::PROJECT.into(), loaded.name.clone());
        labels.insert(L::VOLUME.into(), key.clone());
        labels.insert(L::VERSION.into(), L::COMPOSE_VERSION.into());
        engine.create_volume(&name, cfg, labels).await?;
        progress.update(Resource::Volume, &name, "Created", "");
    }
    Ok(())
}

/// Waits for one service's dependencies, then applies its actions; returns its containers.
async fn service_task(
    run: &Run<'_>,
    graph: &ServiceGraph,
    plan: &Plan,
    receivers: &HashMap<String, watch::Receiver<Done>>,
    name: &str,
) -> Result<Vec<String>, ApplyError> {
    let project: &Project = &run.loaded.project;
    if !run.opts.no_deps || run.opts.services.is_empty() {
        for dep in graph.dependencies(name) {
            let Some(rx) = receivers.get(&dep.service) else {
                continue;
            };
            let mut rx = rx.clone();
            let ids = loop {
                if let Some(r) = rx.borrow().clone() {
                    break r;
                }
                if rx.changed().await.is_err() {
                    break Err("its task ended".into());
                }
            };
            let outcome = match ids {
                Err(e) => Err(format!("service \"{}\" failed: {e}", dep.service)),
                Ok(ids) => {
                    let mut res = Ok(());
                    if !run.opts.no_start {
                        for id in &ids {
                            if let Err(e) =
                                wait_condition(run, &dep.service, id, dep.condition).await
                            {
                                res = Err(e);
                                break;
                            }
                        }
                    }
                    res
                }
            };
            if let Err(e) = outcome {
                if dep.required {
                    return Err(ApplyError::Dependency(e));
                }
                run.progress.warn(&format!(
                    "optional dependency \"{}\" of \"{name}\" is not ready: {e}",
                    dep.service
                ));
            }
        }
    }
    let svc = &project.services[name];
    let actions = plan.services.get(name).cloned().unwrap_or_default();
    let futs = actions.into_iter().map(|a| async move {
        let _permit = run
            .limit
            .acquire()
            .await
            .map_err(|_| ApplyError::Interrupted)?;
        apply_action(run, name, svc, a).await
    });
    let results = futures_util::future::join_all(futs).await;
    let mut ids = Vec::new();
    for r in results {
        if let Some(id) = r? {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn resolve_container(run: &Run<'_>, service: &str) -> Option<String> {
    let svc = run.loaded.project.services.get(service)?;
    let name = spec::container_name(&run.loaded.name, service, svc, 1);
    run.names.lock().ok()?.get(&name).cloned().or(Some(name))
}

/// Applies one action; returns the ID of the container that now runs (if any).
async fn apply_action(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    action: Action,
) -> Result<Option<String>, ApplyError> {
    let engine = run.engine;
    let p = run.progress;
    match action {
        Action::Keep { container, .. } => {
            let status = if container.state == "exited" {
                "Exited"
            } else {
                "Running"
            };
            p.update(Resource::Container, &container.name, status, "");
            Ok(Some(container.id))
        }
        Action::Start { container, .. } => {
            if run.opts.no_start {
                return Ok(Some(container.id));
            }
            p.update(Resource::Container, &container.name, "Starting", "");
            engine.start_container(&container.id).await?;
            p.update(Resource::Container, &container.name, "Started", "");
            Ok(Some(container.id))
        }
        Action::Remove { container, .. } => {
            p.update(Resource::Container, &container.name, "Stopping", "");
            engine
                .stop_container(&container.id, run.opts.timeout)
                .await?;
            p.update(Resource::Container, &container.name, "Removing", "");
            engine.remove_container(&container.id, true).await?;
            p.update(Resource::Container, &container.name, "Removed", "");
            Ok(None)
        }
        Action::Create { number, .. } => {
            let pre = run
                .precreated
                .lock()
                .ok()
                .and_then(|m| m.get(&(name.to_string(), number)).cloned());
            let id = match pre {
                Some(id) => {
                    if !run.opts.no_start {
                        let cname = spec::container_name(&run.loaded.name, name, svc, number);
                        p.update(Resource::Container, &cname, "Starting", "");
                        start_service_container(engine, name, &cname, &id).await?;
                        p.update(Resource::Container, &cname, "Started", "");
                    }
                    id
                }
                None => create_container(run, name, svc, number, None, true).await?,
            };
            Ok(Some(id))
        }
        Action::Recreate {
            number,
            old,
            reason,
            ..
        } => {
            let why = recreate_detail(svc, &old, &reason);
            p.update(
                Resource::Container,
                &old.name,
                "Recreate",
                &format!("({why})"),
            );
            let inherited = if run.opts.renew_anon_volumes {
                None
            } else {
                engine.inspect_container(&old.id).await.ok()
            };
            engine.stop_container(&old.id, run.opts.timeout).await?;
            engine
                .remove_container(&old.id, run.opts.renew_anon_volumes)
                .await?;
            let id = create_container(run, name, svc, number, inherited.as_ref(), true).await?;
            p.update(Resource::Container, &old.name, "Recreated", "");
            Ok(Some(id))
        }
    }
}

async fn create_container(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    number: u32,
    inherit_from: Option<&ContainerDetails>,
    start: bool,
) -> Result<String, ApplyError> {
    let engine = run.engine;
    let image_id = run.images.get(name).cloned().flatten();
    let labels = container_labels(run.loaded, name, svc, number, image_id.as_deref(), false);
    let resolver = |s: &str| resolve_container(run, s);
    let environment = |k: &str| run.loaded.environment.get(k).map(str::to_string);
    let ctx = SpecContext {
        project: &run.loaded.project,
        project_name: &run.loaded.name,
        api_version: engine.api_version(),
        resolve_container: &resolver,
        environment: &environment,
        working_dir: &run.loaded.working_dir,
        base_environment: &run.proxy_env,
    };
    let mut spec: ContainerSpec = spec::container_spec(&ctx, name, svc, number, labels)?;
    if let Some(old) = inherit_from {
        spec.inherit_anonymous_volumes(old);
    }
    let warn = |w: String| {
        if let Ok(mut ws) = run.warnings.lock() {
            if !ws.contains(&w) {
                ws.push(w);
            }
        }
    };
    for w in &spec.warnings {
        warn(w.clone());
    }
    let p = run.progress;
    p.update(Resource::Container, &spec.name, "Creating", "");
    let id = match engine.create_from_spec(&spec).await {
        Ok((id, engine_warnings)) => {
            // What the engine accepted but discarded (e.g. a blkio weight without the cgroup).
            for w in engine_warnings {
                warn(format!("services.{name}: the engine says: {w}"));
            }
            id
        }
        Err(CreateError::Create(EngineError::Conflict(m))) => {
            return Err(ApplyError::Invalid(format!(
                "container name {} is already in use by a container that is not part of this project ({m}); remove or rename it",
                spec.name
            )))
        }
        Err(CreateError::Create(e @ EngineError::Unreachable { .. })) => return Err(e.into()),
        Err(CreateError::Create(e)) => {
            let key = refused_key(&e.to_string())
                .map(|k| format!(" (services.{name}.{k})"))
                .unwrap_or_default();
            return Err(ApplyError::Invalid(format!(
                "service \"{name}\": cannot create container {}{key}: {e}",
                spec.name
            )));
        }
        Err(e) => {
            return Err(ApplyError::Invalid(format!(
                "service \"{name}\": container {}: {e}",
                spec.name
            )))
        }
    };
    if let Ok(mut names) = run.names.lock() {
        names.insert(spec.name.clone(), id.clone());
    }
    p.update(Resource::Container, &spec.name, "Created", "");
    if start && !run.opts.no_start {
        p.update(Resource::Container, &spec.name, "Starting", "");
        start_service_container(engine, name, &spec.name, &id).await?;
        p.update(Resource::Container, &spec.name, "Started", "");
    }
    Ok(id)
}

/// Starts a new container of `service`; a refusal names the service and the container.
async fn start_service_container(
    engine: &Engine,
    service: &str,
    container: &str,
    id: &str,
) -> Result<(), ApplyError> {
    match engine.start_container(id).await {
        Ok(()) => Ok(()),
        Err(e @ EngineError::Unreachable { .. }) => Err(e.into()),
        Err(e) => Err(ApplyError::Invalid(format!(
            "service \"{service}\": cannot start container {container}: {e}"
        ))),
    }
}

/// The compose key behind an engine refusal that names the `docker run` flag instead.
fn refused_key(message: &str) -> Option<&'static str> {
    const FLAGS: &[(&str, &str)] = &[
        ("storage-opt", "storage_opt"),
        ("storage option", "storage_opt"),
        ("runtime", "runtime"),
        ("cgroup-parent", "cgroup_parent"),
        ("sysctl", "sysctls"),
        ("ulimit", "ulimits"),
        ("isolation", "isolation"),
        ("platform", "platform"),
        ("device", "devices"),
        ("security-opt", "security_opt"),
        ("seccomp", "security_opt"),
        ("log driver", "logging"),
        ("logging driver", "logging"),
        ("memory", "mem_limit"),
        ("cpuset", "cpuset"),
        ("ipc", "ipc"),
    ];
    let m = message.to_lowercase();
    FLAGS.iter().find(|(f, _)| m.contains(f)).map(|(_, k)| *k)
}

/// Waits until a dependency's container meets `condition`, woken by engine events.
async fn wait_condition(
    run: &Run<'_>,
    service: &str,
    id: &str,
    condition: Condition,
) -> Result<(), String> {
    if condition == Condition::Started {
        return Ok(());
    }
    let mut shown = false;
    loop {
        // Register interest before inspecting, so an event between the two is not lost.
        let notified = run.events.notified();
        let i = run
            .engine
            .inspect_container(id)
            .await
            .map_err(|e| e.to_string())?;
        let name = i.name.clone();
        let state = &i.state;
        let status = state.status;
        let exited = status.has_stopped();
        match condition {
            Condition::Healthy => {
                if !i.has_healthcheck() {
                    return Err(format!("container {name} has no healthcheck configured"));
                }
                match i.health() {
                    HealthStatus::Healthy => {
                        run.progress
                            .update(Resource::Container, &name, "Healthy", "");
                        return Ok(());
                    }
                    HealthStatus::Unhealthy => {
                        run.progress
                            .update(Resource::Container, &name, "Error", "unhealthy");
                        return Err(format!("container {name} is unhealthy"));
                    }
                    _ if exited => {
                        return Err(format!("container {name} exited ({})", state.exit_code));
                    }
                    _ => {}
                }
            }
            Condition::CompletedSuccessfully => {
                if exited {
                    let code = state.exit_code;
                    if code == 0 {
                        run.progress
                            .update(Resource::Container, &name, "Exited", "");
                        return Ok(());
                    }
                    run.progress.update(
                        Resource::Container,
                        &name,
                        "Error",
                        &format!("exit {code}"),
                    );
                    return Err(format!(
                        "service \"{service}\" didn't complete successfully: exit {code}"
                    ));
                }
            }
            Condition::Started => return Ok(()),
        }
        if !shown {
            run.progress
                .update(Resource::Container, &name, "Waiting", "");
            shown = true;
        }
        let mut wait = Duration::from_secs(2);
        if condition == Condition::Healthy && status == ContainerStatus::Running {
            // Podman without systemd: berth runs the check while it waits.
            match run.engine.drive_healthcheck(id, &i).await {
                Some(Duration::ZERO) => continue,
                Some(left) => wait = wait.min(left),
                None => {}
            }
        }
        // Events wake us at once; the timeout only guards against a missed event.
        let _ = tokio::time::timeout(wait, notified).await;
    }
}

/// `--wait`: a container is ready when it runs (and is healthy if it has a healthcheck), or
/// when it is a one-shot container that exited 0 (Compose v2 fails there, docker/compose#10596).
async fn wait_ready(run: &Run<'_>, id: &str, deadline: Option<Instant>) -> Result<(), ApplyError> {
    // When it was first seen running (without a healthcheck it must stay up a moment).
    let mut running_since: Option<Instant> = None;
    const SETTLE: Duration = Duration::from_millis(300);
    loop {
        let notified = run.events.notified();
        let i = run.engine.inspect_container(id).await?;
        let name = i.name.clone();
        let state = &i.state;
        let has_check = i.has_healthcheck();
        if state.status != ContainerStatus::Running {
            // A restart policy's next run must settle again.
            running_since = None;
        }
        match state.status {
            ContainerStatus::Exited | ContainerStatus::Dead => {
                let code = state.exit_code;
                if code == 0 {
                    run.progress
                        .update(Resource::Container, &name, "Exited", "");
                    return Ok(());
                }
                return Err(ApplyError::Dependency(format!(
                    "container {name} exited ({code})"
                )));
            }
            ContainerStatus::Running => {
                if !has_check {
                    // Without a healthcheck, "running" is all there is to wait for; a short
                    // settle time catches a container that exits right after it starts (an
                    // event may wake us before it is over: the time is what counts).
                    let since = *running_since.get_or_insert_with(Instant::now);
                    let up_for = since.elapsed();
                    if up_for >= SETTLE {
                        run.progress
                            .update(Resource::Container, &name, "Running", "");
                        return Ok(());
                    }
                    let _ = tokio::time::timeout(SETTLE - up_for, notified).await;
                    continue;
                }
                match i.health() {
                    HealthStatus::Healthy => {
                        run.progress
                            .update(Resource::Container, &name, "Healthy", "");
                        return Ok(());
                    }
                    HealthStatus::Unhealthy => {
                        run.progress
                            .update(Resource::Container, &name, "Error", "unhealthy");
                        return Err(ApplyError::Dependency(format!(
                            "container {name} is unhealthy"
                        )));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        run.progress
            .update(Resource::Container, &name, "Waiting", "");
        let mut wait = Duration::from_secs(2);
        if has_check && state.status == ContainerStatus::Running {
            // Podman without systemd: berth runs the check while it waits.
            match run.engine.drive_healthcheck(id, &i).await {
                Some(Duration::ZERO) => continue,
                Some(left) => wait = wait.min(left),
                None => {}
            }
        }
        if let Some(d) = deadline {
            let now = Instant::now();
            if now >= d {
                return Err(ApplyError::Timeout(format!(
                    "application not healthy after {:?}",
                    run.opts.wait_timeout.unwrap_or_default()
                )));
            }
            wait = wait.min(d - now);
        }
        let _ = tokio::time::timeout(wait, notified).await;
    }
}
