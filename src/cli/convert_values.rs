//! `berth convert --chart DIR --values NAME=FILE`: a values file per customer, from a compose
//! override applied on top of the project's files (as `-f base… -f FILE` would).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::convert::ConvertArgs;
use super::{Failure, GlobalOptions};
use berth_k8s::customer::{self, CustomerValues};
use berth_k8s::report::{Finding, Severity};
use berth_k8s::{self as k8s, Conversion, ConvertOptions};

/// One `--values NAME=FILE`.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub name: String,
    pub file: PathBuf,
}

/// Parses the `--values` arguments: `NAME=FILE`, NAME a file-name-safe word, each once.
pub fn parse(args: &[String]) -> Result<Vec<Customer>, Failure> {
    let mut out: Vec<Customer> = Vec::new();
    for a in args {
        let Some((name, file)) = a.split_once('=') else {
            return Err(Failure::new(
                16,
                format!("--values {a}: expected NAME=FILE (e.g. --values aws=compose.aws.yaml)"),
            ));
        };
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(Failure::new(
                16,
                format!("--values {a}: NAME {name:?} must be letters, digits, '-', '_' or '.' (it names values-NAME.yaml)"),
            ));
        }
        if file.is_empty() {
            return Err(Failure::new(16, format!("--values {a}: no FILE after '='")));
        }
        if out.iter().any(|c| c.name == name) {
            return Err(Failure::new(16, format!("--values {name}=…: given twice")));
        }
        out.push(Customer {
            name: name.to_string(),
            file: PathBuf::from(file),
        });
    }
    Ok(out)
}

/// The global options of the customer's project: the files the base project was loaded from
/// (explicit `-f`, `COMPOSE_FILE` or the default files) followed by the override.
fn customer_options(global: &GlobalOptions, c: &Customer) -> Result<GlobalOptions, Failure> {
    if global.file.iter().any(|f| f == "-") {
        return Err(Failure::new(
            16,
            "--values cannot be used with -f - (the compose file is read once from standard input)",
        ));
    }
    if !c.file.is_file() {
        return Err(Failure::new(
            14,
            format!(
                "--values {}={}: no such file (a compose override file)",
                c.name,
                c.file.display()
            ),
        ));
    }
    let resolved = global.request()?.resolve()?;
    let mut g = global.clone();
    g.file = resolved
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .chain(std::iter::once(c.file.display().to_string()))
        .collect();
    g.project_directory = Some(resolved.working_dir.clone());
    if g.project_name.is_none() {
        g.project_name = resolved.explicit_name.clone();
    }
    Ok(g)
}

/// Converts each customer's project and diffs its values with the chart's, printing what the
/// override adds to the report and what its values cannot carry. Nothing is written: a refusal
/// stops the run before the chart is.
pub fn prepare(
    global: &GlobalOptions,
    args: &ConvertArgs,
    customers: &[Customer],
    opts: &ConvertOptions,
    base: &Conversion,
) -> Result<Vec<(Customer, CustomerValues)>, Failure> {
    // A finding is the base project's when only its place differs (an override that sets a
    // key of the service moves where the loader says it is written).
    let same = |f: &Finding| (f.severity, f.rule, f.key.clone(), f.message.clone());
    let base_findings: BTreeSet<_> = base.report.findings.iter().map(same).collect();
    let mut out = Vec::new();
    for c in customers {
        let g = customer_options(global, c)?;
        let loaded = g.load_selected(&args.services)?;
        let mut sources = k8s::read_files(&k8s::files_needed(&loaded, opts));
        sources.images = super::convert_images::gather(global, &loaded).0;
        let conv = k8s::convert_reviewed(&loaded, &sources, opts, false).conversion;
        // What the override adds to the report; refusals stop the run as for the base project.
        let mut refused = 0;
        for f in &conv.report.findings {
            if base_findings.contains(&same(f)) {
                continue;
            }
            let error = f.severity == Severity::Error && f.rule.is_none();
            refused += usize::from(error);
            let show = match f.severity {
                Severity::Error => true,
                Severity::Warning => !args.quiet,
                Severity::Info => false,
            };
            if show {
                eprintln!("values {}: {}", c.name, f.render());
            }
        }
        if refused > 0 && !args.allow_lossy {
            return Err(Failure::new(
                1,
                format!(
                    "values {}: {refused} compose setting(s) of {} cannot be converted faithfully (see above); fix them, or pass --allow-lossy",
                    c.name,
                    c.file.display()
                ),
            ));
        }
        let cv = customer::customer_values(base, &conv);
        if !args.quiet {
            for u in &cv.unexpressed {
                eprintln!(
                    "warning: values {} ({}): {}: {}\n    fix: values-{}.yaml leaves this out; put it in the project's own files (then every customer gets it), or make it something values.yaml exposes",
                    c.name,
                    c.file.display(),
                    u.key,
                    u.message,
                    c.name
                );
            }
        }
        out.push((c.clone(), cv));
    }
    Ok(out)
}

/// Writes `DIR/values-NAME.yaml` of each customer.
pub fn write(
    dir: &Path,
    prepared: &[(Customer, CustomerValues)],
    quiet: bool,
) -> Result<(), Failure> {
    for (c, cv) in prepared {
        let path = dir.join(format!("values-{}.yaml", c.name));
        let text = customer::values_text(&c.name, &c.file.display().to_string(), &cv.values);
        std::fs::write(&path, text)
            .map_err(|e| Failure::new(1, format!("cannot write {}: {e}", path.display())))?;
        if !quiet {
            eprintln!(
                "berth convert: wrote {} ({} value(s) differ from values.yaml; {} difference(s) it cannot carry)",
                path.display(),
                count_leaves(&cv.values),
                cv.unexpressed.len()
            );
        }
    }
    Ok(())
}

fn count_leaves(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(m) => m.values().map(count_leaves).sum(),
        _ => 1,
    }
}
