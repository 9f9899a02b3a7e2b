//! Provenance: where every value of the loaded model came from (`berth config --explain`).
//!
//! The loader records into a [`Trace`] only when `LoadFlags::provenance` is on: the raw
//! `${...}` templates by the position they were written at, each value an override file or
//! `extends` replaced, the entries of merged sequences (`environment`, `labels`), the
//! `extends` and `include` hops, the `env_file` lines an `environment` entry won over, and the
//! value-less `environment` entries resolved from the project environment. Nodes keep their
//! position through the pipeline, so the final tree itself says where each winning value was
//! written; [`explain`] joins the two.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use serde::Serialize;

use super::interpolate::interpolate;
use super::options::{EnvSource, Environment};
use super::yaml::{Node, Pos, Value};

/// How an earlier definition was replaced.
#[derive(Clone, Debug, PartialEq)]
pub enum Via {
    /// A later compose file (`-f a.yaml -f b.yaml`, `compose.override.yaml`) or document.
    File,
    /// The service extending `base` replaced the base's value.
    Extends { base: String },
}

/// A value replaced during a merge.
#[derive(Clone, Debug)]
pub struct Replaced {
    pub path: String,
    pub old: Node,
    pub new_pos: Pos,
    pub via: Via,
}

/// An entry of a sequence-merged attribute (`environment`, `labels`, ...) from the earlier side.
#[derive(Clone, Debug)]
pub struct SeqEntry {
    pub path: String,
    pub key: String,
    pub value: Option<String>,
    pub pos: Pos,
    pub via: Via,
}

/// An `env_file` line (or an earlier env file's) that lost to a later definition.
#[derive(Clone, Debug)]
pub struct EnvFileLoss {
    pub service: String,
    pub key: String,
    pub old: Node,
    pub new_pos: Pos,
}

/// `services.NAME` extends `base` (from `file` when another file).
#[derive(Clone, Debug)]
pub struct ExtendsHop {
    pub service: String,
    pub base: String,
    pub file: Option<String>,
    pub pos: Pos,
}

/// The files an `include` entry (written at `pos`) loaded.
#[derive(Clone, Debug)]
pub struct IncludeHop {
    pub files: Vec<String>,
    pub pos: Pos,
}

/// Everything the loader recorded for provenance.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Raw templates (values containing `$`) by where they were written, with the index of the
    /// environment they were interpolated with.
    pub templates: HashMap<Pos, (String, usize)>,
    pub envs: Vec<Environment>,
    pub replaced: Vec<Replaced>,
    pub seq_entries: Vec<SeqEntry>,
    pub env_file_losses: Vec<EnvFileLoss>,
    /// The files `env_file` lines were read from (as positions name them).
    pub env_files: BTreeSet<String>,
    pub extends: Vec<ExtendsHop>,
    pub includes: Vec<IncludeHop>,
    /// Value-less `environment` entries (position → variable) filled from the project environment.
    pub passthrough: HashMap<Pos, String>,
    /// The project environment.
    pub project_env: Environment,
    /// The final tree, positions and all.
    pub tree: Option<Node>,
}

impl Trace {
    /// Notes every `$`-template of `doc` before it is interpolated with `env`.
    pub fn note_templates(&mut self, doc: &Node, env: &Environment) {
        let idx = match self.envs.iter().position(|e| e.vars == env.vars) {
            Some(i) => i,
            None => {
                self.envs.push(env.clone());
                self.envs.len() - 1
            }
        };
        fn walk(n: &Node, idx: usize, out: &mut HashMap<Pos, (String, usize)>) {
            match &n.value {
                Value::Str(s) if s.contains('$') => {
                    out.entry(n.pos.clone()).or_insert((s.clone(), idx));
                }
                Value::Seq(items) => items.iter().for_each(|i| walk(i, idx, out)),
                Value::Map(m) => m.iter().for_each(|(_, v)| walk(v, idx, out)),
                _ => {}
            }
        }
        walk(doc, idx, &mut self.templates);
    }

    /// Notes the value-less `environment` entries of every service (before `normalize`).
    pub fn note_passthrough(&mut self, root: &Node) {
        let Some(services) = root.get_path(&["services"]).and_then(|s| s.as_map()) else {
            return;
        };
        for (_, svc) in services.iter() {
            if let Some(env) = svc.get_path(&["environment"]).and_then(|e| e.as_map()) {
                for (k, v) in env.iter() {
                    if v.is_null() {
                        self.passthrough.insert(v.pos.clone(), k.clone());
                    }
                }
            }
        }
    }
}

/// A path for display and matching: `services.web.ports[1]` style, from merge keys.
pub fn join_path(path: &[String]) -> String {
    path.join(".")
}

/// Where something was written.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Origin {
    pub file: String,
    pub line: u32,
    pub col: u32,
}

impl Origin {
    fn of(p: &Pos) -> Option<Origin> {
        p.is_known().then(|| Origin {
            file: short_file(&p.file),
            line: p.line,
            col: p.col,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A file name relative to the current directory when below it.
fn short_file(f: &str) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = Path::new(f).strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    f.to_string()
}

/// Where a variable's value came from.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VarSource {
    /// The shell environment berth was started from.
    Shell,
    /// A line of `.env` or of an `--env-file`.
    EnvFile { file: String, line: u32 },
    /// Set by berth (`COMPOSE_PROJECT_NAME`).
    Derived,
    /// Unset (or empty for a `:-` form): the default written in the template was used.
    Default { written: String, default: String },
    /// Unset, and no default: the empty string.
    Unset,
}

impl std::fmt::Display for VarSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VarSource::Shell => write!(f, "shell environment"),
            VarSource::EnvFile { file, line } => write!(f, "{file}:{line}"),
            VarSource::Derived => write!(f, "set by berth"),
            VarSource::Default { written, .. } => {
                write!(f, "unset: default written in {written}")
            }
            VarSource::Unset => write!(f, "unset: empty string"),
        }
    }
}

/// One variable interpolated into a value.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VarUse {
    pub name: String,
    /// Its value in the environment (None when unset).
    pub value: Option<String>,
    pub source: VarSource,
}

/// An earlier definition the value replaced.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Earlier {
    pub value: serde_json::Value,
    pub at: Option<Origin>,
    /// `override file`, `extends base`, `env_file`, `earlier env_file line`.
    pub how: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VarUse>,
}

/// The explanation of one key path.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Explanation {
    pub path: String,
    pub value: serde_json::Value,
    /// Where the winning value was written (None for values berth made up: defaults).
    pub at: Option<Origin>,
    /// `compose file`, `env_file`, `environment`, `pass-through`, `included file`, `default`.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VarUse>,
    /// Earlier definitions it overrode, the most recent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrode: Vec<Earlier>,
    /// `extends` and `include` hops on the way.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<String>,
    /// For a mapping or a sequence: each entry explained.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<Explanation>,
}

/// Why a key path does not resolve.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExplainError(pub String);

/// Explains `key_path` (`services.web.environment.DB_HOST`) of a loaded trace.
pub fn explain(trace: &Trace, key_path: &str) -> Result<Explanation, ExplainError> {
    let tree = trace
        .tree
        .as_ref()
        .ok_or_else(|| ExplainError("the project was loaded without provenance".into()))?;
    let (node, segs) = find(tree, key_path)?;
    Ok(explain_node(trace, node, &segs, true))
}

/// Explains every leaf of the model (for the annotated whole model), path → explanation.
pub fn explain_all(trace: &Trace) -> Vec<Explanation> {
    let mut out = Vec::new();
    if let Some(tree) = &trace.tree {
        let mut segs = Vec::new();
        leaves(trace, tree, &mut segs, &mut out);
    }
    out
}

fn leaves(trace: &Trace, n: &Node, segs: &mut Vec<Seg>, out: &mut Vec<Explanation>) {
    match &n.value {
        Value::Map(m) if !m.is_empty() => {
            for (k, v) in m.iter() {
                segs.push(Seg::Key(k.clone()));
                leaves(trace, v, segs, out);
                segs.pop();
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                segs.push(Seg::Index(i));
                leaves(trace, v, segs, out);
                segs.pop();
            }
        }
        _ => out.push(explain_node(trace, n, segs, false)),
    }
}

/// One step of a key path, as provenance keeps it.
pub type Seg = crate::keypath::Seg<String>;

/// `services.web.ports[1]`.
pub fn render(segs: &[Seg]) -> String {
    crate::keypath::render(segs)
}

/// The key path of merges (keys only, indexes dropped).
fn merge_path(segs: &[Seg]) -> String {
    segs.iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Finds a key path; keys containing dots (labels) match greedily, `[n]` or `.n` index sequences.
fn find<'a>(tree: &'a Node, key_path: &str) -> Result<(&'a Node, Vec<Seg>), ExplainError> {
    let mut parts: Vec<String> = Vec::new();
    for p in key_path.split('.').filter(|p| !p.is_empty()) {
        // `ports[1]` → `ports`, `1`
        let mut rest = p;
        if let Some(b) = rest.find('[') {
            parts.push(rest[..b].to_string());
            rest = &rest[b..];
            while let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']').unwrap_or(r.len());
                parts.push(r[..end].to_string());
                rest = r.get(end + 1..).unwrap_or("");
            }
        } else {
            parts.push(rest.to_string());
        }
    }
    let mut node = tree;
    let mut segs = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        match &node.value {
            Value::Map(m) => {
                let mut hit = None;
                for j in (i + 1..=parts.len()).rev() {
                    let k = parts[i..j].join(".");
                    if let Some(n) = m.get(&k) {
                        hit = Some((k, n, j));
                        break;
                    }
                }
                let Some((k, n, j)) = hit else {
                    let keys: Vec<&String> = m.keys().collect();
                    return Err(ExplainError(format!(
                        "{} has no key \"{}\"{}",
                        if segs.is_empty() {
                            "the model".to_string()
                        } else {
                            render(&segs)
                        },
                        parts[i],
                        {
                            let hint = crate::load::did_you_mean(&parts[i], keys.iter().copied());
                            if hint.starts_with("did you mean") {
                                format!(" ({hint})")
                            } else {
                                let names: Vec<&str> =
                                    keys.iter().take(20).map(|k| k.as_str()).collect();
                                format!(" (keys there: {})", names.join(", "))
                            }
                        }
                    )));
                };
                segs.push(Seg::Key(k));
                node = n;
                i = j;
            }
            Value::Seq(items) => {
                let idx: usize = parts[i].parse().map_err(|_| {
                    ExplainError(format!(
                        "{} is a list: index it with [N], not \"{}\"",
                        render(&segs),
                        parts[i]
                    ))
                })?;
                node = items.get(idx).ok_or_else(|| {
                    ExplainError(format!(
                        "{} has {} entries, no [{idx}]",
                        render(&segs),
                        items.len()
                    ))
                })?;
                segs.push(Seg::Index(idx));
                i += 1;
            }
            _ => {
                return Err(ExplainError(format!(
                    "{} is a single value, it has no \"{}\"",
                    render(&segs),
                    parts[i]
                )))
            }
        }
    }
    Ok((node, segs))
}

fn explain_node(trace: &Trace, node: &Node, segs: &[Seg], with_entries: bool) -> Explanation {
    let path = render(segs);
    let mpath = merge_path(segs);
    let at = Origin::of(&node.pos);
    let file: &str = &node.pos.file;
    let service = match segs {
        [Seg::Key(s), Seg::Key(n), ..] if s == "services" => Some(n.as_str()),
        _ => None,
    };
    let in_env = matches!(segs, [Seg::Key(s), _, Seg::Key(e), Seg::Key(_)] if s == "services" && e == "environment");
    let mut variables = Vec::new();
    let mut template = None;
    let kind = if at.is_none() {
        "default (set by berth)".to_string()
    } else if trace.env_files.contains(file) {
        "env_file".to_string()
    } else if let Some(var) = trace.passthrough.get(&node.pos) {
        variables.push(var_use(&trace.project_env, var, None));
        "pass-through".to_string()
    } else if in_env {
        "environment".to_string()
    } else if trace
        .includes
        .iter()
        .any(|h| h.files.iter().any(|f| f == file))
    {
        "included file".to_string()
    } else {
        "compose file".to_string()
    };
    if let Some((t, env)) = interp_of(trace, &node.pos) {
        template = Some(t);
        variables.extend(env);
    }
    // Earlier definitions: replaced by merges at this path or an enclosing one.
    let mut overrode = Vec::new();
    for r in trace.replaced.iter().rev() {
        let exact = r.path == mpath;
        let enclosing = !exact && mpath.starts_with(&format!("{}.", r.path));
        if !(exact || enclosing) || r.old.pos == node.pos {
            continue;
        }
        // A merge that replaced the whole enclosing value replaced this one only if the new
        // side wrote it (the winning position is inside what replaced it).
        if enclosing && r.new_pos.file != node.pos.file {
            continue;
        }
        let old = if exact {
            Some(&r.old)
        } else {
            let rest = &mpath[r.path.len() + 1..];
            let parts: Vec<&str> = rest.split('.').collect();
            r.old.get_path(&parts)
        };
        let Some(old) = old else { continue };
        overrode.push(earlier(trace, old, how(&r.via)));
    }
    // Entries of sequence-merged attributes and env_file lines with the same key.
    if let [Seg::Key(_), Seg::Key(_), Seg::Key(attr), Seg::Key(key)] = segs {
        let parent = format!("{}.{attr}", merge_path(&segs[..2]));
        let mut seen: Vec<Pos> = vec![node.pos.clone()];
        for e in trace.seq_entries.iter().rev() {
            if e.path == parent && &e.key == key && !seen.contains(&e.pos) {
                seen.push(e.pos.clone());
                let v = e
                    .value
                    .clone()
                    .map(serde_json::Value::String)
                    .unwrap_or(serde_json::Value::Null);
                let mut ea = earlier(trace, &Node::str("", e.pos.clone()), how(&e.via));
                ea.value = v;
                overrode.push(ea);
            }
        }
        if attr == "environment" {
            for l in trace.env_file_losses.iter().rev() {
                if Some(l.service.as_str()) == service
                    && &l.key == key
                    && !seen.contains(&l.old.pos)
                {
                    seen.push(l.old.pos.clone());
                    let h = if trace.env_files.contains(&*l.new_pos.file) {
                        "a later env_file line"
                    } else {
                        "env_file (environment wins)"
                    };
                    overrode.push(earlier(trace, &l.old, h.to_string()));
                }
            }
        }
    }
    let mut hops = Vec::new();
    if let Some(svc) = service {
        let mut cur = svc.to_string();
        let mut guard = 0;
        while let Some(h) = trace.extends.iter().rev().find(|h| h.service == cur) {
            hops.push(format!(
                "services.{} extends {}{} ({})",
                h.service,
                h.base,
                h.file
                    .as_ref()
                    .map(|f| format!(" from {f}"))
                    .unwrap_or_default(),
                Origin::of(&h.pos)
                    .map(|o| o.to_string())
                    .unwrap_or_default()
            ));
            cur = h.base.clone();
            guard += 1;
            if guard > 16 {
                break;
            }
        }
    }
    for h in &trace.includes {
        if h.files.iter().any(|f| f == file) {
            hops.push(format!(
                "included from {} ({})",
                h.files.join(", "),
                Origin::of(&h.pos)
                    .map(|o| o.to_string())
                    .unwrap_or_default()
            ));
        }
    }
    let mut entries = Vec::new();
    if with_entries {
        match &node.value {
            Value::Map(m) => {
                for (k, v) in m.iter() {
                    let mut s = segs.to_vec();
                    s.push(Seg::Key(k.clone()));
                    entries.push(explain_node(trace, v, &s, false));
                }
            }
            Value::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    let mut s = segs.to_vec();
                    s.push(Seg::Index(i));
                    entries.push(explain_node(trace, v, &s, false));
                }
            }
            _ => {}
        }
    }
    Explanation {
        path,
        value: node.to_json(),
        at,
        kind,
        template,
        variables,
        overrode,
        hops,
        entries,
    }
}

fn how(v: &Via) -> String {
    match v {
        Via::File => "override file".to_string(),
        Via::Extends { base } => format!("extends base service {base}"),
    }
}

fn earlier(trace: &Trace, old: &Node, how: String) -> Earlier {
    let (template, variables) = match interp_of(trace, &old.pos) {
        Some((t, v)) => (Some(t), v),
        None => (None, Vec::new()),
    };
    Earlier {
        value: old.to_json(),
        at: Origin::of(&old.pos),
        how,
        template,
        variables,
    }
}

/// The template written at `pos` and the variables it used, each with its source.
fn interp_of(trace: &Trace, pos: &Pos) -> Option<(String, Vec<VarUse>)> {
    if !pos.is_known() {
        return None;
    }
    let (t, idx) = trace.templates.get(pos)?;
    let env = trace.envs.get(*idx)?;
    let lookup = |k: &str| env.get(k).map(str::to_string);
    let used = interpolate(t, &lookup).ok()?.used;
    if used.is_empty() {
        return None;
    }
    let vars = used.iter().map(|u| var_use(env, u, Some(t))).collect();
    Some((t.clone(), vars))
}

fn var_use(env: &Environment, name: &str, template: Option<&str>) -> VarUse {
    let value = env.get(name).map(str::to_string);
    let form = template.and_then(|t| operator_form(t, name));
    let source = match (&value, env.sources.get(name)) {
        (Some(v), _)
            if v.is_empty() && form.as_ref().map(|(op, _, _)| op == ":-").unwrap_or(false) =>
        {
            let (_, d, w) = form.clone().unwrap_or_default();
            VarSource::Default {
                written: w,
                default: d,
            }
        }
        (Some(_), Some(EnvSource::Shell)) | (Some(_), None) => VarSource::Shell,
        (Some(_), Some(EnvSource::File { path, line })) => VarSource::EnvFile {
            file: short_file(&path.display().to_string()),
            line: *line,
        },
        (Some(_), Some(EnvSource::Derived)) => VarSource::Derived,
        (None, _) => match form {
            Some((op, d, w)) if op.ends_with('-') => VarSource::Default {
                written: w,
                default: d,
            },
            _ => VarSource::Unset,
        },
    };
    VarUse {
        name: name.to_string(),
        value,
        source,
    }
}

/// `${NAME<op>arg}` in `t`: the operator, its argument and the whole form as written.
fn operator_form(t: &str, name: &str) -> Option<(String, String, String)> {
    let needle = format!("${{{name}");
    let mut from = 0;
    while let Some(rel) = t[from..].find(&needle) {
        let start = from + rel;
        let after = start + needle.len();
        from = after;
        let rest = &t[after..];
        let Some(op) = [":-", ":?", ":+", "-", "?", "+"]
            .into_iter()
            .find(|op| rest.starts_with(op))
        else {
            continue;
        };
        let arg_start = after + op.len();
        let mut depth = 1usize;
        for (i, c) in t[arg_start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let end = arg_start + i;
                        return Some((
                            op.to_string(),
                            t[arg_start..end].to_string(),
                            t[start..=end].to_string(),
                        ));
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{load, LoadFlags};
    use crate::options::ProjectRequest;

    /// Writes `files` into a temp dir (the first ones named in `compose` are `-f` files),
    /// loads with provenance, explains `key`.
    fn explain_in(
        files: &[(&str, &str)],
        compose: &[&str],
        shell: &[(&str, &str)],
        env_files: &[&str],
        key: &str,
    ) -> Explanation {
        let dir = crate::load::tests_support::write_files(files);
        let mut env = Environment::default();
        for (k, v) in shell {
            env.set(*k, *v, EnvSource::Shell);
        }
        let opts = ProjectRequest {
            files: compose
                .iter()
                .map(|f| dir.path().join(f).display().to_string())
                .collect(),
            project_name: Some("t".into()),
            cwd: Some(dir.path().to_path_buf()),
            os_env: Some(env),
            env_files: env_files.iter().map(|f| dir.path().join(f)).collect(),
            ..Default::default()
        }
        .resolve()
        .expect("options");
        let flags = LoadFlags {
            provenance: true,
            ..LoadFlags::default()
        };
        let loaded = load(&opts, &flags).expect("load");
        let trace = loaded.provenance.as_deref().expect("trace");
        explain(trace, key).unwrap_or_else(|e| panic!("{key}: {e}"))
    }

    fn at(e: &Option<Origin>) -> String {
        e.as_ref()
            .map(|o| {
                let f = Path::new(&o.file)
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default();
                format!("{f}:{}", o.line)
            })
            .unwrap_or_default()
    }

    fn src(v: &VarUse) -> String {
        match &v.source {
            VarSource::Shell => "shell".into(),
            VarSource::EnvFile { file, line } => format!(
                "{}:{line}",
                Path::new(file)
                    .file_name()
                    .map(|f| f.to_string_lossy().to_string())
                    .unwrap_or_default()
            ),
            VarSource::Derived => "derived".into(),
            VarSource::Default { default, .. } => format!("default {default}"),
            VarSource::Unset => "unset".into(),
        }
    }

    /// Each source kind and each override path: (what, files, -f files, shell, --env-file,
    /// key, value, where written, kind, variables "NAME=source", overrode "file:line how",
    /// a hop that must be named).
    #[test]
    fn provenance_table() {
        type Case<'a> = (
            &'a str,
            Vec<(&'a str, &'a str)>,
            Vec<&'a str>,
            Vec<(&'a str, &'a str)>,
            Vec<&'a str>,
            &'a str,
            serde_json::Value,
            &'a str,
            &'a str,
            Vec<&'a str>,
            Vec<&'a str>,
            &'a str,
        );
        let cases: Vec<Case> = vec![
            (
                "a variable from the shell",
                vec![("compose.yaml", "services:\n  web:\n    image: \"nginx:${TAG}\"\n")],
                vec!["compose.yaml"],
                vec![("TAG", "1.25")],
                vec![],
                "services.web.image",
                "nginx:1.25".into(),
                "compose.yaml:3",
                "compose file",
                vec!["TAG=shell"],
                vec![],
                "",
            ),
            (
                "a variable from .env (the shell wins over it for others)",
                vec![
                    ("compose.yaml", "services:\n  web:\n    image: \"${REPO}:${TAG}\"\n"),
                    (".env", "# tags\nTAG=2\nREPO=file\n"),
                ],
                vec!["compose.yaml"],
                vec![("REPO", "shell")],
                vec![],
                "services.web.image",
                "shell:2".into(),
                "compose.yaml:3",
                "compose file",
                vec!["REPO=shell", "TAG=.env:2"],
                vec![],
                "",
            ),
            (
                "a variable from --env-file",
                vec![
                    ("compose.yaml", "services:\n  web:\n    image: \"nginx:${TAG}\"\n"),
                    ("prod.env", "\nTAG=prod\n"),
                ],
                vec!["compose.yaml"],
                vec![],
                vec!["prod.env"],
                "services.web.image",
                "nginx:prod".into(),
                "compose.yaml:3",
                "compose file",
                vec!["TAG=prod.env:2"],
                vec![],
                "",
            ),
            (
                "a default written in ${V:-d}",
                vec![("compose.yaml", "services:\n  web:\n    image: \"nginx:${TAG:-latest}\"\n")],
                vec!["compose.yaml"],
                vec![],
                vec![],
                "services.web.image",
                "nginx:latest".into(),
                "compose.yaml:3",
                "compose file",
                vec!["TAG=default latest"],
                vec![],
                "",
            ),
            (
                "an override file replaces the value",
                vec![
                    ("compose.yaml", "services:\n  web:\n    image: a\n"),
                    ("override.yaml", "services:\n  web:\n\n    image: b\n"),
                ],
                vec!["compose.yaml", "override.yaml"],
                vec![],
                vec![],
                "services.web.image",
                "b".into(),
                "override.yaml:4",
                "compose file",
                vec![],
                vec!["compose.yaml:3 override file"],
                "",
            ),
            (
                "extends: the extending service overrides the base",
                vec![(
                    "compose.yaml",
                    "services:\n  base:\n    image: a\n  web:\n    extends: base\n    image: b\n",
                )],
                vec!["compose.yaml"],
                vec![],
                vec![],
                "services.web.image",
                "b".into(),
                "compose.yaml:6",
                "compose file",
                vec![],
                vec!["compose.yaml:3 extends base service base"],
                "services.web extends base",
            ),
            (
                "extends from another file: the inherited value",
                vec![
                    (
                        "compose.yaml",
                        "services:\n  web:\n    extends: {file: common.yaml, service: base}\n",
                    ),
                    ("common.yaml", "services:\n  base:\n    image: \"c:${V:-1}\"\n"),
                ],
                vec!["compose.yaml"],
                vec![],
                vec![],
                "services.web.image",
                "c:1".into(),
                "common.yaml:3",
                "compose file",
                vec!["V=default 1"],
                vec![],
                "services.web extends base from common.yaml",
            ),
            (
                "include: the value comes from the included file",
                vec![
                    ("compose.yaml", "include:\n  - sub/db.yaml\nservices:\n  web:\n    image: w\n"),
                    ("sub/db.yaml", "services:\n  db:\n    image: \"pg:${PG}\"\n"),
                    ("sub/.env", "PG=16\n"),
                ],
                vec!["compose.yaml"],
                vec![],
                vec![],
                "services.db.image",
                "pg:16".into(),
                "db.yaml:3",
                "included file",
                vec!["PG=.env:1"],
                vec![],
                "included from",
            ),
            (
                "environment overrides env_file, an override file overrides environment",
                vec![
                    (
                        "compose.yaml",
                        "services:\n  web:\n    image: w\n    env_file: app.env\n    environment:\n      - PORT=1\n",
                    ),
                    ("override.yaml", "services:\n  web:\n    environment:\n      PORT: \"2\"\n"),
                    ("app.env", "A=1\nPORT=0\n"),
                ],
                vec!["compose.yaml", "override.yaml"],
                vec![],
                vec![],
                "services.web.environment.PORT",
                "2".into(),
                "override.yaml:4",
                "environment",
                vec![],
                vec!["compose.yaml:6 override file", "app.env:2 env_file (environment wins)"],
                "",
            ),
            (
                "an env_file line",
                vec![
                    ("compose.yaml", "services:\n  web:\n    image: w\n    env_file: [a.env, b.env]\n"),
                    ("a.env", "X=a\n"),
                    ("b.env", "\nX=b\n"),
                ],
                vec!["compose.yaml"],
                vec![],
                vec![],
                "services.web.environment.X",
                "b".into(),
                "b.env:2",
                "env_file",
                vec![],
                vec!["a.env:1 a later env_file line"],
                "",
            ),
            (
                "a value-less environment entry passes the shell's value through",
                vec![("compose.yaml", "services:\n  web:\n    image: w\n    environment: [TOKEN]\n")],
                vec!["compose.yaml"],
                vec![("TOKEN", "s3cret")],
                vec![],
                "services.web.environment.TOKEN",
                "s3cret".into(),
                "compose.yaml:4",
                "pass-through",
                vec!["TOKEN=shell"],
                vec![],
                "",
            ),
        ];
        for (what, files, compose, shell, env_files, key, value, written, kind, vars, over, hop) in
            cases
        {
            let e = explain_in(&files, &compose, &shell, &env_files, key);
            assert_eq!(e.value, value, "{what}: value");
            assert_eq!(at(&e.at), written, "{what}: written at");
            assert_eq!(e.kind, kind, "{what}: kind");
            let got: Vec<String> = e
                .variables
                .iter()
                .map(|v| format!("{}={}", v.name, src(v)))
                .collect();
            assert_eq!(got, vars, "{what}: variables");
            let got: Vec<String> = e
                .overrode
                .iter()
                .map(|o| format!("{} {}", at(&o.at), o.how))
                .collect();
            assert_eq!(got, over, "{what}: overrode");
            if !hop.is_empty() {
                assert!(
                    e.hops.iter().any(|h| h.contains(hop)),
                    "{what}: hop {hop} in {:?}",
                    e.hops
                );
            }
        }
    }

    #[test]
    fn environment_lists_every_variable() {
        let e = explain_in(
            &[
                (
                    "compose.yaml",
                    "services:\n  web:\n    image: w\n    env_file: app.env\n    environment:\n      B: \"2\"\n      C:\n",
                ),
                ("app.env", "A=1\nB=0\n"),
            ],
            &["compose.yaml"],
            &[("C", "c")],
            &[],
            "services.web.environment",
        );
        let got: Vec<(String, String)> = e
            .entries
            .iter()
            .map(|x| (x.path.clone(), x.kind.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "services.web.environment.A".to_string(),
                    "env_file".to_string()
                ),
                (
                    "services.web.environment.B".to_string(),
                    "environment".to_string()
                ),
                (
                    "services.web.environment.C".to_string(),
                    "pass-through".to_string()
                ),
            ]
        );
        assert_eq!(e.entries[1].overrode.len(), 1);
    }

    #[test]
    fn bad_key_paths_say_why() {
        let files = [(
            "compose.yaml",
            "services:\n  web:\n    image: w\n    ports: ['80:80']\n",
        )];
        let load = |key: &str| {
            std::panic::catch_unwind(|| explain_in(&files, &["compose.yaml"], &[], &[], key))
        };
        assert!(load("services.web.ports[0].target").is_ok());
        assert!(load("services.web.ports.0").is_ok());
        assert!(load("services.wbe").is_err());
    }

    #[test]
    fn operator_forms() {
        assert_eq!(
            operator_form("a${X}b${X:-d}", "X"),
            Some((":-".into(), "d".into(), "${X:-d}".into()))
        );
        assert_eq!(
            operator_form("${XY-1}${X-{a}}", "X"),
            Some(("-".into(), "{a}".into(), "${X-{a}}".into()))
        );
        assert_eq!(operator_form("${X}", "X"), None);
    }
}
