//! What a build sends as its context: the files under the context directory that Docker's
//! `.dockerignore` rules keep, in the order the Docker CLI walks them. `build` packs them,
//! `watch` skips what they exclude, and `lint` reads what a build would send.
//!
//! `.dockerignore` follows Docker 20.10's `fileutils.PatternMatcher` and the CLI's walk
//! (`archive.TarWithOptions`): patterns are cleaned paths turned into anchored regexps (`*` is
//! any run without `/`, `**` any number of directories, `?` one non-`/` character), the last
//! matching pattern wins (`!` re-includes), a pattern also matches a file when it matches the
//! file's parent directory cut to as many components as the pattern has, an excluded directory
//! is not entered unless an exception pattern lies beneath it, and `.dockerignore` and the
//! Dockerfile are always sent.

use std::path::{Path, PathBuf};

use crate::paths::clean_str as clean_path;

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
}
