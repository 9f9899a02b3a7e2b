//! A project's images on the engine: built from `build:` sections, pulled and pushed with the
//! Docker CLI's credentials, and the one rule ([`policy`]) that says which a service needs
//! before its containers are created. `up`, `run`, `build`, `pull`, `push` and `bundle push`
//! all go through here; progress goes to a [`Reporter`].

pub mod policy;

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::StreamExt;

use berth_compose::load::LoadedProject;
use berth_engine::build::{self, BuildFlags};
use berth_engine::images::TransferEvent;
use berth_engine::{spec, Engine, EngineError, Registries};

use crate::converge::report::{Reporter, Resource};
pub use policy::{decide, ImageStep, PullPolicy};

/// What a pull failing offline says: where the image can come from instead.
pub const PULL_HINT: &str =
    "hint: check the registry is reachable; offline, load the image from a bundle (`berth bundle load`)";

/// Why an image could not be made ready.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A pull failed (Compose v2's exit code 18).
    #[error("{0}")]
    Pull(String),
    /// A push failed.
    #[error("{0}")]
    Push(String),
    /// A build failed, or could not start.
    #[error("{0}")]
    Build(String),
    /// The image is not there and nothing may bring it.
    #[error("{0}")]
    Missing(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// A pull or push of one image as the reporter sees it: `status` (Pulling, Pushing) with the
/// bytes of its layers summed as they move, then `done` or `Error`.
struct Transfer<'a> {
    reporter: &'a dyn Reporter,
    image: &'a str,
    status: &'static str,
    /// Each layer's (current, total) bytes.
    layers: Mutex<HashMap<String, (i64, i64)>>,
}

impl<'a> Transfer<'a> {
    fn start(reporter: &'a dyn Reporter, image: &'a str, status: &'static str) -> Transfer<'a> {
        reporter.update(Resource::Image, image, status, "");
        Transfer {
            reporter,
            image,
            status,
            layers: Mutex::new(HashMap::new()),
        }
    }

    fn event(&self, e: &TransferEvent) {
        let Ok(mut layers) = self.layers.lock() else {
            return;
        };
        if let (Some(l), Some(c), Some(t)) = (&e.layer, e.current, e.total) {
            if t > 0 {
                layers.insert(l.clone(), (c, t));
            }
        }
        let (c, t) = layers
            .values()
            .fold((0, 0), |(a, b), (c, t)| (a + c, b + t));
        let (done, total) = (c.max(0) as u64, t.max(0) as u64);
        self.reporter
            .transfer(Resource::Image, self.image, self.status, done, total);
    }

    fn end<T, E>(self, r: Result<T, E>, done: &str) -> Result<T, E> {
        let status = if r.is_ok() { done } else { "Error" };
        self.reporter
            .update(Resource::Image, self.image, status, "");
        r
    }
}

/// Builds the services `names` (each with `build:`), up to `parallel` at once; every output
/// line goes to the reporter, then each image is reported `Built`. Returns (service, image ID).
pub async fn build(
    engine: &Engine,
    loaded: &LoadedProject,
    names: &[String],
    flags: &BuildFlags,
    parallel: usize,
    reporter: &dyn Reporter,
) -> Result<Vec<(String, String)>, ImageError> {
    let print = |svc: &str, line: &str| reporter.build_output(svc, line);
    let built = build::build_services(engine, loaded, names, flags, parallel, &print)
        .await
        .map_err(|errors| ImageError::Build(errors.join("\n")))?;
    for (svc, _) in &built {
        let image = spec::image_name(&loaded.name, svc, &loaded.project.services[svc]);
        reporter.update(Resource::Image, &image, "Built", "");
    }
    Ok(built)
}

/// Pulls `image` (service `service`'s), its progress reported as it goes.
pub async fn pull(
    engine: &Engine,
    registries: &Registries,
    service: &str,
    image: &str,
    reporter: &dyn Reporter,
) -> Result<(), ImageError> {
    let t = Transfer::start(reporter, image, "Pulling");
    let r = engine.pull_image(image, registries, |e| t.event(&e)).await;
    t.end(r, "Pulled")
        .map_err(|e| ImageError::Pull(format!("service \"{service}\": cannot pull {image}: {e}")))
}

/// Pushes `image`, its progress reported as it goes.
pub async fn push(
    engine: &Engine,
    registries: &Registries,
    image: &str,
    reporter: &dyn Reporter,
) -> Result<(), EngineError> {
    let t = Transfer::start(reporter, image, "Pushing");
    let r = engine.push_image(image, registries, |e| t.event(&e)).await;
    t.end(r, "Pushed")
}

/// Pushes every image of `targets`, four at a time; the failures, by image.
pub async fn push_all(
    engine: &Engine,
    registries: &Registries,
    targets: &[String],
    reporter: &dyn Reporter,
) -> Vec<(String, EngineError)> {
    failures(targets, 4, |image| {
        push(engine, registries, image, reporter)
    })
    .await
}

/// Pushes `targets` with the Docker CLI's credentials (`bundle push`, `push`, `build --push`).
/// A failure is an error, or with `ignore_failures` a warning; the warnings come back (those of
/// `config.json` too).
pub async fn push_targets(
    engine: &Engine,
    targets: &[String],
    ignore_failures: bool,
    reporter: &dyn Reporter,
) -> Result<Vec<String>, ImageError> {
    let (registries, mut warnings) = berth_engine::CliConfig::load().registries();
    let mut errors = Vec::new();
    for (image, e) in push_all(engine, &registries, targets, reporter).await {
        let msg = format!("cannot push {image}: {e}");
        if ignore_failures {
            warnings.push(msg);
        } else {
            errors.push(msg);
        }
    }
    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(ImageError::Push(errors.join("\n")))
    }
}

/// One image `berth pull` fetches.
#[derive(Clone, Debug, PartialEq)]
pub struct PullItem {
    pub service: String,
    pub image: String,
    /// Only when the engine does not have it (`--policy missing`).
    pub only_missing: bool,
    /// The service can build it instead (a failure is then a warning).
    pub has_build: bool,
}

/// What `berth pull` fetches for `services`: each image once, as `--policy` (else each
/// service's `pull_policy`) says; services without `image:` (built here) and those whose
/// policy is `never` or `build` are left out.
pub fn pull_items(
    loaded: &LoadedProject,
    services: &[String],
    policy: Option<PullPolicy>,
) -> Vec<PullItem> {
    let mut items: Vec<PullItem> = Vec::new();
    for n in services {
        let svc = &loaded.project.services[n];
        let Some(image) = svc.image.clone() else {
            continue;
        };
        let only_missing = match PullPolicy::for_service(policy, svc) {
            PullPolicy::Never | PullPolicy::Build => continue,
            // Without --policy, `pull` fetches every image (as Compose), unless its policy says no.
            PullPolicy::Missing => policy.is_some(),
            PullPolicy::Always => false,
        };
        if !items.iter().any(|w| w.image == image) {
            items.push(PullItem {
                service: n.clone(),
                image,
                only_missing,
                has_build: svc.build.is_some(),
            });
        }
    }
    items
}

/// Pulls `items`, `parallel` at a time (one present with `only_missing` is `Skipped`); the
/// failures, by item.
pub async fn pull_all(
    engine: &Engine,
    registries: &Registries,
    items: &[PullItem],
    parallel: usize,
    reporter: &dyn Reporter,
) -> Vec<(PullItem, ImageError)> {
    failures(items, parallel, |item| async move {
        if item.only_missing && engine.image_id(&item.image).await?.is_some() {
            reporter.update(Resource::Image, &item.image, "Skipped", "present");
            return Ok(());
        }
        pull(engine, registries, &item.service, &item.image, reporter).await
    })
    .await
}

/// Runs `work` on each of `items`, `parallel` at a time; the failures, by item.
async fn failures<'a, T: Clone, E, F, Fut>(items: &'a [T], parallel: usize, work: F) -> Vec<(T, E)>
where
    F: Fn(&'a T) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
{
    futures_util::stream::iter(items.iter().map(|item| {
        let done = work(item);
        async move { done.await.err().map(|e| (item.clone(), e)) }
    }))
    .buffer_unordered(parallel.max(1))
    .filter_map(|failure| async move { failure })
    .collect()
    .await
}

/// Takes `step` for service `name`'s image (see [`decide`]): builds, pulls (falling back to
/// the build section when the service has one), or checks. Returns the image ID.
pub async fn make_ready(
    engine: &Engine,
    loaded: &LoadedProject,
    name: &str,
    step: ImageStep,
    parallel: usize,
    reporter: &dyn Reporter,
) -> Result<String, ImageError> {
    let svc = &loaded.project.services[name];
    let image = spec::image_name(&loaded.name, name, svc);
    let names = [name.to_string()];
    let flags = BuildFlags::default();
    let build_it = || build(engine, loaded, &names, &flags, parallel, reporter);
    match step {
        ImageStep::Build => {
            build_it().await?;
        }
        ImageStep::Pull { or_build } => {
            let (registries, _) = berth_engine::CliConfig::load().registries();
            if let Err(e) = pull(engine, &registries, name, &image, reporter).await {
                if !or_build {
                    return Err(ImageError::Pull(format!("{e}\n  {PULL_HINT}")));
                }
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                reporter.warn(&format!("{first}; building it instead"));
                build_it().await?;
            }
        }
        ImageStep::Use => {}
        ImageStep::Missing => {
            let hint = if svc.build.is_some() {
                format!("it has a build section: drop --no-build, or `berth build {name}`")
            } else {
                "--pull never (or pull_policy: never) forbids pulling it: `berth pull` it, load it from a bundle (`berth bundle load`), or drop the option".to_string()
            };
            return Err(ImageError::Missing(format!(
                "service \"{name}\": image {image} is not on the engine: {hint}"
            )));
        }
    }
    engine.image_id(&image).await?.ok_or_else(|| {
        ImageError::Missing(format!(
            "service \"{name}\": image {image} is still not on the engine after building or pulling it"
        ))
    })
}
