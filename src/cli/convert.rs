//! `berth convert`: Kubernetes manifests (or a Helm chart) from the compose project, with a
//! conversion report on standard error.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Failure, GlobalOptions};
use berth_k8s::output::{self, Format};
use berth_k8s::report::Severity;
use berth_k8s::{self as k8s, helm, secrets, ConvertOptions};

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FormatArg {
    #[default]
    Yaml,
    Json,
}

#[derive(Args, Debug, Default)]
pub struct ConvertArgs {
    /// Write the manifests into DIR, a file per object (default: standard output)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// With -o: one file DIR/<project>.yaml instead of a file per object
    #[arg(long)]
    pub single_file: bool,
    /// Output format (JSON on standard output is one `List` object)
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: FormatArg,
    /// Write a Helm chart into DIR instead of plain manifests
    #[arg(long, value_name = "DIR", conflicts_with_all = ["output", "single_file", "format"])]
    pub chart: Option<PathBuf>,
    /// With --chart: write DIR/values-NAME.yaml for a customer whose project is this one with
    /// the compose override FILE on top (as `-f … -f FILE`), holding only what differs from the
    /// chart's values.yaml (repeatable)
    #[arg(long = "values", value_name = "NAME=FILE", requires = "chart")]
    pub values: Vec<String>,
    /// Print the images the manifests reference, one per line, as they will be pulled (after
    /// --registry; the dependency-wait images included): the list to mirror into an
    /// air-gapped cluster's registry. Prints no manifests.
    #[arg(long, conflicts_with_all = ["output", "single_file", "format", "chart"])]
    pub images: bool,
    /// Put every object in this namespace (and emit the Namespace)
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// Move every image (init containers too) to this registry: HOST[:PORT][/PREFIX]
    #[arg(long, value_name = "HOST[:PORT][/PREFIX]")]
    pub registry: Option<String>,
    /// imagePullPolicy of containers whose service sets no pull_policy
    #[arg(long, default_value = "IfNotPresent", value_parser = ["Always", "IfNotPresent", "Never"])]
    pub image_pull_policy: String,
    /// Kubernetes version the output must be valid for (1.29 to 1.32)
    #[arg(long, default_value = "1.29", value_name = "VERSION")]
    pub kube_version: String,
    /// Leave out the restricted Pod Security defaults (no privilege escalation, all
    /// capabilities dropped, RuntimeDefault seccomp, no service account token)
    #[arg(long)]
    pub no_harden: bool,
    /// Convert even what cannot be converted faithfully (refusals become warnings)
    #[arg(long)]
    pub allow_lossy: bool,
    /// Emit NetworkPolicies that isolate services as compose networks do
    #[arg(long)]
    pub network_policies: bool,
    /// Mount bind mounts of paths outside the project as hostPath volumes
    #[arg(long)]
    pub host_path: bool,
    /// Lint findings are errors (exit 1) instead of warnings
    #[arg(long)]
    pub strict: bool,
    /// Image of the init containers that wait for a dependency's Service
    #[arg(long, value_name = "IMAGE")]
    pub wait_image: Option<String>,
    /// Image of the init containers that wait for a Job (needs curl and sh)
    #[arg(long, value_name = "IMAGE")]
    pub job_wait_image: Option<String>,
    /// Put secret values (compose `secrets:`, secret-looking environment) into the output;
    /// without it the objects only reference Secrets, created with the commands of secrets.sh
    #[arg(long)]
    pub embed_secrets: bool,
    /// storageClassName of every PersistentVolumeClaim whose volume names no class of its own
    /// (x-berth.storage_class): bare-metal clusters often have no default StorageClass
    #[arg(long, value_name = "NAME")]
    pub storage_class: Option<String>,
    /// Write the `kubectl create secret` commands here (default: secrets.sh in the -o or
    /// --chart directory; none for standard output)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["embed_secrets", "images"])]
    pub secrets_script: Option<PathBuf>,
    /// Also print notes (what was renamed, what became what)
    #[arg(short, long)]
    pub verbose: bool,
    /// Print only errors on standard error
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Services to convert (with what they depend on); default: all enabled services
    pub services: Vec<String>,
}

/// `1.29`, `v1.30`, `1.31.2` → the minor version, if in range.
pub fn parse_kube_version(v: &str) -> Result<String, String> {
    let t = v.trim().trim_start_matches('v');
    let mut parts = t.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("");
    let ok_patch = parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) && parts.next().is_none();
    let mm = format!("{major}.{minor}");
    if ok_patch && k8s::KUBE_VERSIONS.contains(&mm.as_str()) {
        Ok(mm)
    } else {
        Err(format!(
            "unsupported Kubernetes version {v:?}: berth writes objects for {}",
            k8s::KUBE_VERSIONS.join(", ")
        ))
    }
}

pub fn run(global: &GlobalOptions, args: ConvertArgs) -> Result<i32, Failure> {
    let kube_version = parse_kube_version(&args.kube_version).map_err(|e| Failure::new(16, e))?;
    if args.single_file && args.output.is_none() {
        return Err(Failure::new(16, "--single-file needs -o DIR"));
    }
    let customers = super::convert_values::parse(&args.values)?;
    let loaded = global.load_selected(&args.services)?;
    let opts = ConvertOptions {
        // A chart leaves the namespace to `helm install -n`.
        namespace: if args.chart.is_some() {
            None
        } else {
            args.namespace.clone()
        },
        registry: args.registry.clone(),
        image_pull_policy: args.image_pull_policy.clone(),
        kube_version,
        harden: !args.no_harden,
        network_policies: args.network_policies,
        host_path: args.host_path,
        wait_image: args.wait_image.clone(),
        job_wait_image: args.job_wait_image.clone(),
        embed_secrets: args.embed_secrets,
        storage_class: args.storage_class.clone(),
    };
    // The conversion is pure: the files it reads are read here, first.
    let mut sources = k8s::read_files(&k8s::files_needed(&loaded, &opts));
    // What the local engine says of the images (USER, EXPOSE), when one answers.
    let (images, images_note) = super::convert_images::gather(global, &loaded);
    sources.images = images;
    let reviewed = k8s::convert_reviewed(&loaded, &sources, &opts, args.strict);
    let (conv, refusals) = (reviewed.conversion, reviewed.refusals);
    let lint_errors = if args.strict {
        reviewed.lint_findings
    } else {
        0
    };
    // Print the report.
    for f in &conv.report.findings {
        let show = match f.severity {
            Severity::Error => true,
            Severity::Warning => !args.quiet,
            Severity::Info => args.verbose,
        };
        if show {
            let mut line = f.render();
            if f.severity == Severity::Error && f.rule.is_none() && args.allow_lossy {
                line = line.replacen("error", "error (allowed by --allow-lossy)", 1);
            }
            eprintln!("{line}");
        }
    }
    if let Some(note) = images_note.filter(|_| args.verbose) {
        eprintln!("{note}");
    }
    if !reviewed.problems.is_empty() {
        let mut msg = String::from(
            "internal error: the objects berth made would be rejected by Kubernetes (please report this):",
        );
        for p in reviewed.problems {
            msg.push_str("\n  ");
            msg.push_str(&p);
        }
        return Err(Failure::new(70, msg));
    }
    let summary = format!(
        "berth convert: {} service(s) → {} object(s); {} refused, {} warning(s), {} note(s){}",
        loaded.project.services.len(),
        conv.objects.len(),
        refusals,
        conv.report.count(Severity::Warning),
        conv.report.count(Severity::Info),
        if args.verbose || conv.report.count(Severity::Info) == 0 {
            ""
        } else {
            " (-v shows notes)"
        }
    );
    if refusals > 0 && !args.allow_lossy {
        eprintln!("{summary}");
        return Err(Failure::new(
            1,
            format!("{refusals} compose setting(s) cannot be converted faithfully (see above); fix them, or pass --allow-lossy to convert anyway"),
        ));
    }
    if lint_errors > 0 {
        eprintln!("{summary}");
        return Err(Failure::new(
            1,
            format!("{lint_errors} lint finding(s) with --strict (see above)"),
        ));
    }
    let format = match args.format {
        FormatArg::Yaml => Format::Yaml,
        FormatArg::Json => Format::Json,
    };
    if args.images {
        let mut text = String::new();
        for image in berth_k8s::pulled_images(&conv) {
            text.push_str(&image.reference);
            text.push('\n');
        }
        print!("{text}");
        if !args.quiet {
            eprintln!("{summary}");
        }
        return Ok(0);
    }
    // Where the commands that create the referenced Secrets go; checked before anything is
    // written, so a refusal changes nothing.
    let script = script_path(&args)?;
    let script_text = (!conv.secrets.is_empty())
        .then(|| secrets::script(&loaded.name, opts.namespace.as_deref(), &conv.secrets));
    let write_script = || -> Result<(), Failure> {
        let Some(path) = &script else {
            if !conv.secrets.is_empty() && !args.quiet {
                let names: Vec<&str> = conv.secrets.iter().map(|s| s.name.as_str()).collect();
                eprintln!(
                    "berth convert: the objects reference {} Secret(s) that the output does not hold ({}): --secrets-script FILE writes the kubectl commands that create them",
                    names.len(),
                    names.join(", ")
                );
            }
            return Ok(());
        };
        secrets::write_script(path, script_text.as_deref()).map_err(|e| Failure::new(1, e))?;
        if script_text.is_some() && !args.quiet {
            eprintln!(
                "berth convert: the objects reference {} Secret(s) and hold no secret value: create them with {} (it names each value as a variable to set)",
                conv.secrets.len(),
                path.display()
            );
        }
        Ok(())
    };
    if let Some(dir) = &args.chart {
        let prepared = super::convert_values::prepare(global, &args, &customers, &opts, &conv)?;
        let files = helm::write_chart(dir, &conv).map_err(|e| Failure::new(1, e))?;
        if !args.quiet {
            eprintln!("{summary}");
            eprintln!(
                "berth convert: wrote the chart {} ({} files)",
                dir.display(),
                files.len()
            );
            if args.namespace.is_some() {
                eprintln!("berth convert: the chart leaves namespaces to Helm: install with `helm install -n NAMESPACE --create-namespace`");
            }
        }
        super::convert_values::write(dir, &prepared, args.quiet)?;
        write_script()?;
        return Ok(0);
    }
    match &args.output {
        Some(dir) => {
            let single = args.single_file.then_some(loaded.name.as_str());
            let (written, stale) = output::write_dir(dir, &conv.objects, format, single)
                .map_err(|e| Failure::new(1, e))?;
            if !args.quiet {
                eprintln!("{summary}");
                eprintln!(
                    "berth convert: wrote {} file(s) into {}",
                    written.len(),
                    dir.display()
                );
                for s in stale {
                    eprintln!(
                        "warning: {} was not written by this run (left over from an earlier one?): `kubectl apply -f {}` would apply it too",
                        s.display(),
                        dir.display()
                    );
                }
            }
            write_script()?;
        }
        None => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            // A closed pipe (`convert | head`) is not an error of the conversion.
            let _ = output::write(&conv.objects, format, &mut out).and_then(|()| out.flush());
            if !args.quiet {
                eprintln!("{summary}");
            }
            write_script()?;
        }
    }
    Ok(0)
}

/// Where `secrets.sh` goes: `--secrets-script`, else into the -o or --chart directory; none
/// with `--embed-secrets` or for standard output. Fails when a file berth did not write is
/// there, or when the chosen file's directory does not exist.
fn script_path(args: &ConvertArgs) -> Result<Option<PathBuf>, Failure> {
    if args.embed_secrets {
        return Ok(None);
    }
    let path = match &args.secrets_script {
        Some(p) => {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            if parent.is_some_and(|d| !d.is_dir()) {
                return Err(Failure::new(
                    1,
                    format!(
                        "--secrets-script {}: its directory does not exist",
                        p.display()
                    ),
                ));
            }
            p.clone()
        }
        None => match args.chart.as_ref().or(args.output.as_ref()) {
            Some(dir) => dir.join(secrets::SCRIPT),
            None => return Ok(None),
        },
    };
    secrets::check_script_path(&path).map_err(|e| Failure::new(1, e))?;
    Ok(Some(path))
}
