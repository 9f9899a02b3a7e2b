//! `berth lint`: each finding with file:line, service, why and how to fix; JSON for CI; exit 1
//! with --strict.

mod k8s_common;

use k8s_common::*;
use serde_json::Value;

fn lint_json(dir: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    let mut a = vec!["lint", "--format", "json"];
    a.extend_from_slice(extra);
    let out = ok(berth(&a, dir), "lint");
    let v: Value = serde_json::from_str(&out).expect("lint JSON");
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn has(findings: &[Value], rule: &str, key: &str, file: &str, line: u64) -> bool {
    findings
        .iter()
        .any(|f| f["rule"] == rule && f["key"] == key && f["file"] == file && f["line"] == line)
}

#[test]
fn every_rule_fires_with_its_place() {
    let f = lint_json(&fixture("lint"), &[]);
    let want = [
        ("unpinned-image", "services.web.image", "compose.yaml", 4),
        ("unpinned-image", "services.db.image", "compose.yaml", 14),
        ("root-user", "services.web", "compose.yaml", 3),
        ("root-user", "services.db.user", "compose.yaml", 15),
        (
            "secret-in-environment",
            "services.web.environment.DB_PASSWORD",
            "compose.yaml",
            6,
        ),
        (
            "secret-in-environment",
            "services.web.environment.DATABASE_URL",
            "compose.yaml",
            7,
        ),
        (
            "secret-in-environment",
            "services.web.env_file",
            "app.env",
            3,
        ),
        ("no-resource-limits", "services.web", "compose.yaml", 3),
        (
            "no-healthcheck",
            "services.web.depends_on.db",
            "compose.yaml",
            11,
        ),
        ("privileged", "services.db.privileged", "compose.yaml", 16),
        (
            "host-network",
            "services.agent.network_mode",
            "compose.yaml",
            19,
        ),
        (
            "docker-socket",
            "services.agent.volumes[0]",
            "compose.yaml",
            22,
        ),
    ];
    for (rule, key, file, line) in want {
        assert!(
            has(&f, rule, key, file, line),
            "no {rule} at {file}:{line} ({key}) in {f:#?}"
        );
    }
    // Each finding says why and how to fix it, and names its service.
    for x in &f {
        assert!(x["message"].as_str().is_some_and(|m| m.len() > 20), "{x}");
        assert!(x["fix"].as_str().is_some_and(|m| !m.is_empty()), "{x}");
        assert!(x["service"].is_string(), "{x}");
    }
    // What is fine is not reported: a digest-pinned image, LOG_LEVEL, APP_MODE, a uid.
    assert!(!f.iter().any(|x| x["key"] == "services.agent.image"));
    assert!(!f.iter().any(|x| x["message"]
        .as_str()
        .unwrap_or_default()
        .contains("LOG_LEVEL")));
    assert!(!f
        .iter()
        .any(|x| x["rule"] == "root-user" && x["service"] == "agent"));
    assert!(!f
        .iter()
        .any(|x| x["rule"] == "no-resource-limits" && x["service"] == "agent"));
}

#[test]
fn a_reviewed_project_is_clean() {
    assert!(lint_json(&fixture("webapp"), &[]).is_empty());
    let out = berth(&["lint", "--strict"], &fixture("webapp"));
    assert!(out.status.success());
    assert!(stdout(&out).contains("no findings in 4 service(s)"));
}

#[test]
fn strict_exits_1_and_text_is_file_line_first() {
    let out = berth(&["lint", "--strict"], &fixture("lint"));
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.lines()
            .any(|l| l
                .starts_with("compose.yaml:16: warning [privileged]: services.db.privileged: ")),
        "{text}"
    );
    assert!(text.contains("    fix: "), "{text}");
    assert!(
        text.trim_end().ends_with("finding(s) in 3 of 3 service(s)"),
        "{text}"
    );
    let out = berth(&["lint"], &fixture("lint"));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn lines_follow_overrides_and_selection() {
    let tmp = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx:1.27.0\n    user: \"1000\"\n    deploy: {resources: {limits: {cpus: \"1\", memory: 64M}}}\n  api:\n    image: api\n",
        ),
        (
            "override.yaml",
            "services:\n  web:\n    image: nginx:latest\n",
        ),
    ]);
    let d = tmp.path();
    let f = lint_json(d, &[]);
    assert!(has(
        &f,
        "unpinned-image",
        "services.api.image",
        "compose.yaml",
        7
    ));
    let out = ok(
        berth(
            &[
                "-f",
                "compose.yaml",
                "-f",
                "override.yaml",
                "lint",
                "--format",
                "json",
                "web",
            ],
            d,
        ),
        "lint",
    );
    let v: Value = serde_json::from_str(&out).expect("json");
    let f = v["findings"].as_array().cloned().unwrap_or_default();
    assert!(
        has(
            &f,
            "unpinned-image",
            "services.web.image",
            "override.yaml",
            3
        ),
        "{f:#?}"
    );
    assert!(f.iter().all(|x| x["service"] == "web"), "{f:#?}");
}

#[test]
fn convert_prints_the_same_findings() {
    let out = berth(
        &["convert", "--allow-lossy", "--host-path"],
        &fixture("lint"),
    );
    assert!(out.status.success());
    let err = stderr(&out);
    let l = stdout(&berth(&["lint"], &fixture("lint")));
    let rules = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = t
            .lines()
            .filter_map(|x| {
                x.split_once("warning [")
                    .and_then(|(_, r)| r.split_once(']'))
                    .map(|(r, _)| r.to_string())
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(rules(&err), rules(&l));
}

/// A stack as a new user writes it: one service built from a careless Dockerfile with a key in
/// its context, one built the way the field guide says, one with an inline Dockerfile.
#[test]
fn dockerfiles_and_build_contexts_are_linted_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |rel: &str, text: &str| {
        let p = d.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "compose.yaml",
        "services:\n  api:\n    build: ./api\n    image: api:1.0.0\n    user: \"10001\"\n  good:\n    build:\n      context: ./good\n      args:\n        PY: 3.12.7-slim\n    image: good:1.0.0\n  inline:\n    image: inline:1.0.0\n    build:\n      context: ./good\n      dockerfile_inline: |\n        FROM alpine\n        RUN apk add curl\n",
    );
    write(
        "api/Dockerfile",
        "FROM python:latest\nENV DB_PASSWORD=s3cr3t-value\nADD https://example.com/tool.tgz /opt/\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n",
    );
    write("api/id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    write(
        "good/Dockerfile",
        "ARG PY=3.11.9-slim\nFROM python:${PY}\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001\nCMD [\"python\", \"app.py\"]\n",
    );
    write("good/.dockerignore", ".git\n.env\n");
    write("good/.env", "DB_PASSWORD=x\n");
    let f = lint_json(d, &[]);
    let want = [
        ("dockerfile-unpinned-base", "api/Dockerfile", 1),
        ("dockerfile-secret", "api/Dockerfile", 2),
        ("dockerfile-add-url", "api/Dockerfile", 3),
        ("dockerfile-copy-before-install", "api/Dockerfile", 4),
        ("dockerfile-shell-form", "api/Dockerfile", 6),
        // The inline Dockerfile: its lines counted from the compose file's.
        ("dockerfile-unpinned-base", "compose.yaml", 17),
        ("dockerfile-package-cleanup", "compose.yaml", 18),
        ("dockerfile-root-user", "compose.yaml", 17),
    ];
    for (rule, file, line) in want {
        assert!(
            f.iter()
                .any(|x| x["rule"] == rule && x["file"] == file && x["line"] == line),
            "{rule} at {file}:{line} in {f:#?}"
        );
    }
    // The key in api's context, placed at its `build:` with the line that keeps it out.
    let ctx = f
        .iter()
        .find(|x| x["rule"] == "build-context")
        .expect("build-context finding");
    assert_eq!(ctx["key"], "services.api.build");
    assert_eq!(
        (ctx["file"].as_str(), ctx["line"].as_u64()),
        (Some("compose.yaml"), Some(3))
    );
    assert!(ctx["fix"].as_str().unwrap().contains("**/id_rsa"), "{ctx}");
    // compose's non-root user wins over the Dockerfile's missing USER; the field guide's
    // Dockerfile (and its ignored .env) gives nothing.
    assert!(!f
        .iter()
        .any(|x| x["rule"] == "dockerfile-root-user" && x["service"] == "api"));
    assert!(
        !f.iter().any(|x| x["service"] == "good"
            && (x["rule"].as_str().unwrap().starts_with("dockerfile")
                || x["rule"] == "build-context")),
        "{f:#?}"
    );
    // The value is never printed, in either format.
    let text = stdout(&berth(&["lint"], d));
    assert!(
        text.contains("api/Dockerfile:2: warning [dockerfile-secret]"),
        "{text}"
    );
    assert!(!text.contains("s3cr3t-value"), "{text}");
    assert!(!serde_json::to_string(&f).unwrap().contains("s3cr3t-value"));
    // --strict fails on them; x-berth.lint.skip switches rules off (a wrong name is an error).
    assert_eq!(berth(&["lint", "--strict"], d).status.code(), Some(1));
    let compose = std::fs::read_to_string(d.join("compose.yaml")).unwrap();
    write(
        "compose.yaml",
        &format!("{compose}x-berth:\n  lint:\n    skip: [dockerfile-add-url, build-context]\n"),
    );
    let f = lint_json(d, &[]);
    assert!(!f
        .iter()
        .any(|x| x["rule"] == "dockerfile-add-url" || x["rule"] == "build-context"));
    assert!(f.iter().any(|x| x["rule"] == "dockerfile-secret"));
    write(
        "compose.yaml",
        &format!("{compose}x-berth:\n  lint:\n    skip: [no-such-rule]\n"),
    );
    let f = lint_json(d, &[]);
    assert!(f.iter().any(
        |x| x["severity"] == "error" && x["message"].as_str().unwrap().contains("no-such-rule")
    ));
}

/// A service that is only built runs `<project>-<service>`, which means `:latest`: the same
/// finding as a written `:latest`, at the `build` key; an `image:` with a version next to
/// `build` is pinned.
#[test]
fn a_build_only_service_is_an_implicit_latest() {
    let compose = "name: shop\nservices:\n  web:\n    build: .\n    user: \"1000\"\n    deploy: {resources: {limits: {cpus: \"1\", memory: 64M}}}\n  api:\n    build: .\n    image: shop/api:1.0.3\n    user: \"1000\"\n    deploy: {resources: {limits: {cpus: \"1\", memory: 64M}}}\n";
    let tmp = project(&[("compose.yaml", compose), ("Dockerfile", "FROM scratch\n")]);
    let d = tmp.path();
    let f = lint_json(d, &[]);
    assert!(
        has(
            &f,
            "unpinned-image",
            "services.web.build",
            "compose.yaml",
            4
        ),
        "{f:#?}"
    );
    let web = f
        .iter()
        .find(|x| x["key"] == "services.web.build")
        .expect("the finding");
    assert_eq!(
        web["message"],
        "no image: the build is tagged \"shop-web\", which means shop-web:latest, a moving tag: a node that already has an older shop-web:latest keeps running it (berth convert pulls it IfNotPresent), and a rollback has no known image to go back to"
    );
    assert_eq!(
        web["fix"],
        "name the image with a version next to build (image: registry.example.com/shop-web:1.0.0): berth build tags the build with it"
    );
    assert!(
        !f.iter()
            .any(|x| x["rule"] == "unpinned-image" && x["service"] == "api"),
        "{f:#?}"
    );
    // convert says it too, as a warning.
    let out = berth(&["convert", "--registry", "registry.local:5000"], d);
    assert!(
        stderr(&out).contains("compose.yaml:4: warning [unpinned-image]: services.web.build: no image: the build is tagged \"shop-web\""),
        "{}",
        stderr(&out)
    );
}

/// Keys that come from an `include`d file or an `extends` base are placed where they are
/// written, not at the nearest key of the including file or of an override.
#[test]
fn findings_point_into_included_and_extended_files() {
    let tmp = project(&[
        (
            "compose.yaml",
            "name: layers\ninclude:\n  - sub/compose.yaml\nservices:\n  app:\n    extends:\n      file: common.yaml\n      service: base\n    image: nginx:1.27.0\n",
        ),
        (
            "compose.override.yaml",
            "services:\n  app:\n    environment:\n      LOG_LEVEL: debug\n  probe:\n    environment:\n      LOG_LEVEL: debug\n",
        ),
        (
            "common.yaml",
            "services:\n  base:\n    user: \"1000\"\n    privileged: true\n    init: true\n",
        ),
    ]);
    let d = tmp.path();
    std::fs::create_dir(d.join("sub")).expect("mkdir");
    std::fs::write(
        d.join("sub/compose.yaml"),
        "services:\n  probe:\n    image: busybox:latest\n    user: \"1000\"\n    init: true\n",
    )
    .expect("write");
    let f = lint_json(d, &[]);
    assert!(
        has(
            &f,
            "privileged",
            "services.app.privileged",
            "common.yaml",
            4
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "unpinned-image",
            "services.probe.image",
            "sub/compose.yaml",
            3
        ),
        "{f:#?}"
    );
    let out = berth(&["convert"], d);
    let err = stderr(&out);
    for want in [
        "common.yaml:5: warning: services.app.init: Kubernetes has no init process option",
        "sub/compose.yaml:5: warning: services.probe.init: Kubernetes has no init process option",
        "sub/compose.yaml:3: warning [unpinned-image]: services.probe.image",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
    // The layered sample of issue 17 (it pointed at compose.override.yaml:3).
    let out = berth(&["convert"], &repo().join("compose-samples/layered"));
    let err = stderr(&out);
    assert!(
        err.contains("monitoring/compose.yaml:8: warning: services.probe.init:"),
        "{err}"
    );
    assert!(
        err.contains("common.yaml:6: warning: services.app.init:"),
        "{err}"
    );
}
