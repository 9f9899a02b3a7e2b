//! A Dockerfile read as the builder reads it, for `lint`: parser directives (`# escape=`),
//! comments, line continuations, heredocs (`RUN <<EOF`), stages (`FROM … AS name`) and `ARG`
//! substitution in `FROM` (the global `ARG`s before the first `FROM`, overridden by build args).
//! Each instruction keeps the line it starts on.

use std::collections::BTreeMap;

/// One instruction: `RUN apt-get update && …`, with its continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// The line it starts on (1-based).
    pub line: u32,
    /// Upper-cased: `RUN`, `FROM`, `COPY`.
    pub keyword: String,
    /// Everything after the keyword, continuations joined with a space.
    pub args: String,
    /// Heredoc bodies (`RUN <<EOF … EOF`), in order.
    pub heredocs: Vec<String>,
}

impl Instruction {
    /// The command a `RUN` executes: its arguments and its heredoc bodies.
    pub fn script(&self) -> String {
        let mut s = self.args.clone();
        for h in &self.heredocs {
            s.push('\n');
            s.push_str(h);
        }
        s
    }

    /// Whether the arguments are in exec form (`["a", "b"]`).
    pub fn is_exec_form(&self) -> bool {
        let a = self.args.trim();
        a.starts_with('[') && a.ends_with(']')
    }
}

/// A build stage: its `FROM` and the instructions after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// The base, with `ARG`s substituted (`python:3.12-slim`, `scratch`, an earlier stage's name).
    pub base: String,
    /// `AS name`, lower-cased as the builder compares it.
    pub name: Option<String>,
    pub from_line: u32,
    pub instructions: Vec<Instruction>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dockerfile {
    /// `ARG`s before the first `FROM`.
    pub global: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// Parses `text`; `build_args` (compose `build.args`) override the global `ARG` defaults.
    pub fn parse(text: &str, build_args: &BTreeMap<String, Option<String>>) -> Dockerfile {
        let instructions = instructions(text);
        let mut args: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Dockerfile::default();
        for ins in instructions {
            if ins.keyword == "FROM" {
                let words: Vec<&str> = ins.args.split_whitespace().collect();
                // `FROM [--platform=…] image [AS name]`
                let rest: Vec<&str> = words
                    .iter()
                    .copied()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let base = substitute(rest.first().copied().unwrap_or_default(), &args);
                let name = match rest.as_slice() {
                    [_, as_kw, name, ..] if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                out.stages.push(Stage {
                    base,
                    name,
                    from_line: ins.line,
                    instructions: Vec::new(),
                });
                continue;
            }
            match out.stages.last_mut() {
                Some(stage) => stage.instructions.push(ins),
                None => {
                    if ins.keyword == "ARG" {
                        for (k, v) in arg_defaults(&ins.args) {
                            let value = match build_args.get(&k) {
                                Some(Some(given)) => given.clone(),
                                _ => v.unwrap_or_default(),
                            };
                            args.insert(k, value);
                        }
                    }
                    out.global.push(ins);
                }
            }
        }
        out
    }

    /// The stage a build of `target` (or of the whole file) ends with.
    pub fn final_stage(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(t) => {
                let t = t.to_ascii_lowercase();
                self.stages
                    .iter()
                    .find(|s| s.name.as_deref() == Some(t.as_str()))
            }
            None => self.stages.last(),
        }
    }
}

/// `ARG A=1 B` → `[(A, Some(1)), (B, None)]`.
pub fn arg_defaults(args: &str) -> Vec<(String, Option<String>)> {
    args.split_whitespace()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(unquote(v).to_string())),
            None => (w.to_string(), None),
        })
        .collect()
}

/// `ENV A=1 B="two words"` or the legacy `ENV A value with spaces`.
pub fn env_pairs(args: &str) -> Vec<(String, String)> {
    let a = args.trim();
    let first = a.split_whitespace().next().unwrap_or_default();
    if !first.contains('=') {
        let value = a[first.len()..].trim();
        return vec![(first.to_string(), unquote(value).to_string())];
    }
    shell_words(a)
        .into_iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Words split on unquoted whitespace, quotes removed.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            None => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `$NAME`, `${NAME}`, `${NAME:-default}` from `args`; unknown names become empty, as in the
/// builder.
fn substitute(s: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let Some(end) = body.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let inner = &body[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner, None),
            };
            match args.get(name).filter(|v| !v.is_empty()) {
                Some(v) => out.push_str(v),
                None => out.push_str(default.unwrap_or_default()),
            }
            rest = &body[end + 1..];
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if n == 0 {
                out.push('$');
            } else {
                out.push_str(args.get(&after[..n]).map(String::as_str).unwrap_or(""));
            }
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    out
}

/// The instructions of `text`, each with the line it starts on.
pub fn instructions(text: &str) -> Vec<Instruction> {
    let lines: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: `# name=value` lines at the very top.
    while i < lines.len() {
        let Some(d) = lines[i].trim().strip_prefix('#') else {
            break;
        };
        let Some((k, v)) = d.split_once('=') else {
            break;
        };
        let k = k.trim().to_ascii_lowercase();
        if k.contains(char::is_whitespace) || k.is_empty() {
            break;
        }
        if k == "escape" && v.trim() == "`" {
            escape = '`';
        }
        i += 1;
    }
    let mut out = Vec::new();
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i as u32 + 1;
        let mut joined = String::new();
        loop {
            let l = lines[i].trim_end();
            i += 1;
            match l.strip_suffix(escape) {
                Some(head) => {
                    joined.push_str(head);
                    joined.push(' ');
                    // Comment and blank lines inside a continuation are dropped.
                    while i < lines.len() {
                        let n = lines[i].trim();
                        if n.starts_with('#') || n.is_empty() {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    if i >= lines.len() {
                        break;
                    }
                }
                None => {
                    joined.push_str(l);
                    break;
                }
            }
        }
        let joined = joined.trim();
        let (kw, args) = joined
            .split_once(char::is_whitespace)
            .unwrap_or((joined, ""));
        let keyword = kw.to_ascii_uppercase();
        let args = args.trim().to_string();
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (word, strip_tabs) in heredoc_words(&args) {
                let mut body = Vec::new();
                while i < lines.len() {
                    let l = lines[i];
                    i += 1;
                    let cmp = if strip_tabs {
                        l.trim_start_matches('\t')
                    } else {
                        l
                    };
                    if cmp == word {
                        break;
                    }
                    body.push(cmp.to_string());
                }
                heredocs.push(body.join("\n"));
            }
        }
        out.push(Instruction {
            line: start,
            keyword,
            args,
            heredocs,
        });
    }
    out
}

/// The heredoc delimiters of an instruction's arguments: `<<EOF`, `<<-EOF`, `<<"EOF"`.
fn heredoc_words(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(i) = rest.find("<<") {
        let mut after = &rest[i + 2..];
        let strip = after.starts_with('-');
        if strip {
            after = &after[1..];
        }
        let end = after
            .find(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&' || c == '>')
            .unwrap_or(after.len());
        let word = after[..end].trim_matches(|c| c == '"' || c == '\'');
        if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push((word.to_string(), strip));
        }
        rest = &after[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Dockerfile {
        Dockerfile::parse(text, &BTreeMap::new())
    }

    #[test]
    fn continuations_and_comments_inside_them_join_on_the_first_line() {
        let d = parse("FROM a:1\n\nRUN apt-get update \\\n# a comment\n    && apt-get install -y curl\nCMD [\"x\"]\n");
        let s = &d.stages[0];
        assert_eq!(s.instructions[0].line, 3);
        assert_eq!(
            s.instructions[0].args,
            "apt-get update      && apt-get install -y curl"
        );
        assert_eq!(s.instructions[1].line, 6);
        assert!(s.instructions[1].is_exec_form());
    }

    #[test]
    fn the_escape_directive_changes_the_continuation_character() {
        let d = parse("# escape=`\nFROM a:1\nRUN dir C:\\ `\n  /b\n");
        assert_eq!(d.stages[0].instructions[0].args, "dir C:\\    /b");
        assert_eq!(d.stages[0].instructions[0].line, 3);
    }

    #[test]
    fn heredocs_are_the_instruction_s_body() {
        let d = parse("FROM a:1\nRUN <<EOF\nset -e\ncurl -fsSL https://x | sh\nEOF\nRUN <<-END bash\n\techo hi\n\tEND\nUSER app\n");
        let i = &d.stages[0].instructions;
        assert_eq!(i.len(), 3);
        assert_eq!(i[0].heredocs, vec!["set -e\ncurl -fsSL https://x | sh"]);
        assert!(i[0].script().contains("| sh"));
        assert_eq!(i[1].heredocs, vec!["echo hi"]);
        assert_eq!((i[2].keyword.as_str(), i[2].line), ("USER", 9));
    }

    #[test]
    fn stages_args_before_from_and_build_args() {
        let text = "ARG PY=3.11\nARG BASE\nFROM python:${PY}-slim AS Build\nRUN true\nFROM ${BASE:-debian:12} \nFROM build AS final\n";
        let d = parse(text);
        assert_eq!(d.stages.len(), 3);
        assert_eq!(d.stages[0].base, "python:3.11-slim");
        assert_eq!(d.stages[0].name.as_deref(), Some("build"));
        assert_eq!(d.stages[1].base, "debian:12");
        assert_eq!(d.stages[2].base, "build");
        assert_eq!(d.final_stage(None).unwrap().from_line, 6);
        assert_eq!(d.final_stage(Some("BUILD")).unwrap().from_line, 3);
        let mut args = BTreeMap::new();
        args.insert("PY".to_string(), Some("3.12".to_string()));
        let d = Dockerfile::parse(text, &args);
        assert_eq!(d.stages[0].base, "python:3.12-slim");
    }

    #[test]
    fn env_in_both_forms() {
        assert_eq!(
            env_pairs("A=1 B=\"two words\""),
            vec![("A".into(), "1".into()), ("B".into(), "two words".into())]
        );
        assert_eq!(
            env_pairs("DB_PASSWORD hunter2 now"),
            vec![("DB_PASSWORD".into(), "hunter2 now".into())]
        );
    }
}
