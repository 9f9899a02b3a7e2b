//! Taking a project down, and the other lifecycle commands that act on existing containers
//! (stop, start, restart, rm, kill, pause, unpause). Everything is found by the project's
//! labels, so they work with or without the compose file, and touch nothing else.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::future::join_all;
use tokio::sync::Semaphore;

use super::apply::{observe, ApplyError};
use super::plan::Observed;
use super::report::{Reporter, Resource};
use berth_compose::load::LoadedProject;
use berth_engine::labels as L;
use berth_engine::Engine;

/// `down`'s options.
#[derive(Clone, Debug, Default)]
pub struct DownOptions {
    pub remove_orphans: bool,
    pub volumes: bool,
    /// `--rmi local|all`.
    pub rmi: Option<String>,
    pub timeout: Option<i32>,
    pub parallel: usize,
    pub services: Vec<String>,
    /// `--dry-run`: say what would be removed, touch nothing.
    pub dry_run: bool,
}

/// Who depends on whom, from the project if we have it, else from the containers' labels.
pub fn dependencies(
    loaded: Option<&LoadedProject>,
    containers: &[Observed],
) -> HashMap<String, BTreeSet<String>> {
    let mut deps: HashMap<String, BTreeSet<String>> = HashMap::new();
    if let Some(l) = loaded {
        for (name, svc) in &l.project.services {
            deps.entry(name.clone())
                .or_default()
                .extend(svc.depends_on.keys().cloned());
        }
    }
    for o in containers {
        let e = deps.entry(o.service.clone()).or_default();
        if let Some(d) = o.labels.get(L::DEPENDS_ON) {
            for entry in d.split(',').filter(|s| !s.is_empty()) {
                e.insert(entry.split(':').next().unwrap_or_default().to_string());
            }
        }
    }
    deps
}

/// Stops containers in reverse dependency order, independent services in parallel: a service
/// is stopped once every service that depends on it is stopped.
pub async fn stop_in_order(
    engine: &Engine,
    containers: &[Observed],
    deps: &HashMap<String, BTreeSet<String>>,
    timeout: Option<i32>,
    parallel: usize,
    progress: &dyn Reporter,
    remove: Option<bool>,
) -> Result<(), ApplyError> {
    let mut by_service: BTreeMap<String, Vec<&Observed>> = BTreeMap::new();
    for o in containers {
        by_service.entry(o.service.clone()).or_default().push(o);
    }
    let mut remaining: BTreeSet<String> = by_service.keys().cloned().collect();
    let limit = Semaphore::new(parallel.max(1));
    while !remaining.is_empty() {
        // Services nobody remaining depends on.
        let wave: Vec<String> = remaining
            .iter()
            .filter(|s| {
                !remaining.iter().any(|other| {
                    other != *s && deps.get(other).map(|d| d.contains(*s)).unwrap_or(false)
                })
            })
            .cloned()
            .collect();
        // A cycle in labels (should not happen): take everything left.
        let wave = if wave.is_empty() {
            remaining.iter().cloned().collect()
        } else {
            wave
        };
        let jobs = wave.iter().flat_map(|s| by_service[s].iter()).map(|o| {
            let limit = &limit;
            async move {
                let _p = limit.acquire().await.map_err(|_| ApplyError::Interrupted)?;
                if o.state == "running" || o.state == "paused" || o.state == "restarting" {
                    progress.update(Resource::Container, &o.name, "Stopping", "");
                    engine.stop_container(&o.id, timeout).await?;
                    progress.update(Resource::Container, &o.name, "Stopped", "");
                }
                if let Some(volumes) = remove {
                    progress.update(Resource::Container, &o.name, "Removing", "");
                    engine.remove_container(&o.id, volumes).await?;
                    progress.update(Resource::Container, &o.name, "Removed", "");
                }
                Ok::<(), ApplyError>(())
            }
        });
        for r in join_all(jobs).await {
            r?;
        }
        for s in wave {
            remaining.remove(&s);
        }
    }
    Ok(())
}

/// `down`: containers (reverse dependency order), then networks, then volumes and images.
pub async fn down(
    engine: &Engine,
    project: &str,
    loaded: Option<&LoadedProject>,
    opts: &DownOptions,
    progress: &dyn Reporter,
) -> Result<Vec<String>, ApplyError> {
    let mut warnings = Vec::new();
    let _lock = match opts.dry_run {
        true => None,
        false => super::lock::ProjectLock::acquire(engine.host(), project, progress).await,
    };
    let all = observe(engine, project).await?;
    let known: Option<BTreeSet<String>> = loaded.map(|l| {
        let mut k: BTreeSet<String> = l.project.services.keys().cloned().collect();
        k.extend(l.disabled_services.iter().cloned());
        k
    });
    let (selected, orphans): (Vec<_>, Vec<_>) = all.into_iter().partition(|o| {
        o.oneoff
            || known
                .as_ref()
                .map(|k| k.contains(&o.service))
                .unwrap_or(true)
    });
    let selected: Vec<_> = selected
        .into_iter()
        .filter(|o| opts.services.is_empty() || opts.services.contains(&o.service))
        .collect();
    let mut targets = selected;
    if opts.remove_orphans {
        targets.extend(orphans);
    } else if !orphans.is_empty() && opts.services.is_empty() {
        let names: Vec<&str> = orphans.iter().map(|o| o.name.as_str()).collect();
        warnings.push(format!(
            "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
            names.join(" ")
        ));
    }
    let deps = dependencies(loaded, &targets);
    if opts.dry_run {
        for o in &targets {
            progress.update(Resource::Container, &o.name, "Would stop and remove", "");
        }
        if opts.services.is_empty() {
            let filter = [L::project_filter(project)];
            let external = Kept::of(loaded);
            for n in engine.list_networks(&filter).await? {
                if !external.networks_hold(&n.name, n.labels.get(L::NETWORK)) {
                    progress.update(Resource::Network, &n.name, "Would remove", "");
                }
            }
            if opts.volumes {
                for v in engine.list_volumes(&filter).await? {
                    if !external.volumes_hold(&v.name) {
                        progress.update(Resource::Volume, &v.name, "Would remove", "");
                    }
                }
            }
        }
        return Ok(warnings);
    }
    stop_in_order(
        engine,
        &targets,
        &deps,
        opts.timeout,
        opts.parallel,
        progress,
        Some(opts.volumes),
    )
    .await?;
    if !opts.services.is_empty() {
        return Ok(warnings);
    }

    // Networks, volumes and images carrying the project label, in parallel; never one the
    // loaded file now declares `external` (it was handed over: Compose v2 keeps it too).
    let filter = [L::project_filter(project)];
    let external = Kept::of(loaded);
    let nets: Vec<_> = engine
        .list_networks(&filter)
        .await?
        .into_iter()
        .filter(|n| !external.networks_hold(&n.name, n.labels.get(L::NETWORK)))
        .collect();
    let net_jobs = nets.iter().map(|n| async move {
        let name = n.name.clone();
        progress.update(Resource::Network, &name, "Removing", "");
        match engine
            .remove_network(if n.id.is_empty() { &name } else { &n.id })
            .await
        {
            Ok(()) => {
                progress.update(Resource::Network, &name, "Removed", "");
                Ok(())
            }
            Err(e) => {
                progress.update(Resource::Network, &name, "Error", "");
                Err(ApplyError::from(e))
            }
        }
    });
    let vol_jobs = async {
        if !opts.volumes {
            return Ok::<(), ApplyError>(());
        }
        for v in engine.list_volumes(&filter).await? {
            if external.volumes_hold(&v.name) {
                continue;
            }
            progress.update(Resource::Volume, &v.name, "Removing", "");
            engine.remove_volume(&v.name).await?;
            progress.update(Resource::Volume, &v.name, "Removed", "");
        }
        // The update history goes with the volumes (plain `down` keeps it for `rollback`).
        for v in crate::converge::history::forget(engine, project).await? {
            progress.update(Resource::Volume, &v, "Removed", "");
        }
        Ok(())
    };
    let img_jobs = async {
        let Some(mode) = opts.rmi.as_deref() else {
            return Ok::<(), ApplyError>(());
        };
        let Some(l) = loaded else { return Ok(()) };
        let mut images = BTreeSet::new();
        for (name, svc) in &l.project.services {
            match (&svc.image, mode) {
                (None, _) => {
                    images.insert(format!("{project}-{name}"));
                }
                (Some(i), "all") => {
                    images.insert(i.clone());
                }
                _ => {}
            }
        }
        for i in images {
            progress.update(Resource::Image, &i, "Removing", "");
            engine.remove_image(&i).await?;
            progress.update(Resource::Image, &i, "Removed", "");
        }
        Ok(())
    };
    let (nets_r, vol_r, img_r) = tokio::join!(join_all(net_jobs), vol_jobs, img_jobs);
    for r in nets_r {
        r?;
    }
    vol_r?;
    img_r?;
    Ok(warnings)
}

/// What `down` leaves alone when a file is loaded: the networks it declares `external` (by
/// compose key, the label a project-created network carries, or by engine name), and every
/// volume it does not declare as its own. Volumes hold data: as in Compose v2, `down -v`
/// removes only the volumes the file declares and does not mark `external`, so a volume handed
/// over (now `external`) or dropped from the file survives. Without a file, the labels decide.
#[derive(Default)]
struct Kept {
    networks: BTreeSet<String>,
    /// Engine names of the file's own volumes; `None` without a file.
    own_volumes: Option<BTreeSet<String>>,
}

impl Kept {
    fn of(loaded: Option<&LoadedProject>) -> Kept {
        let mut e = Kept::default();
        let Some(l) = loaded else { return e };
        for (key, n) in l.project.networks.iter().filter(|(_, n)| n.external) {
            e.networks.insert(key.clone());
            e.networks.extend(n.name.clone());
        }
        e.own_volumes = Some(
            l.project
                .volumes
                .iter()
                .filter(|(_, v)| !v.external)
                .map(|(key, v)| {
                    v.name
                        .clone()
                        .unwrap_or_else(|| format!("{}_{key}", l.name))
                })
                .collect(),
        );
        e
    }

    fn networks_hold(&self, name: &str, key: Option<&String>) -> bool {
        self.networks.contains(name) || key.is_some_and(|k| self.networks.contains(k))
    }

    fn volumes_hold(&self, name: &str) -> bool {
        self.own_volumes
            .as_ref()
            .is_some_and(|own| !own.contains(name))
    }
}
