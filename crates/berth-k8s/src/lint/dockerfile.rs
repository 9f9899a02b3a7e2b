//! The Dockerfile rules of `lint`: what a security review opens first. Each finding points at
//! the Dockerfile's line (or, for `dockerfile_inline`, at the compose file's line of it).
//! Values that look secret are named, never shown.

use berth_compose::dockerfile::{arg_defaults, env_pairs, Dockerfile, Instruction, Stage};
use berth_compose::image::ImageRef;
use berth_compose::model::Service;

use super::{has_embedded_credentials, looks_secret};
use crate::report::{Finding, Severity};

/// The Dockerfile rules, with a one-line description.
pub const RULES: &[(&str, &str)] = &[
    (
        "dockerfile-unpinned-base",
        "a stage's base image without a tag, or with the moving tag `latest`",
    ),
    (
        "dockerfile-root-user",
        "the final stage runs as root (no `USER`, or `USER root`), and compose sets no other user",
    ),
    (
        "dockerfile-secret",
        "a password, token or key in `ENV`, an `ARG` default or a `RUN` line",
    ),
    (
        "dockerfile-add-url",
        "`ADD` from a URL: not verifiable, not cached, fails offline",
    ),
    (
        "dockerfile-remote-script",
        "a download piped into a shell in `RUN` (`curl … | sh`)",
    ),
    (
        "dockerfile-copy-before-install",
        "`COPY . .` before the dependency install: every code change reinstalls everything",
    ),
    (
        "dockerfile-package-cleanup",
        "a package install without `--no-install-recommends`/`--no-cache` or without cleaning its lists",
    ),
    (
        "dockerfile-shell-form",
        "`CMD`/`ENTRYPOINT` in shell form: signals do not reach the process",
    ),
];

/// Where a Dockerfile's lines are reported: the file, and the number added to its line numbers
/// (0 for a file; the compose line before the content for `dockerfile_inline`).
pub struct Place {
    pub file: String,
    pub line_offset: u32,
}

/// Lints one service's Dockerfile.
pub fn lint(service: &str, svc: &Service, d: &Dockerfile, place: &Place) -> Vec<Finding> {
    let key = format!("services.{service}.build");
    let at = |rule: &'static str, line: u32, message: String, fix: String| Finding {
        severity: Severity::Warning,
        rule: Some(rule),
        key: key.clone(),
        service: Some(service.to_string()),
        file: Some(place.file.clone()),
        line: Some(line + place.line_offset),
        message,
        fix: Some(fix),
    };
    let mut out = Vec::new();
    let target = svc.build.as_ref().and_then(|b| b.target.as_deref());
    let final_stage = d.final_stage(target);
    let stage_names: Vec<&str> = d.stages.iter().filter_map(|s| s.name.as_deref()).collect();

    for ins in &d.global {
        secrets_in(ins, &mut out, &at);
    }
    for stage in &d.stages {
        unpinned_base(stage, &stage_names, &mut out, &at);
        let mut copied_all: Option<u32> = None;
        for ins in &stage.instructions {
            secrets_in(ins, &mut out, &at);
            match ins.keyword.as_str() {
                "ADD" => {
                    if let Some(url) = ins
                        .args
                        .split_whitespace()
                        .filter(|w| !w.starts_with("--"))
                        .find(|w| is_url(w))
                    {
                        out.push(at(
                            "dockerfile-add-url",
                            ins.line,
                            format!("ADD {url}: the download is not checked against a checksum, not cached, and fails in an air-gapped build"),
                            "download it beforehand into the build context (checked with sha256sum) and COPY it; or ADD --checksum=sha256:… with BuildKit".into(),
                        ));
                    }
                }
                "COPY" if copies_everything(&ins.args) => {
                    copied_all.get_or_insert(ins.line);
                }
                "RUN" => {
                    let script = ins.script();
                    if pipes_download_into_shell(&script) {
                        out.push(at(
                            "dockerfile-remote-script",
                            ins.line,
                            "a download piped into a shell: what runs is whatever the server sends that day, unchecked, and the build fails without internet access".into(),
                            "download the script or package into the build context, check its sha256, COPY it and run it; or use the distribution's package".into(),
                        ));
                    }
                    if let (Some(copy_line), Some(tool)) = (copied_all, dependency_install(&script))
                    {
                        out.push(at(
                            "dockerfile-copy-before-install",
                            copy_line,
                            format!("the whole context is copied (line {copy_line}) before `{tool}` (line {}): any code change invalidates the cache of the install, and every build reinstalls every dependency", ins.line + place.line_offset),
                            "copy the dependency manifest first (COPY requirements.txt . / package*.json .), install, then COPY the rest".into(),
                        ));
                        copied_all = None;
                    }
                    if let Some((what, fix)) = package_hygiene(&script) {
                        out.push(at("dockerfile-package-cleanup", ins.line, what, fix));
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(stage) = final_stage {
        root_user(svc, stage, &mut out, &at);
        for kw in ["CMD", "ENTRYPOINT"] {
            if let Some(ins) = stage.instructions.iter().rev().find(|i| i.keyword == kw) {
                if !ins.is_exec_form() {
                    out.push(at(
                        "dockerfile-shell-form",
                        ins.line,
                        format!("{kw} in shell form runs under /bin/sh -c: the shell is PID 1, SIGTERM from `stop` never reaches the process, and the container is killed after the grace period"),
                        format!("use the exec form: {kw} [\"executable\", \"arg\"]"),
                    ));
                }
            }
        }
    }
    out
}

type At<'a> = dyn Fn(&'static str, u32, String, String) -> Finding + 'a;

fn unpinned_base(stage: &Stage, stage_names: &[&str], out: &mut Vec<Finding>, at: &At) {
    let base = stage.base.as_str();
    if base.eq_ignore_ascii_case("scratch")
        || stage_names.contains(&base.to_ascii_lowercase().as_str())
    {
        return;
    }
    let Some(r) = ImageRef::parse(base) else {
        return;
    };
    if r.is_pinned() {
        return;
    }
    let why = if r.tag.is_none() {
        format!("FROM {base} has no tag, so it means :latest")
    } else {
        format!("FROM {base} uses the moving tag latest")
    };
    out.push(at(
        "dockerfile-unpinned-base",
        stage.from_line,
        format!("{why}: two builds of the same file give different images, and the reviewer cannot tell which base shipped"),
        format!("pin an exact version ({}:3.12.7-slim) or a digest ({}@sha256:…)", r.familiar_repository(), r.familiar_repository()),
    ));
}

fn root_user(svc: &Service, stage: &Stage, out: &mut Vec<Finding>, at: &At) {
    // A non-root `user:` in the compose file wins over the image's.
    if let Some(u) = svc.user.as_deref().filter(|u| !u.is_empty()) {
        let uid = u.split(':').next().unwrap_or(u);
        if uid != "0" && uid != "root" {
            return;
        }
    }
    match stage.instructions.iter().rev().find(|i| i.keyword == "USER") {
        None => out.push(at(
            "dockerfile-root-user",
            stage.from_line,
            "the final stage sets no USER: the image runs as its base's user, root for most bases".into(),
            "create a user and switch to it: RUN useradd --uid 10001 --no-create-home app, then USER 10001".into(),
        )),
        Some(u) => {
            let who = u.args.split(':').next().unwrap_or_default().trim();
            if who == "0" || who == "root" {
                out.push(at(
                    "dockerfile-root-user",
                    u.line,
                    format!("USER {} runs the image as root", u.args.trim()),
                    "end the final stage with a non-root USER (USER 10001)".into(),
                ));
            }
        }
    }
}

fn secrets_in(ins: &Instruction, out: &mut Vec<Finding>, at: &At) {
    let mut found: Vec<(String, &'static str)> = Vec::new();
    match ins.keyword.as_str() {
        "ENV" => {
            for (k, v) in env_pairs(&ins.args) {
                if looks_secret(&k, &v) {
                    found.push((k, "ENV"));
                } else if has_embedded_credentials(&v) {
                    found.push((k, "ENV (a URL with a password)"));
                }
            }
        }
        "ARG" => {
            for (k, v) in arg_defaults(&ins.args) {
                let Some(v) = v else { continue };
                if looks_secret(&k, &v) || has_embedded_credentials(&v) {
                    found.push((k, "an ARG default"));
                }
            }
        }
        "RUN" => {
            let script = ins.script();
            for word in script.split(|c: char| c.is_whitespace() || c == ';' || c == '&') {
                if let Some((k, v)) = word.split_once('=') {
                    let v = v.trim_matches(|c| c == '"' || c == '\'');
                    let k = k.trim_start_matches("--");
                    if !v.starts_with('$') && looks_secret(k, v) {
                        found.push((k.to_string(), "a RUN line"));
                        continue;
                    }
                }
                if has_embedded_credentials(word) {
                    found.push(("a URL".to_string(), "a RUN line (with a password in it)"));
                }
            }
        }
        _ => return,
    }
    for (name, where_) in found {
        out.push(at(
            "dockerfile-secret",
            ins.line,
            format!("{name} looks like a secret, written in {where_}: it is stored in the image's layers and history, readable by anyone who can pull the image"),
            "pass it at build time as a build secret (RUN --mount=type=secret,id=…; compose build.secrets) or at run time from a secret, never in the Dockerfile".into(),
        ));
    }
}

fn is_url(w: &str) -> bool {
    let w = w.trim_matches(|c| c == '"' || c == '\'' || c == '[' || c == ']' || c == ',');
    w.starts_with("http://") || w.starts_with("https://") || w.starts_with("git@")
}

/// `COPY . .`, `COPY . /app`, `COPY ./ ./`: the whole context.
fn copies_everything(args: &str) -> bool {
    let words: Vec<&str> = args
        .split_whitespace()
        .filter(|w| !w.starts_with("--"))
        .collect();
    words.len() >= 2
        && words[..words.len() - 1]
            .iter()
            .any(|w| matches!(*w, "." | "./"))
}

/// A `curl`/`wget` whose output goes into a shell or interpreter.
fn pipes_download_into_shell(script: &str) -> bool {
    for line in script.split(['\n', ';']).flat_map(|l| l.split("&&")) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let mut downloading = false;
        for p in parts {
            let first = p.split_whitespace().next().unwrap_or_default();
            let first = first.rsplit('/').next().unwrap_or(first);
            if downloading
                && matches!(
                    first,
                    "sh" | "bash" | "zsh" | "dash" | "ash" | "python" | "python3" | "perl" | "sudo"
                )
            {
                return true;
            }
            if matches!(first, "curl" | "wget") {
                downloading = true;
            }
        }
    }
    false
}

/// The dependency install a RUN performs, if any.
fn dependency_install(script: &str) -> Option<&'static str> {
    const TOOLS: &[(&str, &str)] = &[
        ("pip install", "pip install"),
        ("pip3 install", "pip install"),
        ("poetry install", "poetry install"),
        ("npm install", "npm install"),
        ("npm ci", "npm ci"),
        ("yarn install", "yarn install"),
        ("pnpm install", "pnpm install"),
        ("bundle install", "bundle install"),
        ("go mod download", "go mod download"),
        ("composer install", "composer install"),
        ("cargo fetch", "cargo fetch"),
        ("mvn dependency", "mvn dependency"),
    ];
    let s = script.split_whitespace().collect::<Vec<_>>().join(" ");
    TOOLS.iter().find(|(t, _)| s.contains(t)).map(|(_, n)| *n)
}

/// Package installs that keep what they do not need: apt without `--no-install-recommends` or
/// without removing its lists, apk without `--no-cache`, yum/dnf without `clean all`.
fn package_hygiene(script: &str) -> Option<(String, String)> {
    let s = script.split_whitespace().collect::<Vec<_>>().join(" ");
    let apt = s.contains("apt-get install") || s.contains("apt install");
    if apt {
        let recommends = s.contains("--no-install-recommends");
        let cleaned = s.contains("/var/lib/apt/lists");
        if !recommends || !cleaned {
            let missing = match (recommends, cleaned) {
                (false, false) => {
                    "without --no-install-recommends and without removing /var/lib/apt/lists"
                }
                (false, true) => "without --no-install-recommends",
                _ => "without removing /var/lib/apt/lists",
            };
            return Some((
                format!("apt-get install {missing}: the image carries packages and package lists it does not need (size, and more for the scanner to flag)"),
                "RUN apt-get update && apt-get install -y --no-install-recommends PKG && rm -rf /var/lib/apt/lists/*".into(),
            ));
        }
    }
    if s.contains("apk add") && !s.contains("--no-cache") {
        return Some((
            "apk add without --no-cache: the package index stays in the image".into(),
            "RUN apk add --no-cache PKG".into(),
        ));
    }
    for tool in ["yum", "dnf", "microdnf"] {
        if s.contains(&format!("{tool} install")) && !s.contains("clean all") {
            return Some((
                format!("{tool} install without `{tool} clean all`: the package cache stays in the image"),
                format!("RUN {tool} install -y PKG && {tool} clean all"),
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn findings(dockerfile: &str, user: Option<&str>) -> Vec<Finding> {
        let svc = Service {
            user: user.map(str::to_string),
            ..Default::default()
        };
        let d = Dockerfile::parse(dockerfile, &BTreeMap::new());
        let place = Place {
            file: "Dockerfile".into(),
            line_offset: 0,
        };
        lint("web", &svc, &d, &place)
    }

    fn rules(f: &[Finding]) -> Vec<(&'static str, u32)> {
        f.iter()
            .map(|f| (f.rule.unwrap(), f.line.unwrap()))
            .collect()
    }

    /// The field guide's Dockerfile: pinned base, dependencies first, cleaned installs, a
    /// non-root user, exec form.
    const GOOD: &str = "FROM python:3.9-slim\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends libpq5 \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nRUN useradd --uid 10001 appuser\nUSER appuser\nCMD [\"python\", \"app.py\"]\n";

    #[test]
    fn the_field_guide_s_dockerfile_has_no_finding() {
        assert_eq!(rules(&findings(GOOD, None)), vec![]);
    }

    #[test]
    fn each_rule_fires_on_its_line() {
        let bad = "FROM python:latest AS build\nENV DB_PASSWORD=hunter2 MODE=prod\nARG API_TOKEN=abc123\nADD https://example.com/tool.tgz /opt/\nCOPY . .\nRUN pip install -r requirements.txt\nRUN curl -fsSL https://get.example.com | sh\nRUN apt-get update && apt-get install -y curl\nFROM debian\nCMD python app.py\n";
        let f = findings(bad, None);
        let got = rules(&f);
        for want in [
            ("dockerfile-unpinned-base", 1),
            ("dockerfile-secret", 2),
            ("dockerfile-secret", 3),
            ("dockerfile-add-url", 4),
            ("dockerfile-copy-before-install", 5),
            ("dockerfile-remote-script", 7),
            ("dockerfile-package-cleanup", 8),
            ("dockerfile-unpinned-base", 9),
            ("dockerfile-root-user", 9),
            ("dockerfile-shell-form", 10),
        ] {
            assert!(got.contains(&want), "{want:?} in {got:?}");
        }
        // MODE=prod is not a secret; the values are never shown.
        assert_eq!(
            got.iter()
                .filter(|(r, _)| *r == "dockerfile-secret")
                .count(),
            2
        );
        for x in &f {
            let text = x.render();
            assert!(
                !text.contains("hunter2") && !text.contains("abc123"),
                "{text}"
            );
        }
    }

    #[test]
    fn root_user_is_judged_on_the_final_stage_and_compose_user_wins() {
        let d = "FROM a:1 AS build\nUSER root\nFROM a:1\nUSER 10001\n";
        assert_eq!(rules(&findings(d, None)), vec![]);
        let d = "FROM a:1\nUSER 10001\nRUN x\nUSER 0\n";
        assert_eq!(rules(&findings(d, None)), vec![("dockerfile-root-user", 4)]);
        let d = "FROM a:1\n";
        assert_eq!(rules(&findings(d, None)), vec![("dockerfile-root-user", 1)]);
        assert_eq!(rules(&findings(d, Some("10001:10001"))), vec![]);
        assert_eq!(
            rules(&findings(d, Some("root"))),
            vec![("dockerfile-root-user", 1)]
        );
    }

    #[test]
    fn stage_references_scratch_digests_and_variables() {
        let d = "ARG V=3.12.1\nFROM python:${V} AS base\nFROM base\nFROM scratch\nFROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nUSER 1\n";
        assert_eq!(rules(&findings(d, None)), vec![]);
    }

    #[test]
    fn secrets_in_run_and_heredocs_are_named_not_shown() {
        let d = "FROM a:1\nRUN <<EOF\nexport GITHUB_TOKEN=ghp_abcdef\ngit clone https://u:pw123@example.com/r.git\nEOF\nUSER 1\n";
        let f = findings(d, None);
        assert_eq!(
            rules(&f),
            vec![("dockerfile-secret", 2), ("dockerfile-secret", 2)]
        );
        assert!(f[0].message.contains("GITHUB_TOKEN"));
        for x in &f {
            assert!(!x.render().contains("ghp_abcdef") && !x.render().contains("pw123"));
        }
        // A reference to a variable is not a value.
        let d = "FROM a:1\nRUN TOKEN=$CI_TOKEN make\nUSER 1\n";
        assert_eq!(rules(&findings(d, None)), vec![]);
    }

    #[test]
    fn package_hygiene_per_manager() {
        for (run, fires) in [
            ("apk add --no-cache curl", false),
            ("apk add curl", true),
            ("dnf install -y x && dnf clean all", false),
            ("yum install -y x", true),
            ("apt-get install -y --no-install-recommends x", true),
        ] {
            let d = format!("FROM a:1\nRUN {run}\nUSER 1\n");
            assert_eq!(
                !findings(&d, None).is_empty(),
                fires,
                "{run}: {:?}",
                rules(&findings(&d, None))
            );
        }
    }
}
