//! `berth config --explain` end to end: text, JSON and the annotated whole model.

use std::process::Command;

fn berth(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("TAG", "1.25")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .expect("berth runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("dir");
    let w = |f: &str, t: &str| std::fs::write(d.path().join(f), t).expect("write");
    w(
        "compose.yaml",
        "services:\n  web:\n    image: \"nginx:${TAG}\"\n    env_file: app.env\n    environment:\n      PORT: \"8080\"\n      DB: ${DB:-localhost}\n",
    );
    w(
        "compose.override.yaml",
        "services:\n  web:\n    image: \"nginx:${TAG}-alpine\"\n",
    );
    w("app.env", "PORT=7000\nAPP=1\n");
    d
}

#[test]
fn explain_one_value_as_text_and_json() {
    let d = project();
    let (code, out, err) = berth(d.path(), &["config", "--explain", "services.web.image"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("services.web.image = \"nginx:1.25-alpine\"\n"),
        "{out}"
    );
    assert!(
        out.contains("written at compose.override.yaml:3:12"),
        "{out}"
    );
    assert!(
        out.contains("${TAG} = \"1.25\"  from shell environment"),
        "{out}"
    );
    assert!(
        out.contains("compose.yaml:3:12 \"nginx:1.25\"  (override file)"),
        "{out}"
    );
    let (code, out, _) = berth(
        d.path(),
        &[
            "config",
            "--explain",
            "services.web.environment.DB",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["value"], "localhost");
    assert_eq!(v["variables"][0]["source"]["kind"], "default");
    assert_eq!(v["variables"][0]["source"]["written"], "${DB:-localhost}");
}

#[test]
fn explain_environment_and_whole_model() {
    let d = project();
    let (code, out, err) = berth(
        d.path(),
        &["config", "--explain", "services.web.environment"],
    );
    assert_eq!(code, 0, "{err}");
    let app = out.find("  APP = \"1\"").expect("APP listed");
    let port = out.find("  PORT = \"8080\"").expect("PORT listed");
    assert!(app < port, "env_file lines first: {out}");
    assert!(
        out.contains("app.env:1:1 \"7000\"  (env_file (environment wins))"),
        "{out}"
    );
    let (code, out, _) = berth(d.path(), &["config", "--explain"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("    image: \"nginx:1.25-alpine\"  # compose.override.yaml:3:12; ${TAG} shell environment; overrode compose.yaml:3:12"),
        "{out}"
    );
    let (code, out, _) = berth(d.path(), &["config", "--explain", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["model"]["services"]["web"]["image"], "nginx:1.25-alpine");
    assert_eq!(
        v["provenance"]["services.web.environment.APP"]["kind"],
        "env_file"
    );
    let (code, _, err) = berth(d.path(), &["config", "--explain", "services.wbe"]);
    assert_eq!(code, 1);
    assert!(
        // One did-you-mean rule for keys and references (berth_compose::suggest): a
        // transposition is one edit.
        err.contains("services has no key \"wbe\" (did you mean \"web\"?)"),
        "{err}"
    );
}
