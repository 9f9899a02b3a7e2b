//! `berth build`, `berth pull`, `berth push`.

use std::collections::BTreeSet;

use clap::Args;

use super::{engine_session, warn, Failure, GlobalOptions};
use crate::ui::progress::Progress;
use berth_compose::graph::ServiceGraph;
use berth_compose::load::{LoadFlags, LoadedProject};
use berth_engine::build::{self, BuildFlags};
use berth_engine::spec;

use crate::images::{self, PullPolicy};

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

/// The session's progress, or a silent one with `--quiet`.
fn shown(progress: Progress, quiet: bool) -> Progress {
    if quiet {
        Progress::new(crate::ui::progress::Mode::Quiet, false, "")
    } else {
        progress
    }
}

/// With `--dry-run`, says what `verb` would do to each image and returns true.
fn dry_run<'a>(global: &GlobalOptions, verb: &str, images: impl Iterator<Item = &'a str>) -> bool {
    if global.dry_run {
        images.for_each(|i| eprintln!("DRY-RUN {verb} {i}"));
    }
    global.dry_run
}

/// A push's outcome: its warnings shown, its error the command's.
fn pushed(result: Result<Vec<String>, images::ImageError>) -> Result<(), Failure> {
    result
        .map_err(|e| Failure::new(1, e.to_string()))?
        .iter()
        .for_each(|w| warn(w));
    Ok(())
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
    let built = names
        .iter()
        .map(|n| spec::image_name(&loaded.name, n, &loaded.project.services[n]))
        .collect::<Vec<_>>();
    if dry_run(global, "build", built.iter().map(String::as_str)) {
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = shown(progress, args.quiet);
        images::build(
            &engine,
            &loaded,
            &names,
            &flags,
            global.parallelism(),
            &progress,
        )
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
        progress.finish();
        if args.push {
            let targets: Vec<String> = names
                .iter()
                .filter_map(|n| loaded.project.services[n].image.clone())
                .collect();
            let result = images::push_targets(&engine, &targets, false, &progress).await;
            progress.finish();
            pushed(result)?;
        }
        Ok(0)
    })
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
    if dry_run(global, "push", targets.iter().map(String::as_str)) {
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = shown(progress, args.quiet);
        let result =
            images::push_targets(&engine, &targets, args.ignore_push_failures, &progress).await;
        progress.finish();
        pushed(result)?;
        Ok(0)
    })
}

pub fn pull(global: &GlobalOptions, args: PullArgs) -> Result<i32, Failure> {
    let policy = match args.policy.as_deref() {
        None => None,
        Some(p @ ("missing" | "always")) => {
            PullPolicy::from_flag(p).map_err(|e| Failure::new(16, e))?
        }
        Some(p) => {
            return Err(Failure::new(
                16,
                format!("invalid --policy {p:?}: use missing or always"),
            ))
        }
    };
    let loaded = load(global, &args.services)?;
    let items = images::pull_items(
        &loaded,
        &selection(&loaded, &args.services, args.include_deps),
        policy,
    );
    if dry_run(global, "pull", items.iter().map(|i| i.image.as_str())) {
        return Ok(0);
    }
    engine_session(global, |engine, progress| async move {
        let progress = shown(progress, args.quiet);
        let (registries, warnings) = berth_engine::CliConfig::load().registries();
        for w in warnings {
            warn(&w);
        }
        let failed = images::pull_all(
            &engine,
            &registries,
            &items,
            global.parallelism(),
            &progress,
        )
        .await;
        progress.finish();
        let mut errors = Vec::new();
        for (item, e) in failed {
            let svc = &item.service;
            if item.has_build {
                warn(&format!(
                    "{e} (it has a build section: `berth build {svc}`)"
                ));
            } else if args.ignore_pull_failures {
                warn(&e.to_string());
            } else {
                errors.push(e.to_string());
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
