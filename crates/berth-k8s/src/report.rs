//! Findings (what was approximated or refused, what lint found) and where they were written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use berth_compose::load::LoadedProject;
use berth_compose::yaml::{self, Node, Pos};

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Converted, with a remark worth reading.
    Info,
    /// Approximated: the output behaves differently from Compose in the way described.
    Warning,
    /// Refused: berth cannot convert this faithfully (an error unless `--allow-lossy`).
    Error,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about one compose key.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// Lint rule id, for lint findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The compose key, as a path: `services.web.ports[0]`.
    pub key: String,
    /// The service it concerns, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// `file`, and `line` when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub message: String,
    /// How to fix it, or what to do instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// `file:line: ` (or `file: `), empty when unknown.
    pub fn location(&self) -> String {
        match (&self.file, self.line) {
            (Some(f), Some(l)) => format!("{f}:{l}: "),
            (Some(f), None) => format!("{f}: "),
            _ => String::new(),
        }
    }

    /// One or two lines of text for the terminal.
    pub fn render(&self) -> String {
        let rule = self.rule.map(|r| format!(" [{r}]")).unwrap_or_default();
        let mut s = format!(
            "{}{}{rule}: {}: {}",
            self.location(),
            self.severity.word(),
            self.key,
            self.message
        );
        if let Some(f) = &self.fix {
            s.push_str(&format!("\n    fix: {f}"));
        }
        s
    }
}

/// The service a key path is about (`services.web.ports[0]` → `web`).
fn service_of(key: &str) -> Option<String> {
    let rest = key.strip_prefix("services.")?;
    // Service names may contain dots; the locator knows the real names, this is a fallback.
    Some(rest.split(['.', '[']).next().unwrap_or(rest).to_string())
}

/// Findings collected during a conversion or a lint run.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn add(
        &mut self,
        severity: Severity,
        key: &str,
        message: impl Into<String>,
        fix: Option<String>,
    ) {
        self.findings.push(Finding {
            severity,
            rule: None,
            key: key.to_string(),
            service: service_of(key),
            file: None,
            line: None,
            message: message.into(),
            fix,
        });
    }

    pub fn error(&mut self, key: &str, message: impl Into<String>, fix: Option<String>) {
        self.add(Severity::Error, key, message, fix);
    }

    pub fn warn(&mut self, key: &str, message: impl Into<String>, fix: Option<String>) {
        self.add(Severity::Warning, key, message, fix);
    }

    pub fn info(&mut self, key: &str, message: impl Into<String>, fix: Option<String>) {
        self.add(Severity::Info, key, message, fix);
    }

    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }

    /// Sets each finding's service from its key, knowing the real service names (which may
    /// contain dots): the longest prefix of the key, cut at a `.` or `[`, that is a service.
    pub fn assign_services<'a>(&mut self, names: impl Iterator<Item = &'a String>) {
        let names: std::collections::BTreeSet<&str> = names.map(String::as_str).collect();
        for f in &mut self.findings {
            let Some(rest) = f.key.strip_prefix("services.") else {
                continue;
            };
            if let Some(c) = cuts(rest).rev().find(|&c| names.contains(&rest[..c])) {
                f.service = Some(rest[..c].to_string());
            }
        }
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// Fills in file and line of every finding from the compose files.
    pub fn locate(&mut self, locator: &Locator) {
        for f in &mut self.findings {
            if f.file.is_none() {
                if let Some((file, line)) = locator.find(&f.key, f.service.as_deref()) {
                    f.file = Some(file);
                    f.line = (line > 0).then_some(line);
                }
            }
        }
    }

    /// Sorts findings by severity (worst first), then file, line and key, and drops repeats.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.key.cmp(&b.key))
                .then_with(|| a.message.cmp(&b.message))
        });
        self.findings.dedup_by(|a, b| {
            a.severity == b.severity && a.key == b.key && a.message == b.message && a.rule == b.rule
        });
    }
}

/// Finds where a key path (`services.web.volumes[1]`) was written. With the loader's final
/// tree ([`Locator::for_project`]) each value knows its file and line, also when it came from
/// an `include`d file, an `extends` base or an override; without it (or for what the tree does
/// not hold) the compose files are read again, and with several `-f` files the last one that
/// has the key wins. When the exact key is not found, the nearest enclosing key is used.
pub struct Locator<'t> {
    files: Vec<(String, Vec<Node>)>,
    tree: Option<&'t Node>,
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

impl<'t> Locator<'t> {
    /// The locator of a loaded project: its final tree when it was loaded with
    /// `LoadFlags::keep_tree`, and its compose files.
    pub fn for_project(lp: &'t LoadedProject) -> Locator<'t> {
        Locator {
            tree: lp.tree.as_deref(),
            ..Locator::new(&lp.config_files)
        }
    }

    /// Reads the files; unreadable or unparsable files are skipped (the loader already
    /// accepted them, so this only happens with stdin).
    pub fn new(files: &[PathBuf]) -> Locator<'t> {
        let mut out = Vec::new();
        for f in files {
            let Ok(text) = std::fs::read_to_string(f) else {
                continue;
            };
            let name = display_path(f);
            if let Ok(docs) = yaml::parse_documents(&text, &Arc::from(name.as_str())) {
                out.push((name, docs));
            }
        }
        Locator {
            files: out,
            tree: None,
        }
    }

    /// An empty locator (no positions).
    pub fn none() -> Locator<'t> {
        Locator {
            files: Vec::new(),
            tree: None,
        }
    }

    /// Splits `services.web.labels.kompose.service.type` knowing that after `labels`,
    /// `environment`, `annotations`, `x-berth`… keys may contain dots: the tree decides.
    fn walk<'a>(node: &'a Node, path: &str) -> (Option<&'a Node>, Option<Pos>, usize) {
        // Greedy walk: at each map, try the longest dotted key that exists.
        let mut cur = node;
        let mut best_pos: Option<Pos> = None;
        let mut depth = 0;
        let mut rest = path;
        loop {
            if rest.is_empty() {
                return (Some(cur), best_pos.or(Some(cur.pos.clone())), depth);
            }
            let (seg, tail) = match next_seg(rest, cur) {
                Some(x) => x,
                None => return (None, best_pos, depth),
            };
            // Positions berth made up (normalised forms) do not replace a written one.
            let known = |p: &Pos| p.is_known().then(|| p.clone());
            match (&seg, &cur.value) {
                (Seg::Key(k), yaml::Value::Map(m)) => match m.get(k) {
                    Some(n) => {
                        // The key's line, unless a later file (an override) wrote the value:
                        // merged maps keep the key where it was first written.
                        let key = m.key_pos(k).and_then(known);
                        let value = known(&n.pos);
                        best_pos = match (key, value) {
                            (Some(k), Some(v)) if k.file != v.file => Some(v),
                            (k, v) => k.or(v).or(best_pos),
                        };
                        cur = n;
                    }
                    None => return (None, best_pos, depth),
                },
                (Seg::Index(i), yaml::Value::Seq(s)) => match s.get(*i) {
                    Some(n) => {
                        best_pos = known(&n.pos).or(best_pos);
                        cur = n;
                    }
                    None => return (None, best_pos, depth),
                },
                _ => return (None, best_pos, depth),
            }
            depth += 1;
            rest = tail;
        }
    }

    /// `(file, line)` of `key` (line 0 when only the file is known).
    pub fn find(&self, key: &str, service: Option<&str>) -> Option<(String, u32)> {
        let _ = service;
        if let Some(tree) = self.tree {
            if let (found, Some(p), depth) = Self::walk(tree, key) {
                if p.is_known() && (found.is_some() || depth > 0) {
                    return Some((display_path(Path::new(&*p.file)), p.line));
                }
            }
        }
        let mut best: Option<(usize, String, u32)> = None;
        for (name, docs) in self.files.iter().rev() {
            for d in docs.iter().rev() {
                let (found, pos, depth) = Self::walk(d, key);
                if let Some(p) = pos {
                    if !p.is_known() {
                        continue;
                    }
                    if found.is_some() {
                        return Some((name.clone(), p.line));
                    }
                    if best.as_ref().is_none_or(|b| depth > b.0) {
                        best = Some((depth, name.clone(), p.line));
                    }
                }
            }
        }
        match best {
            Some((d, f, l)) if d > 0 => Some((f, l)),
            _ => self.files.first().map(|(f, _)| (f.clone(), 0)),
        }
    }

    /// The position of the value at `key`, if written.
    pub fn node(&self, key: &str) -> Option<(&str, &Node)> {
        for (name, docs) in self.files.iter().rev() {
            for d in docs.iter().rev() {
                if let (Some(n), _, _) = Self::walk(d, key) {
                    return Some((name.as_str(), n));
                }
            }
        }
        None
    }
}

/// Where `path` may be cut into a key and the rest: before each `.` or `[`, and at the end.
fn cuts(path: &str) -> impl DoubleEndedIterator<Item = usize> + '_ {
    path.char_indices()
        .filter(|(_, c)| *c == '.' || *c == '[')
        .map(|(i, _)| i)
        .chain([path.len()])
}

/// The next step of `path` at `node`: `[n]` for sequences, else the longest dotted key prefix
/// that the map has (keys may contain dots), else the text up to the next dot.
fn next_seg<'p>(path: &'p str, node: &Node) -> Option<(Seg, &'p str)> {
    let path = path.strip_prefix('.').unwrap_or(path);
    if let Some(r) = path.strip_prefix('[') {
        let end = r.find(']')?;
        let i: usize = r[..end].parse().ok()?;
        return Some((Seg::Index(i), &r[end + 1..]));
    }
    if let Some(m) = node.as_map() {
        // Longest prefix ending at a '.', '[' or the end that is a key of the map.
        for c in cuts(path).rev() {
            let k = &path[..c];
            if m.contains_key(k) {
                return Some((Seg::Key(k.to_string()), &path[c..]));
            }
        }
    }
    let end = path.find(['.', '[']).unwrap_or(path.len());
    Some((Seg::Key(path[..end].to_string()), &path[end..]))
}

/// A path for messages: relative to the current directory when below it.
pub fn display_path(p: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir() {
        if let Ok(rel) = p.strip_prefix(&cwd) {
            return rel.display().to_string();
        }
    }
    p.display().to_string()
}
