//! Building an image through the Engine API (the legacy builder: Docker 20.10 has no BuildKit
//! session for us): the context sent as a tar that honours `.dockerignore` exactly as the Docker
//! CLI does, the build options compose knows, and the build stream turned into lines and errors.
//!
//! `.dockerignore` follows Docker 20.10's `fileutils.PatternMatcher` and the CLI's walk
//! (`archive.TarWithOptions`): patterns are cleaned paths turned into anchored regexps (`*` is
//! any run without `/`, `**` any number of directories, `?` one non-`/` character), the last
//! matching pattern wins (`!` re-includes), a pattern also matches a file when it matches the
//! file's parent directory cut to as many components as the pattern has, an excluded directory
//! is not entered unless an exception pattern lies beneath it, and `.dockerignore` and the
//! Dockerfile are always sent.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bollard::query_parameters::{BuildImageOptions, BuilderVersion};
use futures_util::StreamExt;

use super::Engine;

/// Why a build could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Context(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{message}")]
    Failed {
        message: String,
        /// `Step 3/4 : RUN false`, when the builder said which step failed.
        step: Option<String>,
        /// The Dockerfile line of that step (`Dockerfile:5`), when it could be found.
        line: Option<String>,
        /// The step's output up to the failure.
        output: Vec<String>,
    },
    #[error("{0}")]
    Engine(String),
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

/// One `.dockerignore` pattern.
#[derive(Debug, Clone)]
struct Pattern {
    cleaned: String,
    dirs: usize,
    re: regex::Regex,
    exclusion: bool,
}

/// The patterns of a `.dockerignore`, matched as Docker 20.10 matches them.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

/// Go's `filepath.Clean` for `/`-separated paths.
pub fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(l) if *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Docker's pattern-to-regexp translation (fileutils, Docker 20.10).
fn pattern_regex(pattern: &str) -> String {
    let mut re = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        match ch {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    re.push_str(".*");
                } else {
                    re.push_str("(.*/)?");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '.' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => {
                if i < chars.len() {
                    re.push('\\');
                    re.push(chars[i]);
                    i += 1;
                } else {
                    re.push('\\');
                }
            }
            c => re.push(c),
        }
    }
    re.push('$');
    re
}

impl DockerIgnore {
    /// Parses `.dockerignore` text as the Docker CLI reads it (`dockerignore.ReadAll`):
    /// `#` comments, blank lines skipped, each pattern cleaned and made relative.
    pub fn parse(text: &str) -> Result<DockerIgnore, String> {
        let mut lines = Vec::new();
        for (n, raw) in text.lines().enumerate() {
            let raw = if n == 0 {
                raw.trim_start_matches('\u{feff}')
            } else {
                raw
            };
            if raw.starts_with('#') {
                continue;
            }
            let mut p = raw.trim().to_string();
            if p.is_empty() {
                continue;
            }
            let invert = p.starts_with('!');
            if invert {
                p = p[1..].trim().to_string();
            }
            if !p.is_empty() {
                p = clean_path(&p);
                if p.len() > 1 && p.starts_with('/') {
                    p = p[1..].to_string();
                }
            }
            if invert {
                p = format!("!{p}");
            }
            lines.push((n + 1, p));
        }
        Self::from_patterns(&lines)
    }

    fn from_patterns(lines: &[(usize, String)]) -> Result<DockerIgnore, String> {
        let mut out = DockerIgnore::default();
        for (line, p) in lines {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            let mut p = clean_path(p);
            let mut exclusion = false;
            if let Some(rest) = p.strip_prefix('!') {
                if rest.is_empty() {
                    return Err(format!("line {line}: illegal exclusion pattern: \"!\""));
                }
                exclusion = true;
                out.exclusions = true;
                p = rest.to_string();
            }
            let re = regex::Regex::new(&pattern_regex(&p))
                .map_err(|_| format!("line {line}: syntax error in pattern {p:?}"))?;
            out.patterns.push(Pattern {
                dirs: p.split('/').count(),
                cleaned: p,
                re,
                exclusion,
            });
        }
        Ok(out)
    }

    /// Adds `!name` (the CLI's `TrimBuildFilesFromExcludes` for `.dockerignore` and the
    /// Dockerfile) when `name` would be excluded.
    fn keep(&mut self, name: &str) {
        if self.matches(name) {
            let p = clean_path(name);
            if let Ok(re) = regex::Regex::new(&pattern_regex(&p)) {
                self.patterns.push(Pattern {
                    dirs: p.split('/').count(),
                    cleaned: p,
                    re,
                    exclusion: true,
                });
                self.exclusions = true;
            }
        }
    }

    /// Whether the context path `file` (relative, `/`-separated) is excluded.
    pub fn matches(&self, file: &str) -> bool {
        let parent = match file.rfind('/') {
            Some(i) => &file[..i],
            None => ".",
        };
        let parent_dirs: Vec<&str> = parent.split('/').collect();
        let mut matched = false;
        for p in &self.patterns {
            let mut m = p.re.is_match(file);
            if !m && parent != "." && p.dirs <= parent_dirs.len() {
                m = p.re.is_match(&parent_dirs[..p.dirs].join("/"));
            }
            if m {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Whether an excluded directory must still be walked (an exception lies beneath it).
    fn must_enter(&self, dir: &str) -> bool {
        if !self.exclusions {
            return false;
        }
        let dir_slash = format!("{dir}/");
        self.patterns
            .iter()
            .any(|p| p.exclusion && format!("{}/", p.cleaned).starts_with(&dir_slash))
    }
}

/// One entry of the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    /// Relative, `/`-separated.
    pub path: String,
    pub full: PathBuf,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Dir,
    File,
    Symlink,
}

/// The ignore file that applies: `<Dockerfile>.dockerignore` beside the Dockerfile (as BuildKit
/// reads it) when it exists, else `<context>/.dockerignore`.
pub fn ignore_file(context: &Path, dockerfile: &Path) -> Option<PathBuf> {
    let name = dockerfile.file_name()?.to_string_lossy().to_string();
    let specific = dockerfile.with_file_name(format!("{name}.dockerignore"));
    if specific.is_file() {
        return Some(specific);
    }
    let generic = context.join(".dockerignore");
    generic.is_file().then_some(generic)
}

/// The entries a `docker build` of `context` sends, in walk order; `dockerfile_rel` is the
/// Dockerfile's path inside the context (always kept), if it is inside.
pub fn context_entries(
    context: &Path,
    ignore: &DockerIgnore,
    dockerfile_rel: Option<&str>,
) -> Result<Vec<ContextEntry>, String> {
    let mut ignore = ignore.clone();
    ignore.keep(".dockerignore");
    if let Some(d) = dockerfile_rel {
        ignore.keep(d);
    }
    let mut out = Vec::new();
    walk(context, "", &ignore, &mut out)?;
    Ok(out)
}

fn walk(
    dir: &Path,
    rel: &str,
    ignore: &DockerIgnore,
    out: &mut Vec<ContextEntry>,
) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<(String, PathBuf)> = Vec::new();
    for ent in rd {
        let ent = ent.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        names.push((ent.file_name().to_string_lossy().to_string(), ent.path()));
    }
    names.sort();
    for (name, full) in names {
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let meta = std::fs::symlink_metadata(&full)
            .map_err(|e| format!("cannot read {}: {e}", full.display()))?;
        let kind = if meta.file_type().is_symlink() {
            EntryKind::Symlink
        } else if meta.is_dir() {
            EntryKind::Dir
        } else if meta.is_file() {
            EntryKind::File
        } else {
            continue; // sockets, fifos: Docker skips them too
        };
        if ignore.matches(&path) {
            if kind == EntryKind::Dir && ignore.must_enter(&path) {
                walk(&full, &path, ignore, out)?;
            }
            continue;
        }
        out.push(ContextEntry {
            path: path.clone(),
            full: full.clone(),
            kind,
        });
        if kind == EntryKind::Dir {
            walk(&full, &path, ignore, out)?;
        }
    }
    Ok(())
}

/// Writes the context entries (and extra in-memory files) as a tar: uid/gid 0, mtime 0, so the
/// same context gives the same bytes.
pub fn context_tar(
    entries: &[ContextEntry],
    extra: &[(String, Vec<u8>)],
) -> Result<Vec<u8>, String> {
    use std::os::unix::fs::PermissionsExt;
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    for e in entries {
        let meta = std::fs::symlink_metadata(&e.full)
            .map_err(|err| format!("cannot read {}: {err}", e.full.display()))?;
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(meta.permissions().mode() & 0o7777);
        let fail =
            |err: std::io::Error| format!("cannot add {} to the build context: {err}", e.path);
        match e.kind {
            EntryKind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, format!("{}/", e.path), std::io::empty())
                    .map_err(fail)?;
            }
            EntryKind::File => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(meta.len());
                let f = std::fs::File::open(&e.full)
                    .map_err(|err| format!("cannot read {}: {err}", e.full.display()))?;
                b.append_data(&mut h, &e.path, f).map_err(fail)?;
            }
            EntryKind::Symlink => {
                let target = std::fs::read_link(&e.full)
                    .map_err(|err| format!("cannot read {}: {err}", e.full.display()))?;
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, &e.path, target).map_err(fail)?;
            }
        }
    }
    for (name, data) in extra {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(0);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data.as_slice())
            .map_err(|err| format!("cannot add {name} to the build context: {err}"))?;
    }
    b.into_inner()
        .map_err(|e| format!("cannot write the build context: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The build request

/// Everything one image build needs (resolved from a service's `build:` and the flags).
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// The context directory.
    pub context: PathBuf,
    /// The Dockerfile on disk (None with `inline`).
    pub dockerfile: Option<PathBuf>,
    /// `dockerfile_inline` content.
    pub inline: Option<String>,
    /// The first tag is the image's name; the others are added.
    pub tags: Vec<String>,
    pub args: HashMap<String, String>,
    pub target: Option<String>,
    pub labels: HashMap<String, String>,
    pub no_cache: bool,
    pub pull: bool,
    pub network: Option<String>,
    pub extra_hosts: Vec<String>,
    pub shm_size: Option<i64>,
    pub cache_from: Vec<String>,
}

/// What the build context turned into: the tar, the Dockerfile name inside it, its text.
pub struct PreparedContext {
    pub tar: Vec<u8>,
    pub dockerfile_name: String,
    pub dockerfile_text: String,
    pub dockerfile_label: String,
}

/// Walks the context and packs it (blocking work: call it off the async threads if large).
pub fn prepare_context(spec: &BuildSpec) -> Result<PreparedContext, BuildError> {
    let ctx = &spec.context;
    if !ctx.is_dir() {
        return Err(BuildError::Context(format!(
            "build context {} is not a directory",
            ctx.display()
        )));
    }
    let mut extra = Vec::new();
    let (dockerfile_name, dockerfile_text, label, df_path) = if let Some(text) = &spec.inline {
        let name = format!(
            ".berth-dockerfile.{}",
            &crate::images::sha256_hex(text.as_bytes())[..12]
        );
        extra.push((name.clone(), text.clone().into_bytes()));
        (name, text.clone(), "dockerfile_inline".to_string(), None)
    } else {
        let df = spec
            .dockerfile
            .clone()
            .unwrap_or_else(|| ctx.join("Dockerfile"));
        let text = std::fs::read_to_string(&df).map_err(|e| {
            BuildError::Context(format!(
                "cannot read the Dockerfile {}: {e} (set build.dockerfile, or create it)",
                df.display()
            ))
        })?;
        let label = df.display().to_string();
        match df.strip_prefix(ctx) {
            Ok(rel) => (
                rel.to_string_lossy().replace('\\', "/"),
                text,
                label,
                Some(df.clone()),
            ),
            Err(_) => {
                // Outside the context: sent beside it under a private name, as the CLI does.
                let name = format!(
                    ".berth-dockerfile.{}",
                    &crate::images::sha256_hex(text.as_bytes())[..12]
                );
                extra.push((name.clone(), text.clone().into_bytes()));
                (name, text, label, None)
            }
        }
    };
    let ignore_path = ignore_file(ctx, df_path.as_deref().unwrap_or(&ctx.join("Dockerfile")));
    let ignore = match &ignore_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BuildError::Context(format!("cannot read {}: {e}", p.display())))?;
            DockerIgnore::parse(&text)
                .map_err(|e| BuildError::Context(format!("{}: {e}", p.display())))?
        }
        None => DockerIgnore::default(),
    };
    let in_ctx = if extra.iter().any(|(n, _)| *n == dockerfile_name) {
        None
    } else {
        Some(dockerfile_name.as_str())
    };
    let entries = context_entries(ctx, &ignore, in_ctx).map_err(BuildError::Context)?;
    let tar = context_tar(&entries, &extra).map_err(BuildError::Context)?;
    Ok(PreparedContext {
        tar,
        dockerfile_name,
        dockerfile_text,
        dockerfile_label: label,
    })
}

/// Instructions of a Dockerfile with the line each starts on (continuations joined).
pub fn dockerfile_instructions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if current.is_none() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if current.is_some() && t.starts_with('#') {
            continue;
        }
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        if let Some(body) = t.strip_suffix('\\') {
            acc.push_str(body);
            current = Some((start, acc));
        } else {
            acc.push_str(t);
            out.push((start, acc));
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Dockerfile line of `Step N/M : INSTRUCTION`.
pub fn step_line(dockerfile: &str, step: &str) -> Option<usize> {
    let rest = step.strip_prefix("Step ")?;
    let (nums, instr) = rest.split_once(" : ")?;
    let n: usize = nums.split('/').next()?.trim().parse().ok()?;
    let want = normalize_ws(instr);
    let all = dockerfile_instructions(dockerfile);
    let hits: Vec<(usize, usize)> = all
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| normalize_ws(t).eq_ignore_ascii_case(&want))
        .map(|(i, (l, _))| (i, *l))
        .collect();
    hits.iter()
        .min_by_key(|(i, _)| (*i as i64 - (n as i64 - 1)).abs())
        .map(|(_, l)| *l)
        .or_else(|| all.get(n.checked_sub(1)?).map(|(l, _)| *l))
}

/// Adds the `extrahosts` values bollard cannot repeat: the request carries them joined by a
/// newline, and this splits them into repeated query parameters, as the Docker CLI sends them.
fn split_extra_hosts(mut req: bollard::BollardRequest) -> bollard::BollardRequest {
    let uri = req.uri().clone();
    if !uri.path().ends_with("/build") {
        return req;
    }
    let Some(q) = uri.query() else { return req };
    if !q.contains("%0A") {
        return req;
    }
    let new_q: Vec<String> = q
        .split('&')
        .map(|kv| {
            if kv.starts_with("extrahosts=") {
                kv.replace("%0A", "&extrahosts=")
            } else {
                kv.to_string()
            }
        })
        .collect();
    let pq = format!("{}?{}", uri.path(), new_q.join("&"));
    let mut parts = uri.into_parts();
    if let Ok(p) = pq.parse() {
        parts.path_and_query = Some(p);
        if let Ok(u) = http::Uri::from_parts(parts) {
            *req.uri_mut() = u;
        }
    }
    req
}

impl Engine {
    /// Builds an image; `on_line` gets each output line. Returns the image ID.
    pub async fn build_image(
        &self,
        spec: &BuildSpec,
        prepared: PreparedContext,
        credentials: Option<HashMap<String, bollard::auth::DockerCredentials>>,
        mut on_line: impl FnMut(&str),
    ) -> Result<String, BuildError> {
        let tag = spec.tags.first().cloned().unwrap_or_default();
        let opts = BuildImageOptions {
            dockerfile: prepared.dockerfile_name.clone(),
            t: (!tag.is_empty()).then(|| tag.clone()),
            extrahosts: (!spec.extra_hosts.is_empty()).then(|| spec.extra_hosts.join("\n")),
            remote: None,
            q: false,
            nocache: spec.no_cache,
            cachefrom: (!spec.cache_from.is_empty()).then(|| spec.cache_from.clone()),
            pull: spec.pull.then(|| "1".to_string()),
            rm: true,
            forcerm: true,
            memory: None,
            memswap: None,
            cpushares: None,
            cpusetcpus: None,
            cpuperiod: None,
            cpuquota: None,
            buildargs: (!spec.args.is_empty()).then(|| spec.args.clone()),
            shmsize: spec.shm_size.map(|s| s.min(i32::MAX as i64) as i32),
            squash: None,
            labels: (!spec.labels.is_empty()).then(|| spec.labels.clone()),
            networkmode: spec.network.clone(),
            platform: String::new(),
            target: spec.target.clone().unwrap_or_default(),
            version: BuilderVersion::BuilderV1,
        };
        let docker = if spec.extra_hosts.len() > 1 {
            self.docker.clone().with_request_modifier(split_extra_hosts)
        } else {
            self.docker.clone()
        };
        let mut prepared = prepared;
        let tar = std::mem::take(&mut prepared.tar);
        let body = bollard::body_full(bytes::Bytes::from(tar));
        let mut stream = docker.build_image(opts, credentials, Some(body));
        let mut id: Option<String> = None;
        let mut step: Option<String> = None;
        let mut step_output: Vec<String> = Vec::new();
        let mut pending = String::new();
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(i) => i,
                Err(e) => {
                    let msg = match e {
                        bollard::errors::Error::DockerResponseServerError { message, .. } => {
                            message
                        }
                        bollard::errors::Error::DockerStreamError { error } => error,
                        other => other.to_string(),
                    };
                    return Err(self.build_failure(msg, step, step_output, &prepared));
                }
            };
            if let Some(aux) = info.aux.as_ref().and_then(|a| a.id.clone()) {
                id = Some(aux);
            }
            if let Some(s) = info.stream.as_deref() {
                pending.push_str(s);
                while let Some(i) = pending.find('\n') {
                    let line: String = pending.drain(..=i).collect();
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if line.starts_with("Step ") && line.contains(" : ") {
                        step = Some(line.clone());
                        step_output.clear();
                    } else {
                        step_output.push(line.clone());
                    }
                    on_line(&line);
                }
            }
            if let Some(status) = info.status.as_deref() {
                // Pull progress of base images (with `pull`).
                let line = match info.id.as_deref() {
                    Some(i) => format!("{i}: {status}"),
                    None => status.to_string(),
                };
                on_line(&line);
            }
            if let Some(err) = info.error_detail.as_ref() {
                let msg = err.message.clone().unwrap_or_default();
                if !pending.is_empty() {
                    step_output.push(std::mem::take(&mut pending));
                }
                return Err(self.build_failure(msg, step, step_output, &prepared));
            }
        }
        if !pending.trim().is_empty() {
            on_line(pending.trim_end());
        }
        match id {
            Some(i) => Ok(i),
            None if !tag.is_empty() => self
                .image_id(&tag)
                .await
                .map_err(|e| BuildError::Engine(e.to_string()))?
                .ok_or_else(|| BuildError::Engine(format!("the engine built no image {tag}"))),
            None => Err(BuildError::Engine(
                "the engine did not report the built image's ID".into(),
            )),
        }
    }

    fn build_failure(
        &self,
        message: String,
        step: Option<String>,
        output: Vec<String>,
        prepared: &PreparedContext,
    ) -> BuildError {
        let line = step
            .as_deref()
            .and_then(|s| step_line(&prepared.dockerfile_text, s))
            .map(|l| format!("{}:{l}", prepared.dockerfile_label));
        BuildError::Failed {
            message: message.trim().to_string(),
            step,
            line,
            output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).expect("valid")
    }

    #[test]
    fn research_table() {
        // The case rust-stack.md §7 ran against a real `docker build`.
        let i = ig("foo\n*.md\n!README.md\n**/*.log\nnode_modules\nsrc/*.txt\n");
        for kept in ["README.md", "a/DOC.md", "a/foo", "a/b/foo", "src/main.rs"] {
            assert!(!i.matches(kept), "{kept} must be kept");
        }
        for gone in [
            "foo",
            "x.md",
            "a.log",
            "a/b/c.log",
            "node_modules/x",
            "src/a.txt",
        ] {
            assert!(i.matches(gone), "{gone} must be excluded");
        }
    }

    #[test]
    fn parent_dirs_and_double_star() {
        let i = ig("a/b\n");
        assert!(i.matches("a/b/c/d"));
        assert!(!i.matches("x/a/b"));
        let i = ig("**/tmp\n");
        assert!(i.matches("tmp"));
        assert!(i.matches("x/y/tmp"));
        let i = ig("/abs\n# comment\n  \n./dot/../z\n");
        assert!(i.matches("abs"));
        assert!(i.matches("z"));
        assert!(i.matches("z/q"));
    }

    #[test]
    fn clean() {
        assert_eq!(clean_path("a//b/./c/.."), "a/b");
        assert_eq!(clean_path("/../x"), "/x");
        assert_eq!(clean_path("../x"), "../x");
        assert_eq!(clean_path("./"), ".");
    }

    #[test]
    fn step_lines() {
        let df = "# syntax\nFROM x\n\nRUN a \\\n  && b\nRUN false\n";
        assert_eq!(step_line(df, "Step 3/3 : RUN false"), Some(6));
        assert_eq!(step_line(df, "Step 2/3 : RUN a   && b"), Some(4));
        assert_eq!(step_line(df, "Step 1/3 : FROM x"), Some(2));
    }
}

// ---------------------------------------------------------------------------------------------
// Services

/// Flags of `berth build` / `up --build` that apply to every service.
#[derive(Debug, Clone, Default)]
pub struct BuildFlags {
    pub no_cache: bool,
    pub pull: bool,
    /// `--build-arg KEY=VALUE` (or `KEY`, taken from the environment).
    pub build_args: Vec<String>,
}

/// Whether a build context is remote (a Git or HTTP URL).
pub fn is_remote_context(ctx: &str) -> bool {
    ctx.contains("://") || ctx.starts_with("git@") || ctx.starts_with("github.com/")
}

/// The build of service `name`, or why the legacy builder cannot do it.
pub fn spec_for_service(
    loaded: &berth_compose::load::LoadedProject,
    name: &str,
    flags: &BuildFlags,
) -> Result<BuildSpec, String> {
    let svc = loaded
        .project
        .services
        .get(name)
        .ok_or_else(|| format!("no such service: {name}"))?;
    let b = svc
        .build
        .as_ref()
        .ok_or_else(|| format!("service \"{name}\" has no build section"))?;
    let env = |k: &str| -> Option<String> {
        loaded
            .environment
            .get(k)
            .map(str::to_string)
            .or_else(|| std::env::var(k).ok())
    };
    let ctx = b.context.clone().unwrap_or_else(|| ".".into());
    if is_remote_context(&ctx) {
        return Err(format!(
            "service \"{name}\": build context {ctx} is a remote URL, and berth builds offline from a local directory: clone it and set build.context to the directory"
        ));
    }
    if !b.ssh.is_empty() {
        return Err(format!(
            "service \"{name}\": build.ssh needs BuildKit, and berth builds with the engine's legacy builder, which cannot forward SSH agents or keys: remove build.ssh (copy what the build needs into the context), or build this image with `docker buildx build`"
        ));
    }
    if !b.secrets.is_empty() {
        return Err(format!(
            "service \"{name}\": build.secrets need BuildKit, and the engine's legacy builder has no build secrets: remove build.secrets (pass non-secret values as build args), or build this image with `docker buildx build`"
        ));
    }
    if !b.additional_contexts.is_empty() {
        return Err(format!(
            "service \"{name}\": build.additional_contexts need BuildKit; the engine's legacy builder has one context only"
        ));
    }
    if !b.cache_to.is_empty() {
        return Err(format!(
            "service \"{name}\": build.cache_to needs BuildKit; the engine's legacy builder cannot export a cache (remove it; cache_from works)"
        ));
    }
    let context = PathBuf::from(&ctx);
    let context = if context.is_absolute() {
        context
    } else {
        loaded.working_dir.join(context)
    };
    let dockerfile = if b.dockerfile_inline.is_some() {
        None
    } else {
        let d = b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into());
        let p = PathBuf::from(&d);
        Some(if p.is_absolute() { p } else { context.join(p) })
    };
    let mut args: HashMap<String, String> = HashMap::new();
    for (k, v) in &b.args {
        match v {
            Some(v) => {
                args.insert(k.clone(), v.clone());
            }
            None => {
                if let Some(v) = env(k) {
                    args.insert(k.clone(), v);
                }
            }
        }
    }
    for a in &flags.build_args {
        match a.split_once('=') {
            Some((k, v)) => {
                args.insert(k.to_string(), v.to_string());
            }
            None => {
                if let Some(v) = env(a) {
                    args.insert(a.clone(), v);
                }
            }
        }
    }
    let image = crate::spec::image_name(&loaded.name, name, svc);
    let mut tags = vec![image];
    for t in &b.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    Ok(BuildSpec {
        context,
        dockerfile,
        inline: b.dockerfile_inline.clone(),
        tags,
        args,
        target: b.target.clone().filter(|t| !t.is_empty()),
        labels: b
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        no_cache: b.no_cache || flags.no_cache,
        pull: b.pull || flags.pull,
        network: b.network.clone().filter(|n| !n.is_empty()),
        extra_hosts: b
            .extra_hosts
            .iter()
            .map(|h| match h.split_once('=') {
                Some((host, ip)) => format!("{host}:{ip}"),
                None => h.clone(),
            })
            .collect(),
        shm_size: b.shm_size.as_ref().map(|s| s.0).filter(|s| *s > 0),
        cache_from: b.cache_from.clone(),
    })
}

/// A build failure as the user reads it: the step, its Dockerfile line, its output.
pub fn describe_failure(service: &str, e: &BuildError) -> String {
    match e {
        BuildError::Failed {
            message,
            step,
            line,
            output,
        } => {
            let mut s = format!("service \"{service}\": build failed");
            match (line, step) {
                (Some(l), Some(st)) => s.push_str(&format!(" at {l} ({st})")),
                (None, Some(st)) => s.push_str(&format!(" at {st}")),
                _ => {}
            }
            s.push('\n');
            let shown: Vec<&String> = output
                .iter()
                .filter(|o| {
                    !o.starts_with(" ---> ") && !o.starts_with("Removing intermediate container")
                })
                .collect();
            let tail = shown.len().saturating_sub(40);
            for o in &shown[tail..] {
                s.push_str(&format!("  {o}\n"));
            }
            s.push_str(&format!("  error: {message}"));
            s
        }
        other => format!("service \"{service}\": {other}"),
    }
}

/// Builds the services `names` (each must have `build:`), up to `parallel` at once;
/// `on_line(service, line)` sees the output. Returns each service's image ID, or every failure.
pub async fn build_services(
    engine: &Engine,
    loaded: &berth_compose::load::LoadedProject,
    names: &[String],
    flags: &BuildFlags,
    parallel: usize,
    on_line: &(dyn Fn(&str, &str) + Send + Sync),
) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for n in names {
        match spec_for_service(loaded, n, flags) {
            Ok(s) => specs.push((n.clone(), s)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (credentials, _) = crate::images::load_credentials();
    let credentials = (!credentials.is_empty()).then_some(credentials);
    let results: Vec<(String, Result<String, String>)> =
        futures_util::stream::iter(specs.into_iter().map(|(name, spec)| {
            let credentials = credentials.clone();
            async move {
                let prep = {
                    let spec = spec.clone();
                    tokio::task::spawn_blocking(move || prepare_context(&spec)).await
                };
                let prep = match prep {
                    Ok(Ok(p)) => p,
                    Ok(Err(e)) => return (name.clone(), Err(describe_failure(&name, &e))),
                    Err(e) => return (name.clone(), Err(format!("service \"{name}\": {e}"))),
                };
                let r = engine
                    .build_image(&spec, prep, credentials, |l| on_line(&name, l))
                    .await;
                let id = match r {
                    Ok(id) => id,
                    Err(e) => return (name.clone(), Err(describe_failure(&name, &e))),
                };
                for t in spec.tags.iter().skip(1) {
                    if let Err(e) = engine.tag_image(&id, t).await {
                        return (
                            name.clone(),
                            Err(format!(
                                "service \"{name}\": cannot tag the image as {t}: {e}"
                            )),
                        );
                    }
                }
                (name, Ok(id))
            }
        }))
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut ok = Vec::new();
    for (n, r) in results {
        match r {
            Ok(id) => ok.push((n, id)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}
