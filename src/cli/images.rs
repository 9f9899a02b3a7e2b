//! `berth build`, `berth pull`, `berth push`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use clap::Args;
use futures_util::StreamExt;

use super::{engine_session, warn, Failure, GlobalOptions};
use crate::ui::progress::Progress;
use berth_compose::graph::ServiceGraph;
use berth_compose::load::{LoadFlags, LoadedProject};
use berth_engine::build::{self, BuildFlags};
use berth_engine::images::TransferEvent;
use berth_engine::{spec, Engine};

#[derive(Args, Debug, Default, Clone)]
pub struct BuildArgs {
    /// Set build-time variables for services (KEY=VALUE, or KEY to take it from the environment)
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]")]
    pub build_arg: Vec<String>,
    /// Do not use cache when building the image
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image
    #[arg(long)]
    pub pull: bool,
    /// Don't print anything to standard output
    #[arg(short, long)]
    pub quiet: bool,
    /// Push service images after building them
    #[arg(long)]
    pub push: bool,
    /// Services to build (default: all with a build section)
    pub services: Vec<String>,
}

#[derive(Args, Debug, Default, Clone)]
pub struct PullArgs {
    /// Pull without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
    /// Pull what it can and ignore images with pull failures
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Also pull services declared as dependencies
    #[arg(long)]
    pub include_deps: bool,
    /// Apply pull policy ("missing"|"always")
    #[arg(long)]
    pub policy: Option<String>,
    /// Services to pull (default: all)
    pub services: Vec<String>,
}

#[derive(Args, Debug, Default, Clone)]
pub struct PushArgs {
    /// Push what it can and ignore images with push failures
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Push without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
    /// Also push images of services declared as dependencies
    #[arg(long)]
    pub include_deps: bool,
    /// Services to push (default: all)
    pub services: Vec<String>,
}

fn quiet_progress() -> Progress {
    Progress::new(crate::ui::progress::Mode::Quiet, false, "")
}

fn load(global: &GlobalOptions, services: &[String]) -> Result<LoadedProject, Failure> {
    let flags = LoadFlags {
        services: services.to_vec(),
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    for s in services {
        if !loaded.project.services.contains_key(s) {
            return Err(Failure::new(1, format!("no such service: {s}")));
        }
    }
    Ok(loaded)
}

/// Services named (with their dependencies when `deps`), or all, in start order.
fn selection(loaded: &LoadedProject, names: &[String], deps: bool) -> Vec<String> {
    let graph = ServiceGraph::from_project(&loaded.project);
    if names.is_empty() {
        return graph.start_order();
    }
    let set: BTreeSet<String> = if deps {
        graph.with_dependencies(names).into_iter().collect()
    } else {
        names.iter().cloned().collect()
    };
    graph
        .start_order()
        .into_iter()
        .filter(|s| set.contains(s))
        .collect()
}

/// Builds `names` with output lines prefixed by the service; shared with `up --build`.
pub async fn build_with_output(
    engine: &Engine,
    loaded: &LoadedProject,
    names: &[String],
    flags: &BuildFlags,
    parallel: usize,
    progress: &Progress,
    quiet: bool,
) -> Result<Vec<(String, String)>, Failure> {
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    let print = |svc: &str, line: &str| {
        if !quiet {
            progress.note(&format!("{svc:<width$}  | {line}"));
        }
    };
    let r = build::build_services(engine, loaded, names, flags, parallel, &print).await;
    match r {
        Ok(ids) => {
            for (svc, _) in &ids {
                let image = spec::image_name(&loaded.name, svc, &loaded.project.services[svc]);
                progress.update("Image", &image, "Built", "");
            }
            Ok(ids)
        }
        Err(errors) => Err(Failure::new(1, errors.join("\n"))),
    }
}

pub fn build(global: &GlobalOptions, args: BuildArgs) -> Result<i32, Failure> {
    let loaded = load(global, &args.services)?;
    let names: Vec<String> = selection(&loaded, &args.services, false)
        .into_iter()
        .filter(|n| loaded.project.services[n].build.is_some())
        .collect();
    let flags = BuildFlags {
        no_cache: args.no_cache,
        pull: args.pull,
        build_args: args.build_arg.clone(),
    };
    // Validate before connecting: a remote context or ssh is an error offline either way.
    for n in &names {
        build::spec_for_service(&loaded, n, &flags).map_err(|e| Failure::new(1, e))?;
    }
    if global.dry_run {
        for n in &names {
            eprintln!(
                "DRY-RUN build {}",
                spec::image_name(&loaded.name, n, &loaded.project.services[n])
            );
        }
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = if args.quiet {
            quiet_progress()
        } else {
            progress
        };
        build_with_output(
            &engine,
            &loaded,
            &names,
            &flags,
            global.parallelism(),
            &progress,
            args.quiet,
        )
        .await?;
        progress.finish();
        if args.push {
            let targets: Vec<String> = names
                .iter()
                .filter_map(|n| loaded.project.services[n].image.clone())
                .collect();
            push_images(&engine, &targets, false, &progress).await?;
            progress.finish();
        }
        Ok(0)
    })
}

/// Aggregated bytes of one image's layers.
#[derive(Default)]
struct Bytes {
    layers: HashMap<String, (i64, i64)>,
}

impl Bytes {
    fn detail(&mut self, e: &TransferEvent) -> String {
        if let (Some(l), Some(c), Some(t)) = (&e.layer, e.current, e.total) {
            if t > 0 {
                self.layers.insert(l.clone(), (c, t));
            }
        }
        let (c, t) = self
            .layers
            .values()
            .fold((0, 0), |(a, b), (c, t)| (a + c, b + t));
        if t > 0 {
            format!("{} / {}", human(c as u64), human(t as u64))
        } else {
            String::new()
        }
    }
}

pub use crate::ui::bytes::human;

/// Pushes `targets`; failures are warnings when `ignore_failures`.
pub async fn push_images(
    engine: &Engine,
    targets: &[String],
    ignore_failures: bool,
    progress: &Progress,
) -> Result<(), Failure> {
    let (registries, warnings) = berth_engine::CliConfig::load().registries();
    for w in warnings {
        warn(&w);
    }
    let registries = &registries;
    let results: Vec<(String, Result<(), String>)> =
        futures_util::stream::iter(targets.iter().map(|image| async move {
            progress.update("Image", image, "Pushing", "");
            let bytes = Mutex::new(Bytes::default());
            let r = engine
                .push_image(image, registries, |e| {
                    let d = bytes.lock().map(|mut b| b.detail(&e)).unwrap_or_default();
                    progress.update("Image", image, "Pushing", &d);
                })
                .await;
            match &r {
                Ok(()) => progress.update("Image", image, "Pushed", ""),
                Err(_) => progress.update("Image", image, "Error", ""),
            }
            (image.clone(), r.map_err(|e| e.to_string()))
        }))
        .buffer_unordered(4)
        .collect()
        .await;
    let mut errors = Vec::new();
    for (image, r) in results {
        if let Err(e) = r {
            let msg = format!("cannot push {image}: {e}");
            if ignore_failures {
                warn(&msg);
            } else {
                errors.push(msg);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(1, errors.join("\n")))
    }
}

pub fn push(global: &GlobalOptions, args: PushArgs) -> Result<i32, Failure> {
    let loaded = load(global, &args.services)?;
    let mut targets = Vec::new();
    for n in selection(&loaded, &args.services, args.include_deps) {
        let svc = &loaded.project.services[&n];
        // As Compose: only images this project builds, and only when they are named.
        if let (Some(_), Some(image)) = (&svc.build, &svc.image) {
            if !targets.contains(image) {
                targets.push(image.clone());
            }
        }
    }
    if global.dry_run {
        for t in &targets {
            eprintln!("DRY-RUN push {t}");
        }
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = if args.quiet {
            quiet_progress()
        } else {
            progress
        };
        push_images(&engine, &targets, args.ignore_push_failures, &progress).await?;
        progress.finish();
        Ok(0)
    })
}

pub fn pull(global: &GlobalOptions, args: PullArgs) -> Result<i32, Failure> {
    if let Some(p) = &args.policy {
        if p != "missing" && p != "always" {
            return Err(Failure::new(
                16,
                format!("invalid --policy {p:?}: use missing or always"),
            ));
        }
    }
    let loaded = load(global, &args.services)?;
    // (service, image, policy, has build)
    let mut work: Vec<(String, String, String, bool)> = Vec::new();
    for n in selection(&loaded, &args.services, args.include_deps) {
        let svc = &loaded.project.services[&n];
        let Some(image) = svc.image.clone() else {
            continue; // built here, nothing to pull
        };
        let policy = args.policy.clone().unwrap_or_else(|| {
            svc.pull_policy
                .clone()
                .unwrap_or_else(|| "missing".into())
                .replace("if_not_present", "missing")
        });
        if policy == "never" || policy == "build" {
            continue;
        }
        // Without --policy, `pull` fetches every image (as Compose), unless its policy says no.
        let policy = if args.policy.is_none() && policy == "missing" {
            "always".to_string()
        } else {
            policy
        };
        if !work.iter().any(|w| w.1 == image) {
            work.push((n, image, policy, svc.build.is_some()));
        }
    }
    if global.dry_run {
        for w in &work {
            eprintln!("DRY-RUN pull {}", w.1);
        }
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = if args.quiet {
            quiet_progress()
        } else {
            progress
        };
        let (registries, warnings) = berth_engine::CliConfig::load().registries();
        for w in warnings {
            warn(&w);
        }
        let progress = &progress;
        let engine = &engine;
        let registries = &registries;
        let results: Vec<(String, String, bool, Result<(), String>)> = futures_util::stream::iter(
            work.into_iter()
                .map(|(svc, image, policy, has_build)| async move {
                    if policy == "missing" {
                        match engine.image_id(&image).await {
                            Ok(Some(_)) => {
                                progress.update("Image", &image, "Skipped", "present");
                                return (svc, image, has_build, Ok(()));
                            }
                            Ok(None) => {}
                            Err(e) => return (svc, image, has_build, Err(e.to_string())),
                        }
                    }
                    progress.update("Image", &image, "Pulling", "");
                    let bytes = Mutex::new(Bytes::default());
                    let r = engine
                        .pull_image(&image, registries, |e| {
                            let d = bytes.lock().map(|mut b| b.detail(&e)).unwrap_or_default();
                            progress.update("Image", &image, "Pulling", &d);
                        })
                        .await;
                    match &r {
                        Ok(()) => progress.update("Image", &image, "Pulled", ""),
                        Err(_) => progress.update("Image", &image, "Error", ""),
                    }
                    (svc, image, has_build, r.map_err(|e| e.to_string()))
                }),
        )
        .buffer_unordered(global.parallelism())
        .collect()
        .await;
        progress.finish();
        let mut errors = Vec::new();
        for (svc, image, has_build, r) in results {
            if let Err(e) = r {
                let msg = format!("service \"{svc}\": cannot pull {image}: {e}");
                if has_build {
                    warn(&format!(
                        "{msg} (it has a build section: `berth build {svc}`)"
                    ));
                } else if args.ignore_pull_failures {
                    warn(&msg);
                } else {
                    errors.push(msg);
                }
            }
        }
        if errors.is_empty() {
            Ok(0)
        } else {
            Err(Failure::new(
                18,
                format!(
                    "{}\n  hint: check the registry is reachable and the name is right; credentials come from ~/.docker/config.json (`auths`); --ignore-pull-failures pulls what it can",
                    errors.join("\n")
                ),
            ))
        }
    })
}
