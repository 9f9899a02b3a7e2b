//! `berth lint`: what a customer's security review will ask about a compose project, each
//! finding with where it is written, why it matters and how to fix it. `berth convert` prints
//! the same findings as warnings. Besides the compose file, it reads what a build reads: each
//! service's Dockerfile (`dockerfile.rs`) and build context (`context.rs`).

mod context;
mod dockerfile;

use std::collections::BTreeSet;
use std::path::Path;

use super::report::{Finding, Locator, Report, Severity};
use berth_compose::image::{self, ImageRef};
use berth_compose::load::LoadedProject;
use berth_compose::yaml::Node;

/// The rules, with a one-line description (for `--help` and the docs).
pub const RULES: &[(&str, &str)] = &[
    (
        "unpinned-image",
        "an image without a tag, or with the moving tag `latest` (also the implicit `:latest` of a service that is only built)",
    ),
    (
        "root-user",
        "a service that runs as root, or as the image's default user",
    ),
    (
        "secret-in-environment",
        "a password, token or key in `environment` or an `env_file`",
    ),
    ("no-resource-limits", "no memory or CPU limit"),
    (
        "no-healthcheck",
        "others wait for the service to be healthy, but it has no healthcheck",
    ),
    ("privileged", "a privileged container"),
    (
        "host-network",
        "the host's network stack (`network_mode: host`)",
    ),
    (
        "docker-socket",
        "the container engine's socket mounted into a container",
    ),
];

/// Words that make a variable name look like a secret.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "APIKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "PRIVATE",
];

/// Last words that make a name describe a secret rather than hold one (`DB_PASSWORD_FILE`).
const NOT_SECRET_LAST: &[&str] = &[
    "FILE",
    "FILES",
    "PATH",
    "DIR",
    "LENGTH",
    "LEN",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TTL",
    "TIMEOUT",
    "HOST",
    "PORT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "NAME",
    "USER",
    "USERNAME",
    "TYPE",
    "MODE",
    "ID",
    "URL",
    "URI",
    "ENDPOINT",
    "POLICY",
    "HEADER",
    "LIFETIME",
    "AGE",
];

/// Whether an environment variable name looks like it holds a secret (`DB_PASSWORD`,
/// `GITHUB_TOKEN`, `API_KEY`, `APP_KEY`), and not like a reference to one (`*_FILE`).
pub fn is_secret_key(k: &str) -> bool {
    let up = k.to_ascii_uppercase();
    let words: Vec<&str> = up
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    if NOT_SECRET_LAST.contains(last) {
        return false;
    }
    if words.iter().any(|w| SECRET_WORDS.contains(w)) {
        return true;
    }
    // `API_KEY`, `SIGNING_KEY`, `APP_KEY` (but not `PUBLIC_KEY`).
    if *last == "KEY" || *last == "KEYS" {
        return words.len() >= 2 && words[words.len() - 2] != "PUBLIC";
    }
    // Glued forms: `DBPASSWORD`, `AUTHTOKEN`, `ACCESSKEY`.
    [
        "PASSWORD",
        "SECRET",
        "TOKEN",
        "APIKEY",
        "ACCESSKEY",
        "PRIVATEKEY",
    ]
    .iter()
    .any(|w| last.ends_with(w))
}

/// Whether a variable holds a secret: a secret-looking name with a value that is not empty and
/// not a switch (`ALLOW_EMPTY_PASSWORD=no` is a setting, not a password).
pub fn looks_secret(k: &str, v: &str) -> bool {
    let switch = matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "yes" | "no" | "true" | "false" | "on" | "off" | "y" | "n" | "0" | "1"
    );
    is_secret_key(k) && !switch
}

/// Whether a value is a URL with a password in it (`postgres://app:hunter2@db/app`).
pub fn has_embedded_credentials(v: &str) -> bool {
    let Some(i) = v.find("://") else {
        return false;
    };
    let rest = &v[i + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    match userinfo.split_once(':') {
        Some((_, pw)) => !pw.is_empty() && !pw.starts_with("${"),
        None => false,
    }
}

/// The Docker/Podman/containerd socket paths.
fn is_engine_socket(p: &str) -> bool {
    let name = p.rsplit('/').next().unwrap_or(p);
    matches!(
        name,
        "docker.sock" | "podman.sock" | "containerd.sock" | "crio.sock" | "cri-dockerd.sock"
    )
}

fn finding(
    rule: &'static str,
    key: String,
    service: &str,
    message: String,
    fix: String,
) -> Finding {
    Finding {
        severity: Severity::Warning,
        rule: Some(rule),
        key,
        service: Some(service.to_string()),
        file: None,
        line: None,
        message,
        fix: Some(fix),
    }
}

/// Lints a loaded project. `locator` gives file:line (use [`Locator::new`] on the project's
/// config files).
pub fn lint(lp: &LoadedProject, locator: &Locator) -> Report {
    let p = &lp.project;
    let mut out: Vec<Finding> = Vec::new();
    for (name, svc) in &p.services {
        let sp = |k: &str| format!("services.{name}.{k}");
        // unpinned-image
        let image = svc.image.as_deref().filter(|s| !s.is_empty());
        if let (None, Some(_)) = (image, &svc.build) {
            let built = image::built_image(&lp.name, name);
            out.push(finding(
                "unpinned-image",
                sp("build"),
                name,
                format!("no image: the build is tagged {built:?}, which means {built}:latest, a moving tag: a node that already has an older {built}:latest keeps running it (berth convert pulls it IfNotPresent), and a rollback has no known image to go back to"),
                format!("name the image with a version next to build (image: registry.example.com/{built}:1.0.0): berth build tags the build with it"),
            ));
        }
        if let Some(img) = image {
            match ImageRef::parse(img) {
                Some(r) if !r.is_pinned() => {
                    let why = if r.tag.is_none() {
                        format!("image {img:?} has no tag, so it means :latest")
                    } else {
                        format!("image {img:?} uses the moving tag latest")
                    };
                    out.push(finding(
                        "unpinned-image",
                        sp("image"),
                        name,
                        format!("{why}: each install may get a different image, and a rollback has no known image to go back to"),
                        format!("pin a version ({}:1.2.3) or a digest ({}@sha256:…)", r.familiar_repository(), r.familiar_repository()),
                    ));
                }
                _ => {}
            }
        }
        // root-user
        match svc.user.as_deref().filter(|u| !u.is_empty()) {
            None => out.push(finding(
                "root-user",
                format!("services.{name}"),
                name,
                "no user: the service runs as the image's default user, which is root for most images; a process that breaks out of its container is then root on the host".into(),
                "set user: \"10001:10001\" (a uid the image supports), and check the image works without root".into(),
            )),
            Some(u) => {
                let uid = u.split(':').next().unwrap_or(u);
                if uid == "0" || uid == "root" {
                    out.push(finding(
                        "root-user",
                        sp("user"),
                        name,
                        format!("user {u:?} runs the service as root"),
                        "use a non-root uid, e.g. user: \"10001:10001\"".into(),
                    ));
                }
            }
        }
        // secret-in-environment
        let env_origin = env_file_origins(lp, locator, name);
        for (k, v) in &svc.environment {
            let Some(v) = v else { continue };
            if v.is_empty() {
                continue;
            }
            let by_name = looks_secret(k, v);
            let by_url = !by_name && has_embedded_credentials(v);
            if !by_name && !by_url {
                continue;
            }
            let what = if by_name {
                format!("{k} looks like a secret")
            } else {
                format!("{k} is a URL with a password in it")
            };
            let raw_key = sp(&format!("environment.{k}"));
            let in_compose = locator.node(&raw_key).is_some();
            let mut f = finding(
                "secret-in-environment",
                raw_key.clone(),
                name,
                format!("{what}, set as a plain environment variable: it shows in `docker inspect`, `berth config`, process listings and crash reports, and would end up in ConfigMaps"),
                format!("make it a secret: `secrets: [{}]` with a file outside version control, read from /run/secrets/{} (many images accept {k}_FILE)", k.to_ascii_lowercase(), k.to_ascii_lowercase()),
            );
            if !in_compose {
                if let Some((file, line)) = env_origin
                    .iter()
                    .find(|(key, _, _)| key == k)
                    .map(|(_, f, l)| (f.clone(), *l))
                {
                    f.key = sp("env_file");
                    f.message = f.message.replacen(
                        "set as a plain environment variable",
                        &format!("set in the env_file {file}"),
                        1,
                    );
                    f.file = Some(file);
                    f.line = Some(line);
                }
            }
            out.push(f);
        }
        // no-resource-limits
        let limits = svc
            .deploy
            .as_ref()
            .and_then(|d| d.resources.limits.as_ref());
        let mem = limits.and_then(|l| l.memory).is_some_and(|m| m.0 > 0)
            || svc.mem_limit.is_some_and(|m| m.0 > 0);
        let cpu = limits.and_then(|l| l.cpus).is_some_and(|c| c > 0.0)
            || svc.cpus.is_some_and(|c| c > 0.0);
        if !mem || !cpu {
            let missing = match (mem, cpu) {
                (false, false) => "no memory or CPU limit",
                (false, true) => "no memory limit",
                _ => "no CPU limit",
            };
            out.push(finding(
                "no-resource-limits",
                if svc.deploy.is_some() { sp("deploy") } else { format!("services.{name}") },
                name,
                format!("{missing}: one leaking or busy service can starve every other service on the machine (and clusters with quotas refuse the pod)"),
                "set deploy.resources.limits (cpus: \"0.5\", memory: 512M) and reservations".into(),
            ));
        }
        // privileged
        if svc.privileged {
            out.push(finding(
                "privileged",
                sp("privileged"),
                name,
                "privileged: the container has every capability and all host devices; it can take over the host".into(),
                "remove privileged and grant only the capabilities it needs (cap_add)".into(),
            ));
        }
        // host-network
        if svc.network_mode.as_deref() == Some("host") {
            out.push(finding(
                "host-network",
                sp("network_mode"),
                name,
                "host network: the container shares the host's interfaces and ports, and bypasses network isolation".into(),
                "use the default network and publish the ports it needs".into(),
            ));
        }
        // docker-socket
        for (i, v) in svc.volumes.iter().enumerate() {
            if v.kind == "bind" && v.source.as_deref().is_some_and(is_engine_socket) {
                out.push(finding(
                    "docker-socket",
                    sp(&format!("volumes[{i}]")),
                    name,
                    format!("{} is mounted: whoever controls this container controls the container engine, which is root on the host", v.source.as_deref().unwrap_or_default()),
                    "avoid it; if a tool needs the API, give it a socket proxy that allows only the calls it needs".into(),
                ));
            }
        }
    }
    // no-healthcheck: others wait for health.
    let mut seen = BTreeSet::new();
    for (name, svc) in &p.services {
        for (dep, d) in &svc.depends_on {
            if d.condition.as_deref() != Some("service_healthy") {
                continue;
            }
            let Some(ds) = p.services.get(dep) else {
                continue;
            };
            let has = ds
                .healthcheck
                .as_ref()
                .is_some_and(|h| !h.disable && h.test.first().map(String::as_str) != Some("NONE"));
            if !has && seen.insert((dep.clone(), name.clone())) {
                out.push(finding(
                    "no-healthcheck",
                    format!("services.{name}.depends_on.{dep}"),
                    dep,
                    format!("{name} waits for {dep} to be healthy, but {dep} has no healthcheck (unless its image has one): `up` fails, and Kubernetes gets no readiness probe"),
                    format!("add a healthcheck to {dep} (e.g. test: [\"CMD\", \"pg_isready\"])"),
                ));
            }
        }
    }
    for (name, svc) in &p.services {
        out.extend(build_findings(lp, locator, name, svc));
    }
    let mut r = Report {
        findings: switched_off(lp, out),
    };
    r.locate(locator);
    r.sort();
    r
}

/// Every rule, the compose file's and the build's, with its description (for the docs).
pub fn all_rules() -> Vec<(&'static str, &'static str)> {
    let mut v: Vec<(&str, &str)> = RULES.to_vec();
    v.extend_from_slice(dockerfile::RULES);
    v.push(context::RULE);
    v
}

/// The Dockerfile and context findings of a service with `build:` (a context that is a URL
/// is not read).
fn build_findings(
    lp: &LoadedProject,
    locator: &Locator,
    name: &str,
    svc: &berth_compose::model::Service,
) -> Vec<Finding> {
    let Some(build) = &svc.build else {
        return Vec::new();
    };
    let context = build.context.as_deref().unwrap_or(".");
    if context.contains("://") || context.starts_with("git@") {
        return Vec::new();
    }
    let context = lp.working_dir.join(context);
    let args = &build.args;
    let mut out = Vec::new();
    let dockerfile_path = context.join(build.dockerfile.as_deref().unwrap_or("Dockerfile"));
    if let Some(inline) = &build.dockerfile_inline {
        let key = format!("services.{name}.build.dockerfile_inline");
        let (file, line) = locator.find(&key, Some(name)).unwrap_or_default();
        let place = dockerfile::Place {
            file,
            line_offset: line,
        };
        let d = berth_compose::dockerfile::Dockerfile::parse(inline, args);
        out.extend(dockerfile::lint(name, svc, &d, &place));
    } else if let Ok(text) = std::fs::read_to_string(&dockerfile_path) {
        let place = dockerfile::Place {
            file: super::report::display_path(&dockerfile_path),
            line_offset: 0,
        };
        let d = berth_compose::dockerfile::Dockerfile::parse(&text, args);
        out.extend(dockerfile::lint(name, svc, &d, &place));
    }
    if context.is_dir() {
        out.extend(context::lint(name, &context, &dockerfile_path));
    }
    out
}

/// Drops the findings of rules switched off in `x-berth: {lint: {skip: [RULE, …]}}`, at the
/// top level (every service) or in a service; a name that is no rule is an error finding.
fn switched_off(lp: &LoadedProject, findings: Vec<Finding>) -> Vec<Finding> {
    let skips = |ext: &berth_compose::model::Extensions| -> Vec<String> {
        ext.0
            .get("x-berth")
            .and_then(|x| x.get("lint"))
            .and_then(|l| l.get("skip"))
            .and_then(|s| s.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let known: Vec<&str> = all_rules().iter().map(|(r, _)| *r).collect();
    let global = skips(&lp.project.extensions);
    let mut out: Vec<Finding> = Vec::new();
    let mut check = |names: &[String], key: String| {
        for n in names.iter().filter(|n| !known.contains(&n.as_str())) {
            out.push(Finding {
                severity: Severity::Error,
                rule: None,
                key: key.clone(),
                service: None,
                file: None,
                line: None,
                message: format!("{n:?} is not a lint rule"),
                fix: Some(format!("use one of: {}", known.join(", "))),
            });
        }
    };
    check(&global, "x-berth.lint.skip".into());
    for (name, svc) in &lp.project.services {
        check(
            &skips(&svc.extensions),
            format!("services.{name}.x-berth.lint.skip"),
        );
    }
    for f in findings {
        let rule = f.rule.unwrap_or_default();
        let by_service = f
            .service
            .as_ref()
            .and_then(|s| lp.project.services.get(s))
            .map(|svc| skips(&svc.extensions))
            .unwrap_or_default();
        if !global.iter().chain(&by_service).any(|s| s == rule) {
            out.push(f);
        }
    }
    out
}

/// Variables of a service's env files, with the file and line that sets them (the last file
/// that sets a variable wins, as in Compose).
fn env_file_origins(
    lp: &LoadedProject,
    locator: &Locator,
    service: &str,
) -> Vec<(String, String, u32)> {
    let Some((_, node)) = locator.node(&format!("services.{service}.env_file")) else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    let push = |n: &Node, paths: &mut Vec<String>| {
        if let Some(s) = n.as_str() {
            paths.push(s.to_string());
        } else if let Some(p) = n
            .as_map()
            .and_then(|m| m.get("path"))
            .and_then(|p| p.as_str())
        {
            paths.push(p.to_string());
        }
    };
    match node.as_seq() {
        Some(seq) => seq.iter().for_each(|n| push(n, &mut paths)),
        None => push(node, &mut paths),
    }
    let mut out: Vec<(String, String, u32)> = Vec::new();
    for p in paths {
        let full = if Path::new(&p).is_absolute() {
            Path::new(&p).to_path_buf()
        } else {
            lp.working_dir.join(&p)
        };
        let Ok(text) = std::fs::read_to_string(&full) else {
            continue;
        };
        let lookup = |_: &str| None;
        let Ok(entries) = berth_compose::dotenv::parse(&text, &lookup) else {
            continue;
        };
        let shown = super::report::display_path(&full);
        for (k, e) in entries {
            out.retain(|(key, _, _)| *key != k);
            out.push((k, shown.clone(), e.line));
        }
    }
    out
}

/// Findings of `lint` as convert warnings (or errors with `--strict`).
pub fn as_convert_findings(r: &Report, strict: bool) -> Vec<Finding> {
    r.findings
        .iter()
        .map(|f| Finding {
            severity: if strict {
                Severity::Error
            } else {
                Severity::Warning
            },
            ..f.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for k in [
            "DB_PASSWORD",
            "POSTGRES_PASSWORD",
            "GITHUB_TOKEN",
            "API_KEY",
            "APP_KEY",
            "aws_secret_access_key",
            "DB_PASS",
            "SECRET",
            "MYSQL_ROOT_PASSWORD",
            "AUTHTOKEN",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "POSTGRES_PASSWORD_FILE",
            "PUBLIC_KEY",
            "POSTGRES_USER",
            "PORT",
            "PWD",
            "PATH",
            "TOKEN_TTL",
            "AWS_ACCESS_KEY_ID",
            "KEYCLOAK_URL",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn urls() {
        assert!(has_embedded_credentials(
            "postgres://app:hunter2@db:5432/app"
        ));
        assert!(!has_embedded_credentials("postgres://app@db:5432/app"));
        assert!(!has_embedded_credentials("http://example.com/a:b@c"));
        assert!(!has_embedded_credentials("redis://redis:6379"));
    }
}
