//! `berth watch` and `up --watch`: the `develop.watch` rules of the selected services, applied
//! to the running containers as files change on the host.
//!
//! - `rules`: each rule checked (a rule that cannot work is an error, with its file position)
//!   and compiled into a matcher (`ignore`, `include`, the context's `.dockerignore`).
//! - `fs`: notify events, batched until the tree is quiet, new directories walked.
//! - `sync`: copies through the archive API, deletions with `rm -rf` in the container.
//!
//! Per batch and service: a `rebuild` rule that matched wins (build, then recreate the
//! service's containers); otherwise the sync rules copy and delete, then `restart` /
//! `sync+restart` restart the containers and `sync+exec` runs its command. Every action prints
//! one plain line with its timing.

pub mod fs;
pub mod rules;
pub mod sync;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::converge::apply::{self, UpOptions};
use crate::ui::progress::{Mode, Progress};
use berth_compose::load::LoadedProject;
use berth_engine::io::ExecRequest;
use berth_engine::{spec, Engine};

pub use rules::{Action, Rule, RuleError};

use fs::Change;
use sync::Copy;

/// `--quiet`, `--prune`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Hide build output.
    pub quiet: bool,
    /// Remove the image a rebuild replaced, when nothing else uses or names it.
    pub prune: bool,
}

/// `40 ms`, `2.1 s`.
pub fn took(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// A running container of a watched service.
#[derive(Clone, Debug)]
struct Target {
    id: String,
    name: String,
}

async fn running(engine: &Engine, project: &str, service: &str) -> Result<Vec<Target>, String> {
    let mut v: Vec<_> = apply::observe(engine, project)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|o| o.service == service && !o.oneoff && o.state == "running")
        .collect();
    v.sort_by_key(|o| o.number);
    Ok(v.into_iter()
        .map(|o| Target {
            id: o.id,
            name: o.name,
        })
        .collect())
}

/// Watches until the file watcher fails (Ctrl-C is the caller's: it drops this future).
///
/// Each action is told in one plain line to `say` (berth prints them beside the logs of
/// `up --watch`).
pub async fn run(
    engine: &Engine,
    loaded: &LoadedProject,
    rules: &[Rule],
    opts: &Options,
    say: &(dyn Fn(&str) + Sync),
) -> Result<(), String> {
    let w = Session {
        engine,
        loaded,
        opts,
        say,
    };
    let mut roots: Vec<PathBuf> = rules.iter().map(|r| r.path.clone()).collect();
    roots.sort();
    roots.dedup();
    let mut watcher = fs::FsWatcher::start(&roots)?;
    let services: Vec<String> = {
        let mut s: Vec<String> = rules.iter().map(|r| r.service.clone()).collect();
        s.dedup();
        s
    };
    w.check_removal(rules, &services).await;
    for r in rules.iter().filter(|r| r.initial_sync && r.action.syncs()) {
        let mut all = BTreeSet::new();
        if r.path.is_dir() {
            fs::walk(&r.path, &|p| r.enters(p), &mut all);
        } else {
            all.insert(Change::File(r.path.clone()));
        }
        let changes: Vec<Change> = all
            .into_iter()
            .filter(|c| r.wants(c.path(), matches!(c, Change::Dir(_))))
            .collect();
        w.apply_syncs(&r.service, &[(r, changes)], "initial sync: ")
            .await;
    }
    let summary: Vec<String> = services
        .iter()
        .map(|s| {
            let n = rules.iter().filter(|r| &r.service == s).count();
            format!("{s} ({})", plural(n, "rule"))
        })
        .collect();
    say(&format!(
        "watch: watching {} for changes; Ctrl-C stops",
        summary.join(", ")
    ));
    while let Some(batch) = watcher.next_batch().await {
        let batch = batch.map_err(|e| format!("the file watcher failed: {e}"))?;
        let changes = fs::resolve(&batch, &|p| rules.iter().any(|r| r.enters(p)));
        for service in &services {
            let matched: Vec<(&Rule, Vec<Change>)> = rules
                .iter()
                .filter(|r| &r.service == service)
                .filter_map(|r| {
                    let mine: Vec<Change> = changes
                        .iter()
                        .filter(|c| r.wants(c.path(), matches!(c, Change::Dir(_))))
                        .cloned()
                        .collect();
                    (!mine.is_empty()).then_some((r, mine))
                })
                .collect();
            if matched.is_empty() {
                continue;
            }
            if let Some((_, why)) = matched.iter().find(|(r, _)| r.action == Action::Rebuild) {
                w.rebuild(service, why).await;
                continue;
            }
            w.apply_syncs(service, &matched, "").await;
        }
    }
    Ok(())
}

/// One watch: the engine, the project, the options and where its lines go.
struct Session<'a> {
    engine: &'a Engine,
    loaded: &'a LoadedProject,
    opts: &'a Options,
    say: &'a (dyn Fn(&str) + Sync),
}

impl Session<'_> {
    /// Warns, before anything changes, about sync rules whose deletions cannot be carried out: a
    /// container without `rm`.
    async fn check_removal(&self, rules: &[Rule], services: &[String]) {
        let (engine, loaded, say) = (self.engine, self.loaded, self.say);
        for s in services {
            if !rules.iter().any(|r| &r.service == s && r.action.syncs()) {
                continue;
            }
            let Ok(targets) = running(engine, &loaded.name, s).await else {
                continue;
            };
            let Some(t) = targets.first() else { continue };
            let mut found = false;
            for rm in ["/bin/rm", "/usr/bin/rm", "/sbin/rm", "/usr/sbin/rm"] {
                if let Ok(Some(_)) = engine.stat_path(&t.id, rm).await {
                    found = true;
                    break;
                }
            }
            if !found {
                say(&format!(
                "watch: WARNING service \"{s}\": its container has no `rm`, so files deleted on \
                 the host will stay in the container (copies work: the engine unpacks them)"
            ));
            }
        }
    }

    /// Copies, deletes, restarts and runs `sync+exec` commands for the rules of one service that
    /// matched, in every running container of the service.
    async fn apply_syncs(&self, service: &str, matched: &[(&Rule, Vec<Change>)], what: &str) {
        let (engine, loaded, say) = (self.engine, self.loaded, self.say);
        let targets = match running(engine, &loaded.name, service).await {
            Ok(t) => t,
            Err(e) => {
                say(&format!(
                    "watch: {service}: cannot list its containers: {e}"
                ));
                return;
            }
        };
        let n_changes: usize = matched.iter().map(|(_, c)| c.len()).sum();
        if targets.is_empty() {
            say(&format!(
            "watch: {service} has no running container: {} not applied (start it with `berth up`)",
            plural(n_changes, "change")
        ));
            return;
        }
        let mut copies: BTreeSet<Copy> = BTreeSet::new();
        let mut deletions: BTreeSet<String> = BTreeSet::new();
        for (r, changes) in matched.iter().filter(|(r, _)| r.action.syncs()) {
            for c in changes {
                let Some(container) = r.container_path(c.path()) else {
                    continue;
                };
                match c {
                    Change::File(p) | Change::Dir(p) => {
                        copies.insert(Copy {
                            host: p.clone(),
                            container,
                        });
                    }
                    Change::Deleted(_) => {
                        deletions.insert(container);
                    }
                }
            }
        }
        // A path deleted and another copied beneath it (a directory replaced): copies win.
        let deletions: Vec<String> = deletions
            .into_iter()
            .filter(|d| !copies.iter().any(|c| &c.container == d))
            .collect();
        let copies: Vec<Copy> = copies.into_iter().collect();
        if !copies.is_empty() || !deletions.is_empty() {
            let built = {
                let copies = copies.clone();
                tokio::task::spawn_blocking(move || sync::archive(&copies)).await
            };
            let (tar, files) = match built {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => {
                    say(&format!(
                        "watch: {service}: cannot read the changed files: {e}"
                    ));
                    return;
                }
                Err(e) => {
                    say(&format!("watch: {service}: {e}"));
                    return;
                }
            };
            let results = futures_util::future::join_all(targets.iter().map(|t| {
                let tar = tar.clone();
                let deletions = &deletions;
                let copies = &copies;
                async move {
                    let t0 = Instant::now();
                    if !copies.is_empty() {
                        sync::copy_in(engine, &t.id, tar).await?;
                    }
                    if !deletions.is_empty() {
                        sync::remove(engine, &t.id, deletions).await?;
                    }
                    Ok::<Duration, String>(t0.elapsed())
                }
            }))
            .await;
            for (t, r) in targets.iter().zip(results) {
                match r {
                    Ok(d) => {
                        let line = match (files, deletions.len()) {
                            (_, 0) => format!("synced {} to {}", plural(files, "file"), t.name),
                            (0, n) => format!("deleted {} from {}", plural(n, "path"), t.name),
                            (f, n) => format!(
                                "synced {} to {} ({} deleted)",
                                plural(f, "file"),
                                t.name,
                                plural(n, "path")
                            ),
                        };
                        say(&format!("watch: {what}{line} in {}", took(d)));
                    }
                    Err(e) => say(&format!("watch: {what}sync to {} failed: {e}", t.name)),
                }
            }
        }
        let restart = matched
            .iter()
            .any(|(r, _)| matches!(r.action, Action::Restart | Action::SyncRestart));
        if restart {
            for t in &targets {
                let t0 = Instant::now();
                let r = match engine.stop_container(&t.id, None).await {
                    Ok(()) => engine.start_container(&t.id).await,
                    Err(e) => Err(e),
                };
                match r {
                    Ok(()) => say(&format!(
                        "watch: restarted {} in {}",
                        t.name,
                        took(t0.elapsed())
                    )),
                    Err(e) => say(&format!("watch: restart of {} failed: {e}", t.name)),
                }
            }
        }
        for (r, _) in matched.iter().filter(|(r, _)| r.action == Action::SyncExec) {
            let Some(hook) = &r.exec else { continue };
            let cmd = hook.command.clone().unwrap_or_default();
            let req = ExecRequest {
                cmd: cmd.clone(),
                env: hook
                    .environment
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => k.clone(),
                    })
                    .collect(),
                user: hook.user.clone(),
                working_dir: hook.working_dir.clone(),
                privileged: hook.privileged,
                ..Default::default()
            };
            let shown = shell_words::join(&cmd);
            for t in &targets {
                let t0 = Instant::now();
                match sync::exec_capture(engine, &t.id, &req).await {
                    Ok((code, out)) => {
                        for line in String::from_utf8_lossy(&out).lines() {
                            say(&format!("{}  | {line}", t.name));
                        }
                        say(&format!(
                            "watch: ran `{shown}` in {} in {} (exit code {code})",
                            t.name,
                            took(t0.elapsed())
                        ));
                    }
                    Err(e) => say(&format!("watch: `{shown}` in {} failed: {e}", t.name)),
                }
            }
        }
    }

    /// Builds the service's image and recreates its containers; a failed build leaves the running
    /// containers alone and the watch goes on.
    async fn rebuild(&self, service: &str, why: &[Change]) {
        let (engine, loaded, say, opts) = (self.engine, self.loaded, self.say, self.opts);
        let t0 = Instant::now();
        let svc = &loaded.project.services[service];
        let image = spec::image_name(&loaded.name, service, svc);
        say(&format!(
            "watch: rebuilding {service} ({} changed)",
            describe_changes(&loaded.working_dir, why)
        ));
        let old = engine.image_id(&image).await.ok().flatten();
        let quiet = opts.quiet;
        let print = move |s: &str, line: &str| {
            if !quiet {
                say(&format!("{s}  | {line}"));
            }
        };
        let built = berth_engine::build::build_services(
            engine,
            loaded,
            &[service.to_string()],
            &berth_engine::build::BuildFlags::default(),
            1,
            &print,
        )
        .await;
        let new_id = match built {
            Ok(ids) => ids.into_iter().next().map(|(_, id)| id),
            Err(errors) => {
                for e in errors {
                    say(&format!(
                        "watch: rebuild of {service} failed, its containers are unchanged: {e}"
                    ));
                }
                return;
            }
        };
        let quiet_progress = Progress::new(Mode::Quiet, false, "");
        let up = UpOptions {
            services: vec![service.to_string()],
            no_deps: true,
            ..Default::default()
        };
        match apply::up(engine, loaded, &up, &quiet_progress).await {
            Ok(_) => {
                let names: Vec<String> = running(engine, &loaded.name, service)
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| t.name)
                    .collect();
                say(&format!(
                    "watch: rebuilt {service} and recreated {} in {}",
                    if names.is_empty() {
                        "its containers".to_string()
                    } else {
                        names.join(", ")
                    },
                    took(t0.elapsed())
                ));
            }
            Err(e) => {
                say(&format!(
                    "watch: {service} was rebuilt but not recreated: {e}"
                ));
                return;
            }
        }
        if opts.prune {
            if let (Some(old), Some(new)) = (old, new_id) {
                if old != new {
                    prune(engine, &old, say).await;
                }
            }
        }
    }
}

fn describe_changes(root: &Path, changes: &[Change]) -> String {
    let first = changes
        .first()
        .map(|c| {
            c.path()
                .strip_prefix(root)
                .unwrap_or(c.path())
                .display()
                .to_string()
        })
        .unwrap_or_default();
    if changes.len() > 1 {
        format!("{first} and {} more", changes.len() - 1)
    } else {
        first
    }
}

/// Removes a replaced image when it has no name left (a dangling image); an image still used
/// by a container stays.
async fn prune(engine: &Engine, id: &str, say: &(dyn Fn(&str) + Sync)) {
    match engine.image_tags(id).await {
        Ok(Some(tags)) if tags.is_empty() => match engine.remove_image(id).await {
            Ok(()) => say(&format!(
                "watch: pruned the replaced image {}",
                short_id(id)
            )),
            Err(e) => say(&format!(
                "watch: the replaced image {} stays: {e}",
                short_id(id)
            )),
        },
        _ => {}
    }
}

fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}
