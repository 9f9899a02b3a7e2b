//! The loader pipeline: read → interpolate → extends → include → merge → canonical →
//! normalize → validate → profiles → environment. Each stage is its own module; this file
//! only sequences them.

pub mod canonical;
pub mod consistency;
pub mod extends;
pub mod include;
pub mod interp;
pub mod merge;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{ErrorKind, LoadError};
use super::model::Project;
use super::options::{ConfigFile, Environment, ProjectOptions};
use super::provenance::{Trace, Via};
use super::schema;
use super::yaml::{self, Map, Node, Pos};

/// Which stages to run (`config --no-interpolate`, `--no-normalize`, `--no-consistency`).
#[derive(Clone, Debug)]
pub struct LoadFlags {
    pub interpolate: bool,
    pub normalize: bool,
    pub consistency: bool,
    pub resolve_paths: bool,
    /// Services named on the command line: their profiles are enabled.
    pub services: Vec<String>,
    /// Record where every value came from (`config --explain`); off, nothing is recorded.
    pub provenance: bool,
    /// Keep the canonical JSON tree in [`LoadedProject::canonical`] (`config --no-interpolate`
    /// prints it; `--explain` shows it). Off, the tree becomes the model without a copy.
    pub keep_canonical: bool,
    /// Keep the final tree, each value with the file and line it was written at (an included
    /// or extended file too), in [`LoadedProject::tree`]: `convert` and `lint` place their
    /// findings with it. Nothing else is recorded (unlike `provenance`).
    pub keep_tree: bool,
}

impl Default for LoadFlags {
    fn default() -> Self {
        LoadFlags {
            interpolate: true,
            normalize: true,
            consistency: true,
            resolve_paths: true,
            services: Vec::new(),
            provenance: false,
            keep_canonical: false,
            keep_tree: false,
        }
    }
}

/// A loaded project: the typed model, its canonical JSON, and what the loader noticed.
#[derive(Clone, Debug)]
pub struct LoadedProject {
    pub project: Project,
    /// The canonical model as `config --format json` prints it (key order as compose's YAML),
    /// when loaded with [`LoadFlags::keep_canonical`].
    pub canonical: Option<serde_json::Value>,
    pub name: String,
    pub working_dir: PathBuf,
    pub config_files: Vec<PathBuf>,
    pub environment: Environment,
    pub env_files: Vec<PathBuf>,
    /// Services left out because none of their profiles is enabled.
    pub disabled_services: Vec<String>,
    pub warnings: Vec<String>,
    /// Where every value came from, when loaded with `LoadFlags::provenance`.
    pub provenance: Option<Box<Trace>>,
    /// The final tree with positions, when loaded with `LoadFlags::keep_tree`.
    pub tree: Option<Box<Node>>,
}

/// Compose's normalisation of a derived project name: lowercase, only `[a-z0-9_-]`, no leading `_`/`-`.
pub fn normalize_project_name(s: &str) -> String {
    let lower = s.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The display name of a file in positions: relative to the cwd when below it.
fn display_name(path: &Path) -> Arc<str> {
    if path == Path::new("-") {
        return Arc::from("<stdin>");
    }
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = path.strip_prefix(&cwd) {
            return Arc::from(rel.display().to_string());
        }
    }
    Arc::from(path.display().to_string())
}

/// Reads and parses one file into its YAML documents (multi-document files are merged later).
pub fn read_documents(file: &ConfigFile) -> Result<Vec<Node>, LoadError> {
    let text = match &file.content {
        Some(t) => t.clone(),
        None => crate::input::read_text(&file.path, crate::input::MAX_COMPOSE_FILE).map_err(
            |e| match e {
                crate::input::ReadError::NotText { line, col } => LoadError::invalid(
                    Some(Pos {
                        file: display_name(&file.path),
                        line,
                        col,
                    }),
                    None,
                    "the file is not UTF-8 text (nor UTF-16 with a byte-order mark)",
                ),
                crate::input::ReadError::Io(_) => {
                    LoadError::not_found(format!("open {}: {e}", file.path.display()))
                }
                _ => LoadError::invalid(None, None, format!("open {}: {e}", file.path.display())),
            },
        )?,
    };
    let name = display_name(&file.path);
    let docs = yaml::parse_documents(&text, &name).map_err(|e| LoadError {
        kind: ErrorKind::Invalid,
        pos: Some(e.pos),
        path: None,
        message: e.message,
        hint: None,
    })?;
    for d in &docs {
        if !d.is_null() && d.as_map().is_none() {
            return Err(LoadError::at(&d.pos, "", format!(
                "the top level of a compose file must be a mapping (services:, networks:, ...), found {}",
                d.kind_name()
            )));
        }
    }
    Ok(docs)
}

/// The state shared by the whole load (one per `load`, cloned for includes).
pub(crate) struct Ctx<'a> {
    pub(crate) flags: &'a LoadFlags,
    /// The project environment used to interpolate this (sub)project.
    pub(crate) env: Environment,
    pub(crate) warnings: Vec<String>,
    pub(crate) unset: Vec<String>,
    /// Files on the include chain, for cycle detection.
    pub(crate) include_chain: Vec<PathBuf>,
    /// Provenance records, only with `LoadFlags::provenance`.
    pub(crate) trace: Option<Box<Trace>>,
}

/// Loads, merges and normalises the files of `opts` into a project.
pub fn load(opts: &ProjectOptions, flags: &LoadFlags) -> Result<LoadedProject, LoadError> {
    if opts.files.is_empty() {
        return Err(LoadError::not_found(
            "no configuration file provided: not found",
        ));
    }
    let mut warnings = opts.warnings.clone();
    // Parse everything first: a syntax error anywhere stops before any other work.
    let mut parsed: Vec<(PathBuf, Vec<Node>)> = Vec::new();
    for f in &opts.files {
        parsed.push((f.path.clone(), read_documents(f)?));
    }

    // The project name: explicit, else the files' `name:` (interpolated, normalised), else the directory.
    let mut env = opts.environment.clone();
    let name = match &opts.explicit_name {
        Some(n) => n.clone(),
        None => {
            let mut from_files = None;
            for (_, docs) in &parsed {
                for d in docs {
                    if let Some(n) = d.get_path(&["name"]).and_then(|n| n.scalar_string()) {
                        if !n.is_empty() {
                            from_files = Some(n);
                        }
                    }
                }
            }
            let from_files = match from_files {
                Some(n) if flags.interpolate => {
                    let lookup = |k: &str| env.get(k).map(str::to_string);
                    Some(
                        super::interpolate::interpolate(&n, &lookup)
                            .map(|o| o.value)
                            .unwrap_or(n),
                    )
                }
                other => other,
            };
            match from_files
                .map(|n| normalize_project_name(&n))
                .filter(|n| !n.is_empty())
            {
                Some(n) => n,
                None => normalize_project_name(
                    &opts
                        .working_dir
                        .file_name()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default(),
                ),
            }
        }
    };
    if name.is_empty() {
        return Err(
            LoadError::other("project name must not be empty").with_hint("pass one with -p NAME")
        );
    }
    // `-p NAME` is the COMPOSE_PROJECT_NAME interpolation sees, whatever `.env` or the shell
    // say (Compose v2 does the same: `${COMPOSE_PROJECT_NAME}_default` names this project).
    if opts.explicit_name.is_some() || env.get("COMPOSE_PROJECT_NAME").is_none() {
        env.set(
            "COMPOSE_PROJECT_NAME",
            name.clone(),
            super::options::EnvSource::Derived,
        );
    }

    let mut ctx = Ctx {
        flags,
        env: env.clone(),
        warnings: Vec::new(),
        unset: Vec::new(),
        include_chain: vec![opts.files[0].path.clone()],
        trace: flags.provenance.then(|| {
            Box::new(Trace {
                project_env: env.clone(),
                ..Trace::default()
            })
        }),
    };
    let mut dict = load_model(&mut ctx, parsed, &opts.working_dir, false)?;
    warnings.append(&mut ctx.warnings);
    for u in &ctx.unset {
        warnings.push(format!(
            "The \"{u}\" variable is not set. Defaulting to a blank string."
        ));
    }

    if dict.as_map().map(|m| m.is_empty()).unwrap_or(true) {
        let file = Pos {
            file: display_name(&opts.files[0].path),
            line: 0,
            col: 0,
        };
        return Err(LoadError::invalid(Some(file), None, "empty compose file")
            .with_hint("a compose file needs at least a services: section"));
    }

    canonical::canonical(&mut dict, &opts.working_dir, flags)?;
    let mut trace = ctx.trace.take();
    if let Some(t) = trace.as_deref_mut() {
        t.note_passthrough(&dict);
    }
    if flags.normalize {
        canonical::normalize(&mut dict, &name, &env)?;
    } else if let Some(m) = dict.as_map_mut() {
        m.remove("name");
    }
    if flags.normalize {
        if let Some(m) = dict.as_map_mut() {
            m.insert("name", Node::str(name.clone(), Pos::synthetic()));
        }
    }
    let disabled = canonical::apply_profiles(&mut dict, &opts.profiles, &flags.services)?;
    if flags.consistency {
        consistency::check(&dict)?;
    }
    let env_file_origins = canonical::resolve_env_files(&mut dict, &env, trace.as_deref_mut())?;
    canonical::resolve_label_files(&mut dict)?;
    canonical::finish(&mut dict);
    if let Some(t) = trace.as_deref_mut() {
        t.tree = Some(dict.clone());
    }

    let (canonical_json, kept_tree) = if flags.keep_tree {
        (order_root(dict.to_json()), Some(Box::new(dict)))
    } else {
        (order_root(dict.into_json()), None)
    };
    let tree = trace.as_ref().and_then(|t| t.tree.as_ref());
    let kept = flags.keep_canonical.then(|| canonical_json.clone());
    let mut project = match to_project(canonical_json, tree) {
        Ok(p) => p,
        // Without interpolation `${...}` stays where numbers belong: only `config` asks for that.
        Err(_) if !flags.interpolate => Project::default(),
        // Positions are kept only with provenance: load once more with it, to place the error.
        Err(e) if e.pos.is_none() && !flags.provenance => {
            let again = LoadFlags {
                provenance: true,
                ..flags.clone()
            };
            return Err(load(opts, &again).err().unwrap_or(e));
        }
        Err(e) => return Err(e),
    };
    for (name, origin) in env_file_origins {
        if let Some(svc) = project.services.get_mut(&name) {
            svc.env_file_origin = Some(origin);
        }
    }
    Ok(LoadedProject {
        project,
        canonical: kept,
        name,
        working_dir: opts.working_dir.clone(),
        config_files: opts.files.iter().map(|f| f.path.clone()).collect(),
        environment: env,
        env_files: opts.env_files.clone(),
        disabled_services: disabled,
        warnings,
        provenance: trace,
        tree: kept_tree,
    })
}

/// Types the canonical model. A value the types cannot hold (a count beyond 2^64, a weight
/// beyond 65535, a negative retry count, an infinite CPU share) is an error at the value, with
/// the range that is allowed; `tree` (the model with positions, when kept) places it. Without
/// a tree the error has no position (the caller loads again with one to place it), and the
/// path is not tracked, which is the common case's speed.
fn to_project(canonical: serde_json::Value, tree: Option<&Node>) -> Result<Project, LoadError> {
    let Some(tree) = tree else {
        return serde_json::from_value::<Project>(canonical)
            .map_err(|e| LoadError::invalid(None, None, out_of_range(&e.to_string())));
    };
    serde_path_to_error::deserialize::<_, Project>(canonical).map_err(|e| {
        let mut key = String::new();
        let mut node = Some(tree);
        for seg in e.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Map { key: k } => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(k);
                    node = node.and_then(|n| n.as_map()).and_then(|m| m.get(k));
                }
                Segment::Seq { index } => {
                    key.push_str(&format!("[{index}]"));
                    node = node.and_then(|n| n.as_seq()).and_then(|v| v.get(*index));
                }
                _ => node = None,
            }
        }
        let message = out_of_range(&e.inner().to_string());
        match node {
            Some(n) => LoadError::at(&n.pos, &key, message),
            None => LoadError::invalid(None, Some(key), message),
        }
    })
}

/// serde's "invalid value: integer `-5`, expected u64" in a user's words.
fn out_of_range(serde_message: &str) -> String {
    let expected = serde_message
        .rsplit_once("expected ")
        .map(|(_, x)| x.trim())
        .unwrap_or_default();
    let range = match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        "u64" => "a whole number from 0 to 18446744073709551615",
        "i32" => "a whole number from -2147483648 to 2147483647",
        "i64" => "a whole number from -9223372036854775808 to 9223372036854775807",
        "f32" | "f64" => "a finite number",
        _ => return format!("{serde_message}: the value is not one berth can use"),
    };
    let value = serde_message
        .split('`')
        .nth(1)
        .or_else(|| serde_message.split('"').nth(1))
        .unwrap_or("the value");
    format!("{value} is out of range: expected {range}")
}

/// Puts the top-level keys in Compose's order: name, services, networks, volumes, secrets, configs, x-*.
fn order_root(v: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(mut m) = v else {
        return v;
    };
    let mut out = serde_json::Map::new();
    for k in [
        "name", "services", "networks", "volumes", "secrets", "configs",
    ] {
        if let Some(x) = m.shift_remove(k) {
            out.insert(k.to_string(), x);
        }
    }
    for (k, x) in m {
        out.insert(k, x);
    }
    serde_json::Value::Object(out)
}

/// Loads a list of files (each possibly multi-document) into one merged tree: per document
/// interpolate, apply extends and include, merge, de-duplicate, validate.
pub(crate) fn load_model(
    ctx: &mut Ctx,
    files: Vec<(PathBuf, Vec<Node>)>,
    working_dir: &Path,
    resolve_paths_now: bool,
) -> Result<Node, LoadError> {
    let mut dict = Node::map(Map::new(), Pos::synthetic());
    for (path, docs) in files {
        for mut doc in docs {
            if doc.is_null() {
                continue;
            }
            if ctx.flags.interpolate {
                if let Some(t) = ctx.trace.as_deref_mut() {
                    t.note_templates(&doc, &ctx.env);
                }
                let env = ctx.env.clone();
                let lookup = |k: &str| env.get(k).map(str::to_string);
                interp::interpolate_tree(&mut doc, "", &lookup, &mut ctx.unset)?;
            }
            extends::apply_extends(ctx, &mut doc, &path, working_dir)?;
            if resolve_paths_now {
                canonical::resolve_paths(&mut doc, working_dir)?;
            }
            include::apply_include(ctx, &mut doc, working_dir)?;
            dict = merge::merge_traced(
                dict,
                doc,
                &mut Vec::new(),
                ctx.trace.as_deref_mut(),
                Via::File,
            );
            merge::enforce_unicity(&mut dict, &[]);
            let errors = schema::validate(&dict);
            if let Some(e) = errors.into_iter().next() {
                return Err(LoadError::at(&e.pos, &e.path, e.message));
            }
            if let Some(m) = dict.as_map_mut() {
                if let Some(v) = m.remove("version") {
                    ctx.warnings.push(format!(
                        "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                        if v.pos.file.is_empty() { path.display().to_string() } else { v.pos.file.to_string() }
                    ));
                }
            }
        }
    }
    Ok(dict)
}

/// A "did you mean" hint for a misspelt name among `candidates`, or an empty hint list.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    let all: Vec<&str> = candidates.map(String::as_str).collect();
    match crate::suggest::closest(name, all.iter().copied()) {
        Some(c) => format!("did you mean \"{c}\"?"),
        None if all.is_empty() => "no services are defined there".to_string(),
        None => format!("defined services: {}", all.join(", ")),
    }
}

/// `~` and `~/x` expand to the home directory, as Compose does.
pub fn expand_home(p: &str) -> String {
    if p == "~" || p.starts_with("~/") {
        if let Ok(home) = std::env::var("HOME") {
            return format!("{home}{}", &p[1..]);
        }
    }
    p.to_string()
}

impl LoadedProject {
    /// Keeps only `names` and the services they depend on (transitively), as
    /// `config web` and `up web` do. Unknown names are an error.
    pub fn select_services(&mut self, names: &[String]) -> Result<(), String> {
        // The canonical tree, when kept, has every service even where the model could not be
        // typed (`config --no-interpolate` with `${N}` where a number belongs).
        let depends_on = |n: &str| -> Option<Vec<String>> {
            match &self.canonical {
                Some(c) => c.get("services")?.get(n).map(|s| {
                    s.get("depends_on")
                        .and_then(|d| d.as_object())
                        .map(|d| d.keys().cloned().collect())
                        .unwrap_or_default()
                }),
                None => self
                    .project
                    .services
                    .get(n)
                    .map(|s| s.depends_on.keys().cloned().collect()),
            }
        };
        let mut keep: Vec<String> = Vec::new();
        let mut todo: Vec<String> = names.to_vec();
        while let Some(n) = todo.pop() {
            if keep.contains(&n) {
                continue;
            }
            let Some(deps) = depends_on(&n) else {
                if names.contains(&n) {
                    return Err(format!("no such service: {n}"));
                }
                continue;
            };
            todo.extend(deps);
            keep.push(n);
        }
        self.project.services.retain(|k, _| keep.contains(k));
        if let Some(s) = self
            .canonical
            .as_mut()
            .and_then(|c| c.get_mut("services"))
            .and_then(|s| s.as_object_mut())
        {
            s.retain(|k, _| keep.contains(k));
        }
        Ok(())
    }
}

/// Loading files written into a temp directory, for the stages' table tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::{load, LoadFlags};
    use crate::error::LoadError;
    use crate::options::{EnvSource, Environment, ProjectRequest};

    /// A temp directory holding `files` (name, text), subdirectories made as needed.
    pub fn write_files(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        dir
    }

    /// Writes `files` (the first is the compose file) and loads them; the canonical JSON.
    pub fn load_files(files: &[(&str, &str)]) -> Result<serde_json::Value, LoadError> {
        let dir = write_files(files);
        let mut env = Environment::default();
        env.set("HOME", "/home/t", EnvSource::Shell);
        let opts = ProjectRequest {
            files: vec![dir.path().join(files[0].0).display().to_string()],
            project_name: Some("t".into()),
            cwd: Some(dir.path().to_path_buf()),
            os_env: Some(env),
            ..Default::default()
        }
        .resolve()?;
        let flags = LoadFlags {
            keep_canonical: true,
            ..LoadFlags::default()
        };
        load(&opts, &flags).map(|l| l.canonical.unwrap_or_default())
    }
}
