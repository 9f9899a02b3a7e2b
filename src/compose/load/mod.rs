//! The loader pipeline: read → interpolate → extends → include → merge → canonical →
//! normalize → validate → profiles → environment. Each stage is its own module; this file
//! only sequences them.

pub mod canonical;
pub mod consistency;
pub mod interp;
pub mod merge;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::{ErrorKind, LoadError};
use super::model::Project;
use super::options::{ConfigFile, Environment, ProjectOptions};
use super::schema;
use super::yaml::{self, Map, Node, Pos, Value};

/// Which stages to run (`config --no-interpolate`, `--no-normalize`, `--no-consistency`).
#[derive(Clone, Debug)]
pub struct LoadFlags {
    pub interpolate: bool,
    pub normalize: bool,
    pub consistency: bool,
    pub resolve_paths: bool,
    /// Services named on the command line: their profiles are enabled.
    pub services: Vec<String>,
}

impl Default for LoadFlags {
    fn default() -> Self {
        LoadFlags {
            interpolate: true,
            normalize: true,
            consistency: true,
            resolve_paths: true,
            services: Vec::new(),
        }
    }
}

/// A loaded project: the typed model, its canonical JSON, and what the loader noticed.
#[derive(Clone, Debug)]
pub struct LoadedProject {
    pub project: Project,
    /// The canonical model as `config --format json` prints it (key order as compose's YAML).
    pub canonical: serde_json::Value,
    pub name: String,
    pub working_dir: PathBuf,
    pub config_files: Vec<PathBuf>,
    pub environment: Environment,
    pub env_files: Vec<PathBuf>,
    /// Services left out because none of their profiles is enabled.
    pub disabled_services: Vec<String>,
    pub warnings: Vec<String>,
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
        None => std::fs::read_to_string(&file.path)
            .map_err(|e| LoadError::not_found(format!("open {}: {}", file.path.display(), e)))?,
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
struct Ctx<'a> {
    flags: &'a LoadFlags,
    /// The project environment used to interpolate this (sub)project.
    env: Environment,
    warnings: Vec<String>,
    unset: Vec<String>,
    /// Files on the include chain, for cycle detection.
    include_chain: Vec<PathBuf>,
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
    if env.get("COMPOSE_PROJECT_NAME").is_none() {
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

    canonical::canonical(&mut dict, &env, &opts.working_dir, flags)?;
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
    canonical::resolve_env_files(&mut dict, &env, flags)?;
    canonical::resolve_label_files(&mut dict)?;
    canonical::finish(&mut dict);

    let canonical_json = order_root(dict.into_json());
    let project = match to_project(&canonical_json) {
        Ok(p) => p,
        // Without interpolation `${...}` stays where numbers belong: only `config` asks for that.
        Err(_) if !flags.interpolate => Project::default(),
        Err(e) => return Err(e),
    };
    Ok(LoadedProject {
        project,
        canonical: canonical_json,
        name,
        working_dir: opts.working_dir.clone(),
        config_files: opts.files.iter().map(|f| f.path.clone()).collect(),
        environment: env,
        env_files: opts.env_files.clone(),
        disabled_services: disabled,
        warnings,
    })
}

/// Types the canonical model, naming the service (or resource) that does not fit.
fn to_project(canonical: &serde_json::Value) -> Result<Project, LoadError> {
    <Project as serde::Deserialize>::deserialize(canonical).map_err(|e| {
        let mut place = String::new();
        if let Some(services) = canonical.get("services").and_then(|s| s.as_object()) {
            for (name, svc) in services {
                if let Err(se) = <super::model::Service as serde::Deserialize>::deserialize(svc) {
                    place = format!("services.{name}: {se}");
                    break;
                }
            }
        }
        LoadError::invalid(
            None,
            None,
            format!(
                "internal error: the normalised model does not fit berth's types: {}",
                if place.is_empty() {
                    e.to_string()
                } else {
                    place
                }
            ),
        )
    })
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
fn load_model(
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
                let env = ctx.env.clone();
                let lookup = |k: &str| env.get(k).map(str::to_string);
                interp::interpolate_tree(&mut doc, "", &lookup, &mut ctx.unset)?;
            } else {
                // Still cast typed fields written as strings.
            }
            apply_extends(ctx, &mut doc, &path, working_dir)?;
            if resolve_paths_now {
                canonical::resolve_paths(&mut doc, working_dir)?;
            }
            apply_include(ctx, &mut doc, working_dir)?;
            dict = merge::merge(dict, doc, &mut Vec::new());
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

/// Applies `extends` to every service of one document.
fn apply_extends(
    ctx: &mut Ctx,
    doc: &mut Node,
    file: &Path,
    working_dir: &Path,
) -> Result<(), LoadError> {
    let Some(services) = doc.as_map_mut().and_then(|m| m.get_mut("services")) else {
        return Ok(());
    };
    let Some(smap) = services.as_map_mut() else {
        return Ok(());
    };
    // Only services with `extends` change; most files have none, so nothing is copied.
    let names: Vec<String> = smap
        .iter()
        .filter(|(_, s)| {
            s.as_map()
                .map(|m| m.contains_key("extends"))
                .unwrap_or(false)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for name in names {
        let mut chain = Vec::new();
        let merged = extend_service(ctx, &name, smap, file, working_dir, &mut chain)?;
        if let Some(m) = merged {
            smap.insert(name, m);
        }
    }
    Ok(())
}

/// Resolves one service's `extends` chain; returns the merged service (or None if unchanged).
fn extend_service(
    ctx: &mut Ctx,
    name: &str,
    services: &mut Map,
    file: &Path,
    working_dir: &Path,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Option<Node>, LoadError> {
    let Some(service) = services.get(name).cloned() else {
        return Ok(None);
    };
    let Some(smap) = service.as_map() else {
        return Ok(None);
    };
    let Some(ext) = smap.get("extends").cloned() else {
        return Ok(None);
    };
    let key = (file.to_path_buf(), name.to_string());
    if chain.contains(&key) {
        let mut names: Vec<String> = chain.iter().map(|(_, n)| n.clone()).collect();
        names.push(name.to_string());
        return Err(LoadError::at(
            &ext.pos,
            &format!("services.{name}.extends"),
            format!("extends cycle detected: {}", names.join(" -> ")),
        ));
    }
    chain.push(key);
    let (base_name, base_file) = match &ext.value {
        Value::Str(s) => (s.clone(), None),
        Value::Map(m) => (
            m.get("service")
                .and_then(|n| n.scalar_string())
                .unwrap_or_default(),
            m.get("file").and_then(|n| n.scalar_string()),
        ),
        _ => {
            return Err(LoadError::at(
                &ext.pos,
                &format!("services.{name}.extends"),
                format!(
                    "expected a service name or {{service, file}}, found {}",
                    ext.kind_name()
                ),
            ))
        }
    };
    let base = match base_file {
        None => {
            if !services.contains_key(&base_name) {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends"),
                    format!(
                        "cannot extend service \"{name}\": service \"{base_name}\" not found in {}",
                        ext.pos.file
                    ),
                )
                .with_hint(did_you_mean(&base_name, services.keys())));
            }
            match extend_service(ctx, &base_name, services, file, working_dir, chain)? {
                Some(m) => {
                    services.insert(base_name.clone(), m.clone());
                    m
                }
                None => services
                    .get(&base_name)
                    .cloned()
                    .unwrap_or_else(|| Node::null(Pos::synthetic())),
            }
        }
        Some(f) => {
            let dir = file
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| working_dir.to_path_buf());
            let path = super::options::clean_path(&if Path::new(&f).is_absolute() {
                PathBuf::from(&f)
            } else {
                dir.join(&f)
            });
            let cf = ConfigFile {
                path: path.clone(),
                content: None,
            };
            if !path.exists() {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends.file"),
                    format!(
                        "cannot extend service \"{name}\": file {} does not exist",
                        path.display()
                    ),
                )
                .with_kind(ErrorKind::FileNotFound));
            }
            let docs = read_documents(&cf)?;
            let ext_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            // The extended file: interpolated, its own extends applied, its paths resolved against its own directory.
            let mut merged = Node::map(Map::new(), Pos::synthetic());
            for mut d in docs {
                if d.is_null() {
                    continue;
                }
                if ctx.flags.interpolate {
                    let env = ctx.env.clone();
                    let lookup = |k: &str| env.get(k).map(str::to_string);
                    interp::interpolate_tree(&mut d, "", &lookup, &mut ctx.unset)?;
                }
                merged = merge::merge(merged, d, &mut Vec::new());
            }
            let mut other = merged
                .as_map()
                .and_then(|m| m.get("services"))
                .and_then(|s| s.as_map())
                .cloned()
                .unwrap_or_default();
            if !other.contains_key(&base_name) {
                return Err(LoadError::at(
                    &ext.pos,
                    &format!("services.{name}.extends"),
                    format!(
                        "cannot extend service \"{name}\": service \"{base_name}\" not found in {}",
                        path.display()
                    ),
                )
                .with_hint(did_you_mean(&base_name, other.keys())));
            }
            let b = match extend_service(ctx, &base_name, &mut other, &path, &ext_dir, chain)? {
                Some(m) => m,
                None => other
                    .get(&base_name)
                    .cloned()
                    .unwrap_or_else(|| Node::null(Pos::synthetic())),
            };
            let mut wrapper = Map::new();
            let mut svcs = Map::new();
            svcs.insert(base_name.clone(), b);
            wrapper.insert("services", Node::map(svcs, Pos::synthetic()));
            let mut wrapper = Node::map(wrapper, Pos::synthetic());
            canonical::resolve_paths(&mut wrapper, &ext_dir)?;
            wrapper
                .get_path(&["services", &base_name])
                .cloned()
                .unwrap_or_else(|| Node::null(Pos::synthetic()))
        }
    };
    chain.pop();
    if base.is_null() {
        return Ok(None);
    }
    let mut over = service.clone();
    if let Some(m) = over.as_map_mut() {
        m.remove("extends");
    }
    let mut base = base;
    if let Some(m) = base.as_map_mut() {
        m.remove("extends");
    }
    let mut path = vec!["services".to_string(), name.to_string()];
    let merged = merge::merge(base, over, &mut path);
    Ok(Some(merged))
}

/// A "did you mean" hint for a misspelt name among `candidates`, or an empty hint list.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    let mut best: Option<(f64, &String)> = None;
    let mut all = Vec::new();
    for c in candidates {
        all.push(c.as_str().to_string());
        let score = strsim::jaro_winkler(name, c);
        if score > 0.8 && best.map(|(s, _)| score > s).unwrap_or(true) {
            best = Some((score, c));
        }
    }
    match best {
        Some((_, c)) => format!("did you mean \"{c}\"?"),
        None if all.is_empty() => "no services are defined there".to_string(),
        None => format!("defined services: {}", all.join(", ")),
    }
}

/// Applies `include`: each entry is loaded as its own project and its resources imported.
fn apply_include(ctx: &mut Ctx, doc: &mut Node, working_dir: &Path) -> Result<(), LoadError> {
    let Some(root) = doc.as_map_mut() else {
        return Ok(());
    };
    let Some(include) = root.remove("include") else {
        return Ok(());
    };
    let Some(items) = include.as_seq() else {
        return Err(LoadError::at(
            &include.pos,
            "include",
            format!("expected a list, found {}", include.kind_name()),
        ));
    };
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("include[{i}]");
        let (paths, project_dir, env_files): (Vec<String>, Option<String>, Vec<String>) =
            match &item.value {
                Value::Str(s) => (vec![s.clone()], None, vec![]),
                Value::Map(m) => {
                    let list = |k: &str| -> Vec<String> {
                        match m.get(k).map(|n| &n.value) {
                            Some(Value::Str(s)) => vec![s.clone()],
                            Some(Value::Seq(v)) => {
                                v.iter().filter_map(|n| n.scalar_string()).collect()
                            }
                            _ => vec![],
                        }
                    };
                    (
                        list("path"),
                        m.get("project_directory").and_then(|n| n.scalar_string()),
                        list("env_file"),
                    )
                }
                _ => {
                    return Err(LoadError::at(
                        &item.pos,
                        &ipath,
                        "expected a path or {path, project_directory, env_file}",
                    ))
                }
            };
        if paths.is_empty() {
            return Err(LoadError::at(&item.pos, &ipath, "an include needs a path"));
        }
        let abs = |p: &str, base: &Path| super::options::clean_path(&base.join(expand_home(p)));
        let files: Vec<PathBuf> = paths.iter().map(|p| abs(p, working_dir)).collect();
        for f in &files {
            if !f.exists() {
                return Err(LoadError::at(
                    &item.pos,
                    &ipath,
                    format!("included file {} does not exist", f.display()),
                )
                .with_kind(ErrorKind::FileNotFound));
            }
        }
        if ctx.include_chain.contains(&files[0]) {
            let mut chain: Vec<String> = ctx
                .include_chain
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            chain.push(files[0].display().to_string());
            return Err(LoadError::at(
                &item.pos,
                &ipath,
                format!("include cycle detected:\n{}", chain.join("\n include ")),
            ));
        }
        let project_dir = match project_dir {
            Some(d) => abs(&d, working_dir),
            None => files[0].parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        // The included project's environment: its env_file (or its own .env), overridden by ours.
        let env_paths: Vec<PathBuf> = if env_files.is_empty() {
            let f = project_dir.join(".env");
            if f.is_file() {
                vec![f]
            } else {
                vec![]
            }
        } else {
            env_files.iter().map(|f| abs(f, working_dir)).collect()
        };
        let mut sub_env = ctx.env.clone();
        for f in &env_paths {
            let text = std::fs::read_to_string(f).map_err(|e| {
                LoadError::at(
                    &item.pos,
                    &ipath,
                    format!("cannot read env file {}: {e}", f.display()),
                )
                .with_kind(ErrorKind::FileNotFound)
            })?;
            let env_now = sub_env.clone();
            let lookup = |k: &str| env_now.get(k).map(str::to_string);
            let vars = super::dotenv::parse(&text, &lookup).map_err(|e| {
                LoadError::invalid(
                    None,
                    None,
                    format!("{}:{}: {}", f.display(), e.line, e.message),
                )
            })?;
            sub_env.add_file_vars(f, vars);
        }
        let mut parsed = Vec::new();
        for f in &files {
            parsed.push((
                f.clone(),
                read_documents(&ConfigFile {
                    path: f.clone(),
                    content: None,
                })?,
            ));
        }
        let mut sub = Ctx {
            flags: ctx.flags,
            env: sub_env,
            warnings: Vec::new(),
            unset: Vec::new(),
            include_chain: {
                let mut c = ctx.include_chain.clone();
                c.push(files[0].clone());
                c
            },
        };
        let imported = load_model(&mut sub, parsed, &project_dir, true)?;
        ctx.warnings.append(&mut sub.warnings);
        for u in sub.unset {
            if !ctx.unset.contains(&u) {
                ctx.unset.push(u);
            }
        }
        import_resources(doc, imported)?;
    }
    Ok(())
}

fn import_resources(doc: &mut Node, imported: Node) -> Result<(), LoadError> {
    let Some(target) = doc.as_map_mut() else {
        return Ok(());
    };
    let Value::Map(src) = imported.value else {
        return Ok(());
    };
    for (kind, node) in src.into_entries() {
        if !["services", "volumes", "networks", "secrets", "configs"].contains(&kind.as_str()) {
            continue;
        }
        let Value::Map(items) = node.value else {
            continue;
        };
        let to = target.entry_or_insert(&kind, Node::map(Map::new(), node.pos.clone()));
        if to.is_null() {
            *to = Node::map(Map::new(), node.pos.clone());
        }
        let Some(to) = to.as_map_mut() else { continue };
        for (name, v) in items.into_entries() {
            if let Some(existing) = to.get(&name) {
                if existing.to_json() == v.to_json() {
                    continue;
                }
                return Err(LoadError::at(
                    &existing.pos,
                    &format!("{kind}.{name}"),
                    format!(
                        "{kind}.{name} conflicts with imported resource (defined at {})",
                        v.pos
                    ),
                )
                .with_hint("rename one of them, or remove it from the including file"));
            }
            to.insert(name, v);
        }
    }
    Ok(())
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
        let services = self
            .canonical
            .get("services")
            .and_then(|s| s.as_object())
            .cloned()
            .unwrap_or_default();
        let mut keep: Vec<String> = Vec::new();
        let mut todo: Vec<String> = names.to_vec();
        while let Some(n) = todo.pop() {
            if keep.contains(&n) {
                continue;
            }
            let Some(svc) = services.get(&n) else {
                if names.contains(&n) {
                    return Err(format!("no such service: {n}"));
                }
                continue;
            };
            if let Some(deps) = svc.get("depends_on").and_then(|d| d.as_object()) {
                todo.extend(deps.keys().cloned());
            }
            keep.push(n);
        }
        if let Some(s) = self
            .canonical
            .get_mut("services")
            .and_then(|s| s.as_object_mut())
        {
            s.retain(|k, _| keep.contains(k));
        }
        self.project = serde_json::from_value(self.canonical.clone()).map_err(|e| e.to_string())?;
        Ok(())
    }
}
