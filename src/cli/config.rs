//! `berth config`: the project as Compose v2 prints it, or parts of it.

use std::collections::BTreeSet;

use clap::Args;

use super::{Failure, GlobalOptions};
use berth_compose::hash;
use berth_compose::load::LoadFlags;
use berth_compose::render;
use berth_compose::Project;

#[derive(Args, Debug, Default)]
pub struct ConfigArgs {
    /// Format the output: yaml or json
    #[arg(long, default_value = "yaml")]
    pub format: String,
    /// Only validate the configuration, don't print anything
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one per line
    #[arg(long)]
    pub profiles: bool,
    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,
    /// Print the service config hash, one per line ("*" for all services)
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't normalize the compose model
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't check model consistency (undefined references, cycles, ...)
    #[arg(long)]
    pub no_consistency: bool,
    /// Don't resolve file paths
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Save to file (default: standard output)
    #[arg(short, long)]
    pub output: Option<std::path::PathBuf>,
    /// Explain where values came from: one key path (services.web.environment.DB_HOST), or
    /// the whole model annotated when none is given
    #[arg(long, value_name = "KEY_PATH", num_args = 0..=1, default_missing_value = "")]
    pub explain: Option<String>,
    /// Services to print (with their dependencies)
    pub service_names: Vec<String>,
}

pub fn run(global: &GlobalOptions, args: ConfigArgs) -> Result<i32, Failure> {
    if args.format != "yaml" && args.format != "json" {
        return Err(Failure::new(
            16,
            format!("unsupported format \"{}\" (use yaml or json)", args.format),
        ));
    }
    let flags = LoadFlags {
        interpolate: !args.no_interpolate,
        normalize: !args.no_normalize,
        consistency: !args.no_consistency,
        resolve_paths: !args.no_path_resolution,
        services: args.service_names.clone(),
        provenance: args.explain.is_some(),
        keep_canonical: args.no_interpolate || args.explain.is_some(),
        keep_tree: false,
    };
    let (_, mut loaded) = global.load(&flags)?;
    if let Some(key) = &args.explain {
        let out =
            crate::ui::explain::run(&loaded, key, &args.format).map_err(|e| Failure::new(1, e))?;
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
        return Ok(0);
    }
    if args.profiles {
        // Every profile any service declares, enabled or not.
        let mut all = BTreeSet::new();
        let opts = global.request()?;
        let mut req = opts.clone();
        req.profiles = vec!["*".into()];
        let everything = berth_compose::load::load(&req.resolve()?, &flags)?;
        for svc in everything.project.services.values() {
            for p in &svc.profiles {
                all.insert(p.clone());
            }
        }
        for p in all {
            println!("{p}");
        }
        return Ok(0);
    }
    if !args.service_names.is_empty() {
        loaded
            .select_services(&args.service_names)
            .map_err(|e| Failure::new(1, e))?;
    }
    let project = &loaded.project;
    let mut out = String::new();
    if args.services {
        for name in project.services.keys() {
            out.push_str(name);
            out.push('\n');
        }
    } else if args.volumes {
        for name in project.volumes.keys() {
            out.push_str(name);
            out.push('\n');
        }
    } else if args.networks {
        for name in project.networks.keys() {
            out.push_str(name);
            out.push('\n');
        }
    } else if args.images {
        for (name, svc) in &project.services {
            let image = svc
                .image
                .clone()
                .unwrap_or_else(|| format!("{}-{}", loaded.name, name));
            out.push_str(&image);
            out.push('\n');
        }
    } else if let Some(which) = &args.hash {
        let wanted: Vec<&str> = which.split(',').map(str::trim).collect();
        for (name, svc) in &project.services {
            if wanted.contains(&"*") || wanted.contains(&name.as_str()) {
                out.push_str(&format!("{name} {}\n", hash::service_hash(name, svc)));
            }
        }
        for w in &wanted {
            if *w != "*" && !project.services.contains_key(*w) {
                return Err(Failure::new(1, format!("no such service: {w}")));
            }
        }
    } else if !args.quiet {
        // Without interpolation the model cannot be typed (`${N}` where a number belongs):
        // print the canonical tree, as Compose does.
        let mut value = if args.no_interpolate {
            loaded.canonical.take().unwrap_or_default()
        } else {
            model_value(std::mem::take(&mut loaded.project)).map_err(|e| {
                Failure::new(1, format!("internal error: cannot render the project: {e}"))
            })?
        };
        if !args.no_interpolate {
            render::escape_dollars(&mut value);
        }
        out = if args.format == "json" {
            render::into_json(value)
        } else {
            render::into_yaml(value)
        };
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    // The process ends right after: freeing the model piece by piece only costs time.
    std::mem::forget(loaded);
    if args.quiet {
        return Ok(0);
    }
    match &args.output {
        Some(path) => std::fs::write(path, out)
            .map_err(|e| Failure::new(1, format!("cannot write {}: {e}", path.display())))?,
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(out.as_bytes());
        }
    }
    Ok(0)
}

/// The model as JSON, each service's part of the model freed as soon as it is converted: the
/// model and its JSON are never both whole in memory (on a 1000-service file they are ~20 MB
/// each).
fn model_value(mut project: Project) -> Result<serde_json::Value, serde_json::Error> {
    let services = std::mem::take(&mut project.services);
    let mut value = serde_json::to_value(&project)?;
    drop(project);
    let mut out = serde_json::Map::new();
    for (name, service) in services {
        out.insert(name, serde_json::to_value(&service)?);
    }
    if let Some(root) = value.as_object_mut() {
        root.insert("services".into(), serde_json::Value::Object(out));
    }
    Ok(value)
}
