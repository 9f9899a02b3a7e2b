//! The service graph walked concurrently: every new container created up front, then each
//! service started as soon as its own dependencies meet their condition, its actions (create,
//! recreate, start, keep, remove) applied.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, Notify, Semaphore};

use berth_compose::graph::ServiceGraph;
use berth_compose::load::LoadedProject;
use berth_compose::model::{Project, Service};
use berth_engine::spec::{self, ContainerSpec, SpecContext};
use berth_engine::{ContainerDetails, CreateError, Endpoints, Engine, EngineError};

use super::describe::recreate_detail;
use super::labels::container_labels;
use super::wait::wait_condition;
use super::{ApplyError, UpOptions};
use crate::converge::plan::{self, Action, Plan};
use crate::converge::report::{Reporter, Resource};

/// What a service task publishes when it is done: its containers, or why it failed.
type Done = Option<Result<Vec<String>, String>>;

/// Shared state of one `up` run.
pub(super) struct Run<'a> {
    pub(super) engine: &'a Engine,
    pub(super) loaded: &'a LoadedProject,
    pub(super) progress: &'a dyn Reporter,
    pub(super) opts: &'a UpOptions,
    pub(super) images: HashMap<String, Option<String>>,
    /// Every container of the project by name, as it is now (for `service:x` references).
    pub(super) names: Mutex<HashMap<String, String>>,
    /// Pinged on every engine event for the project.
    pub(super) events: Arc<Notify>,
    pub(super) limit: Semaphore,
    pub(super) warnings: Mutex<Vec<String>>,
    /// Proxy variables from the Docker CLI configuration, for every container.
    pub(super) proxy_env: Vec<(String, String)>,
    /// Containers created ahead of their turn, by (service, number): only started when due.
    pub(super) precreated: Mutex<HashMap<(String, u32), String>>,
}

/// `--always-recreate-deps`: a recreated service's dependents are recreated too.
pub(super) fn force_recreate_dependents(plan: &mut Plan, graph: &ServiceGraph) {
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

/// Creates every new container up front, in parallel: a service waiting for a healthy
/// dependency then only has to start. Services that reference another service's container
/// (network_mode/ipc/pid `service:`, volumes_from, links) are created at their turn.
pub(super) async fn precreate(
    run: &Run<'_>,
    selected: &[String],
    plan: &Plan,
) -> Result<(), ApplyError> {
    let project = &run.loaded.project;
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
    let jobs = creates.map(|(name, svc, number)| async move {
        let _permit = run
            .limit
            .acquire()
            .await
            .map_err(|_| ApplyError::Interrupted)?;
        let id = create_container(
            run,
            &name,
            svc,
            number,
            NewContainer {
                inherit_from: None,
                start: false,
                aside: None,
                hold_aliases: false,
            },
        )
        .await?
        .id;
        if let Ok(mut m) = run.precreated.lock() {
            m.insert((name, number), id);
        }
        Ok::<(), ApplyError>(())
    });
    for r in futures_util::future::join_all(jobs).await {
        r?;
    }
    Ok(())
}

/// Walks the graph: one task per service, each waiting on its dependencies' channels before
/// applying its actions. Returns the containers of each service, or the first failure.
pub(super) async fn walk(
    run: &Run<'_>,
    graph: &ServiceGraph,
    plan: &Plan,
    selected: &[String],
) -> Result<BTreeMap<String, Vec<String>>, ApplyError> {
    let mut senders: HashMap<String, watch::Sender<Done>> = HashMap::new();
    let mut receivers: HashMap<String, watch::Receiver<Done>> = HashMap::new();
    for s in selected {
        let (tx, rx) = watch::channel(None);
        senders.insert(s.clone(), tx);
        receivers.insert(s.clone(), rx);
    }
    let tasks = selected.iter().map(|name| {
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
    let mut containers = BTreeMap::new();
    let mut first_error = None;
    for (name, r) in futures_util::future::join_all(tasks).await {
        match r {
            Ok(ids) => {
                containers.insert(name, ids);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(containers),
    }
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
    // A kept container under another name: the replacement a crash left under its name aside
    // (the old one is removed among these actions). It gets its name back once they are done.
    let misnamed: Vec<(String, String)> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Keep { container, .. } | Action::Start { container, .. } => {
                let want = spec::container_name(&run.loaded.name, name, svc, container.number);
                (container.name != want).then(|| (container.id.clone(), want))
            }
            _ => None,
        })
        .collect();
    // Under `deploy.update_config` (or `rollback_config` in a rollback), replacements follow
    // the service's update policy; everything else is applied as it comes.
    let policy = super::update::policy(svc, run.opts.rollback.contains_key(name));
    let (replace, actions): (Vec<Action>, Vec<Action>) = actions
        .into_iter()
        .partition(|a| policy.is_some() && matches!(a, Action::Recreate { .. }));
    let replace: Vec<super::update::Replace> = replace
        .into_iter()
        .filter_map(|a| match a {
            Action::Recreate {
                number,
                old,
                reason,
                ..
            } => Some(super::update::Replace {
                number,
                old,
                reason,
            }),
            _ => None,
        })
        .collect();
    let rolled = async {
        match (&policy, replace.is_empty()) {
            (Some(policy), false) => super::update::roll(run, name, svc, policy, replace).await,
            _ => Ok(Vec::new()),
        }
    };
    let futs = actions.into_iter().map(|a| async move {
        let _permit = run
            .limit
            .acquire()
            .await
            .map_err(|_| ApplyError::Interrupted)?;
        apply_action(run, name, svc, a).await
    });
    // The other actions first: a replacement an interrupted update left is removed before
    // its replica is updated again (under the same name aside).
    let results = futures_util::future::join_all(futs).await;
    let mut ids = Vec::new();
    for r in results {
        if let Some(id) = r? {
            ids.push(id);
        }
    }
    ids.extend(rolled.await?);
    for (id, want) in misnamed {
        if run.engine.rename_container(&id, &want).await.is_ok() {
            if let Ok(mut names) = run.names.lock() {
                names.insert(want, id);
            }
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
            p.update(Resource::Container, &container.name, "Stopped", "");
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
                None => {
                    create_container(
                        run,
                        name,
                        svc,
                        number,
                        NewContainer {
                            inherit_from: None,
                            start: true,
                            aside: None,
                            hold_aliases: false,
                        },
                    )
                    .await?
                    .id
                }
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
            // The replacement first, under a name of its own (as Compose v2 does): a crash
            // anywhere leaves the old container or the new one, never neither.
            let final_name = spec::container_name(&run.loaded.name, name, svc, number);
            let aside = format!("{}_{final_name}", &old.id[..old.id.len().min(12)]);
            let id = create_container(
                run,
                name,
                svc,
                number,
                NewContainer {
                    inherit_from: inherited.as_ref(),
                    start: false,
                    aside: Some(&aside),
                    hold_aliases: false,
                },
            )
            .await?
            .id;
            engine.stop_container(&old.id, run.opts.timeout).await?;
            engine
                .remove_container(&old.id, run.opts.renew_anon_volumes)
                .await?;
            engine.rename_container(&id, &final_name).await?;
            if !run.opts.no_start {
                p.update(Resource::Container, &final_name, "Starting", "");
                start_service_container(engine, name, &final_name, &id).await?;
                p.update(Resource::Container, &final_name, "Started", "");
            }
            p.update(Resource::Container, &old.name, "Recreated", "");
            Ok(Some(id))
        }
    }
}

/// How a new container is made.
pub(super) struct NewContainer<'b> {
    /// The container it replaces: its anonymous volumes are taken over.
    pub inherit_from: Option<&'b ContainerDetails>,
    /// Started once created.
    pub start: bool,
    /// Created under this name (renamed to its own once the old one is gone).
    pub aside: Option<&'b str>,
    /// Created without its service's aliases ([`Created::held`] has them).
    pub hold_aliases: bool,
}

/// A container made by [`create_container`].
pub(super) struct Created {
    pub id: String,
    /// The endpoints held back (empty unless [`NewContainer::hold_aliases`]).
    pub held: Endpoints,
}

pub(super) async fn create_container(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    number: u32,
    how: NewContainer<'_>,
) -> Result<Created, ApplyError> {
    let NewContainer {
        inherit_from,
        start,
        aside,
        hold_aliases,
    } = how;
    let engine = run.engine;
    let image_id = run.images.get(name).cloned().flatten();
    let mut labels = container_labels(run.loaded, name, svc, number, image_id.as_deref(), false);
    if hold_aliases {
        labels.insert(berth_engine::labels::BERTH_HELD.into(), "True".into());
    }
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
    let held = match hold_aliases {
        true => spec.hold_aliases(),
        false => Endpoints::default(),
    };
    // A replacement is created under a name aside and renamed once the old one is gone; what
    // the user reads is the container's name.
    let shown = spec.name.clone();
    if let Some(a) = aside {
        spec.name = a.to_string();
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
    p.update(Resource::Container, &shown, "Creating", "");
    let id = match engine.create_from_spec(&spec).await {
        Ok((id, engine_warnings)) => {
            // What the engine accepted but discarded (e.g. a blkio weight without the cgroup).
            for w in engine_warnings {
                warn(format!("services.{name}: the engine says: {w}"));
            }
            id
        }
        Err(CreateError::Create(EngineError::Conflict(m))) => {
            // Podman keeps the name of a container a crash left half-made ("storage only"):
            // no API call lists it, and only `podman rm --storage` removes it.
            let storage_only = engine.kind() == berth_engine::EngineKind::Podman
                && engine
                    .inspect_container(&spec.name)
                    .await
                    .is_err_and(|e| e.is_not_found());
            if storage_only {
                return Err(ApplyError::Invalid(format!(
                    "container name {} is held by a storage-only Podman container (left by a crash; `podman ps --external` shows it): remove it with `podman rm --storage {}`, then run `up` again",
                    spec.name, spec.name
                )));
            }
            return Err(ApplyError::Invalid(format!(
                "container name {} is already in use by a container that is not part of this project ({m}); remove or rename it",
                spec.name
            )));
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
        names.insert(shown.clone(), id.clone());
    }
    p.update(Resource::Container, &shown, "Created", "");
    if start && !run.opts.no_start {
        p.update(Resource::Container, &shown, "Starting", "");
        start_service_container(engine, name, &shown, &id).await?;
        p.update(Resource::Container, &shown, "Started", "");
    }
    Ok(Created { id, held })
}

/// What keeps two containers of the service from running at once (a fixed host port, a
/// static address, a written volume), if anything.
pub(super) fn exclusive(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
) -> Result<Option<String>, ApplyError> {
    let resolver = |s: &str| resolve_container(run, s);
    let environment = |k: &str| run.loaded.environment.get(k).map(str::to_string);
    let ctx = SpecContext {
        project: &run.loaded.project,
        project_name: &run.loaded.name,
        api_version: run.engine.api_version(),
        resolve_container: &resolver,
        environment: &environment,
        working_dir: &run.loaded.working_dir,
        base_environment: &run.proxy_env,
    };
    let spec = spec::container_spec(&ctx, name, svc, 1, Default::default())?;
    Ok(spec.exclusive())
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
