//! `berth bundle save|load|push`: the air-gap bundle (see `crate::bundle`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{engine_session, Failure, GlobalOptions};
use crate::bundle::{self, Verified};
use crate::converge::report::{Reporter, Silent};
use crate::images;
use crate::ui::bytes::{human, ByteProgress};
use berth_engine::build::BuildFlags;

#[derive(Subcommand, Debug)]
pub enum BundleCommand {
    /// Write every image the stack needs, its compose file and a manifest into one archive
    Save(SaveArgs),
    /// Check a bundle against its manifest and load its images into the engine
    Load(LoadArgs),
    /// Load a bundle's images if needed, push them to a registry, and write the compose file
    /// rewritten to those references
    Push(PushArgs),
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    /// The archive to write
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Don't build missing images of services that have a build section
    #[arg(long)]
    pub no_build: bool,
    /// Image of the init containers that wait for a dependency's Service, as `berth convert
    /// --wait-image` (the bundle carries it)
    #[arg(long, value_name = "IMAGE")]
    pub wait_image: Option<String>,
    /// Image of the init containers that wait for a Job, as `berth convert --job-wait-image`
    #[arg(long, value_name = "IMAGE")]
    pub job_wait_image: Option<String>,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
    /// Services to bundle, with their dependencies (default: all)
    pub services: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The bundle
    #[arg(value_name = "FILE")]
    pub bundle: PathBuf,
    /// Also write the bundle's compose file here
    #[arg(long, value_name = "FILE")]
    pub compose: Option<PathBuf>,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The registry, HOST:PORT[/PREFIX]
    #[arg(long, value_name = "HOST:PORT[/PREFIX]")]
    pub registry: String,
    /// The bundle
    #[arg(value_name = "FILE")]
    pub bundle: PathBuf,
    /// Where to write the rewritten compose file (default: <bundle>.compose.yaml)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress output
    #[arg(short, long)]
    pub quiet: bool,
}

pub fn run(global: &GlobalOptions, cmd: BundleCommand) -> Result<i32, Failure> {
    match cmd {
        BundleCommand::Save(a) => save(global, a),
        BundleCommand::Load(a) => load(global, a),
        BundleCommand::Push(a) => push(global, a),
    }
}

fn tty() -> bool {
    std::io::stderr().is_terminal()
}

/// The compose model for the bundle: every service names its image, `build:` is dropped (the
/// sources stay behind), and `$` is escaped as `config` prints it.
fn bundled_model(
    loaded: &berth_compose::load::LoadedProject,
) -> Result<serde_json::Value, Failure> {
    let mut value = serde_json::to_value(&loaded.project)
        .map_err(|e| Failure::new(1, format!("internal error: cannot render the project: {e}")))?;
    if let Some(services) = value.get_mut("services").and_then(|s| s.as_object_mut()) {
        for (name, svc) in services.iter_mut() {
            let Some(model) = loaded.project.services.get(name) else {
                continue;
            };
            let image = berth_engine::spec::image_name(&loaded.name, name, model);
            if let Some(o) = svc.as_object_mut() {
                o.insert("image".into(), serde_json::Value::String(image));
                o.remove("build");
                if o.get("pull_policy").and_then(|p| p.as_str()) == Some("build") {
                    o.remove("pull_policy");
                }
            }
        }
    }
    berth_compose::render::escape_dollars(&mut value);
    Ok(value)
}

fn render_yaml(value: &serde_json::Value) -> String {
    let mut out = berth_compose::render::to_yaml(value);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn save(global: &GlobalOptions, args: SaveArgs) -> Result<i32, Failure> {
    let loaded = global.load_selected(&args.services)?;
    let services: Vec<String> = loaded.project.services.keys().cloned().collect();
    // Every image the Kubernetes objects of the stack pull, as `berth convert` decides.
    let choices = bundle::images::ImageChoices {
        wait_image: args.wait_image.clone(),
        job_wait_image: args.job_wait_image.clone(),
    };
    let wanted = bundle::images::wanted(&loaded, &choices);
    let model = bundled_model(&loaded)?;
    let yaml = render_yaml(&model);
    engine_session(global, |engine, progress| async move {
        // Images this stack builds and that are missing are built first.
        let mut missing_builds = Vec::new();
        for n in &services {
            let svc = &loaded.project.services[n];
            let image = berth_engine::spec::image_name(&loaded.name, n, svc);
            if svc.build.is_some()
                && !args.no_build
                && engine
                    .image_id(&image)
                    .await
                    .map_err(|e| Failure::new(1, e.to_string()))?
                    .is_none()
            {
                missing_builds.push(n.clone());
            }
        }
        // What no build makes must be there already: say so before building anything.
        let built: Vec<String> = missing_builds
            .iter()
            .map(|n| berth_engine::spec::image_name(&loaded.name, n, &loaded.project.services[n]))
            .collect();
        let not_built: Vec<&bundle::images::Wanted> = wanted
            .iter()
            .filter(|w| !built.contains(&w.reference))
            .collect();
        bundle::check_present(&engine, &not_built)
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        if !missing_builds.is_empty() {
            let output: &dyn Reporter = if args.quiet { &Silent } else { &progress };
            let flags = BuildFlags::default();
            let parallel = global.parallelism();
            images::build(&engine, &loaded, &missing_builds, &flags, parallel, output)
                .await
                .map_err(|e| Failure::new(1, e.to_string()))?;
            progress.finish();
        }
        let bar = ByteProgress::new(
            &format!(
                "Saving {} image(s) to {}",
                wanted.len(),
                args.output.display()
            ),
            None,
            tty(),
            args.quiet,
        );
        let m = bundle::save(
            &engine,
            &loaded.name,
            &wanted,
            &yaml,
            &model,
            &args.output,
            |n| bar.set(n),
        )
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
        bar.finish();
        if !args.quiet {
            for i in &m.images {
                eprintln!(
                    " {} {} ({}, {})",
                    i.reference,
                    &i.id.chars().take(19).collect::<String>(),
                    human(i.size.max(0) as u64),
                    image_users(i)
                );
            }
            let size = std::fs::metadata(&args.output)
                .map(|m| m.len())
                .unwrap_or(0);
            eprintln!("Wrote {} ({})", args.output.display(), human(size));
        }
        Ok(0)
    })
}

/// Who runs a bundled image: `web, api`, or `init containers that wait for dependencies: web`.
fn image_users(i: &bundle::ImageEntry) -> String {
    match &i.init {
        Some(init) => format!("{init}: {}", i.services.join(", ")),
        None => i.services.join(", "),
    }
}

fn verify(path: &std::path::Path, quiet: bool) -> Result<Verified, Failure> {
    let total = std::fs::metadata(path).map(|m| m.len()).ok();
    let bar = ByteProgress::new(&format!("Checking {}", path.display()), total, tty(), quiet);
    let v = bundle::verify(path, |n| bar.set(n)).map_err(|e| Failure::new(1, e.to_string()))?;
    bar.finish();
    Ok(v)
}

async fn load_verified(
    engine: &berth_engine::Engine,
    v: &Verified,
    quiet: bool,
) -> Result<(), Failure> {
    let bar = std::sync::Arc::new(ByteProgress::new(
        &format!("Loading {} image(s)", v.manifest.images.len()),
        Some(v.images_size),
        tty(),
        quiet,
    ));
    let b = bar.clone();
    bundle::load(engine, v, move |n| b.set(n))
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
    bar.finish();
    Ok(())
}

fn load(global: &GlobalOptions, args: LoadArgs) -> Result<i32, Failure> {
    let v = verify(&args.bundle, args.quiet)?;
    engine_session(global, |engine, _progress| async move {
        load_verified(&engine, &v, args.quiet).await?;
        if let Some(path) = &args.compose {
            std::fs::write(path, &v.compose_yaml)
                .map_err(|e| Failure::new(1, format!("cannot write {}: {e}", path.display())))?;
        }
        if !args.quiet {
            for i in &v.manifest.images {
                eprintln!(" Loaded {} ({})", i.reference, image_users(i));
            }
        }
        Ok(0)
    })
}

fn push(global: &GlobalOptions, args: PushArgs) -> Result<i32, Failure> {
    let registry =
        bundle::check_registry(&args.registry).map_err(|e| Failure::new(1, e.to_string()))?;
    let v = verify(&args.bundle, args.quiet)?;
    let mapping: BTreeMap<String, String> = bundle::relocation(&v.manifest, &registry);
    let output = args.output.clone().unwrap_or_else(|| {
        let stem = args
            .bundle
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| "bundle".into());
        args.bundle.with_file_name(format!("{stem}.compose.yaml"))
    });
    engine_session(global, |engine, progress| async move {
        let progress = if args.quiet {
            crate::ui::progress::Progress::new(crate::ui::progress::Mode::Quiet, false, "")
        } else {
            progress
        };
        if !bundle::all_present(&engine, &v.manifest)
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?
        {
            load_verified(&engine, &v, args.quiet).await?;
        }
        for (from, to) in &mapping {
            engine
                .tag_image(from, to)
                .await
                .map_err(|e| Failure::new(1, format!("cannot tag {from} as {to}: {e}")))?;
        }
        let targets: Vec<String> = mapping.values().cloned().collect();
        let pushed = images::push_targets(&engine, &targets, false, &progress).await;
        for w in pushed.map_err(|e| Failure::new(1, e.to_string()))? {
            super::warn(&w);
        }
        progress.finish();
        let rewritten = bundle::rewrite_compose(&v.compose_json, &mapping);
        std::fs::write(&output, render_yaml(&rewritten))
            .map_err(|e| Failure::new(1, format!("cannot write {}: {e}", output.display())))?;
        if !args.quiet {
            for (from, to) in &mapping {
                eprintln!(" {from} -> {to}");
            }
            eprintln!("Wrote {} (images from {registry})", output.display());
        }
        Ok(0)
    })
}
