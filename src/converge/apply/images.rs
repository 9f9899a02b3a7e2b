//! Every selected service's image made ready before containers are created, by the one rule
//! of [`crate::images::decide`]: the builds together, then the pulls.

use std::collections::HashMap;

use berth_compose::load::LoadedProject;
use berth_engine::{spec, Engine};

use super::labels::replicas;
use super::{ApplyError, UpOptions};
use crate::converge::report::{Reporter, Silent};
use crate::images::{self, ImageStep, PullPolicy};

/// Makes every selected service's image ready, as [`images::decide`] says (the builds
/// together, then the pulls); returns each service's image ID (None for an image a dry run
/// would still build or pull, or for a service scaled to 0).
pub(super) async fn ready_images(
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
