//! `up --dry-run` against the real engine: every action and every recreate reason, explained.

mod common;

use common::{TestProject, IMAGE};

/// `up -d --dry-run` with `extra` options, which must succeed and say each of `says`.
#[track_caller]
fn dry_says(p: &TestProject, extra: &[&str], says: &[&str]) {
    let mut args = vec!["up", "-d", "--dry-run", "--progress", "plain"];
    args.extend_from_slice(extra);
    let r = p.berth(&args);
    r.ok();
    for text in says {
        r.stderr_has(text);
    }
}

const TWO: &str = "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment:\n      X: '1'\n  b:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n";

#[test]
fn dry_run_explains_create_keep_scale_start_and_orphans() {
    let p = TestProject::new("dryexpl", TWO);
    dry_says(&p, &[], &["a-1  Create (no container yet)"]);
    assert!(p.containers().is_empty(), "dry-run creates nothing");
    p.berth(&["up", "-d"]).ok();
    dry_says(&p, &[], &["a-1  Leave alone (running, up to date)"]);
    dry_says(
        &p,
        &["--scale", "b=2"],
        &["b-2  Create (scale up from 1 to 2)"],
    );
    p.berth(&["up", "-d", "--scale", "b=2"]).ok();
    dry_says(&p, &["--scale", "b=1"], &["b-2  Remove (scaled down to 1)"]);
    p.docker(&["stop", "-t", "0", &p.container("a")]);
    dry_says(
        &p,
        &["--scale", "b=2"],
        &["a-1  Start (exited, configuration up to date)"],
    );
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment:\n      X: '1'\n",
    );
    dry_says(
        &p,
        &[],
        &[
            "b-1  Leave alone (orphan: service \"b\" is no longer declared in",
            "compose.yaml; --remove-orphans removes it)",
        ],
    );
    dry_says(
        &p,
        &["--remove-orphans"],
        &["b-1  Remove (orphan: service \"b\""],
    );
    assert_eq!(p.containers().len(), 3, "dry-run removes nothing");
}

#[test]
fn dry_run_names_the_changed_fields_and_up_prints_them() {
    let p = TestProject::new("dryfields", TWO);
    p.berth(&["up", "-d"]).ok();
    p.write(
        "compose.yaml",
        &TWO.replace("X: '1'", "X: '2'").replace(
            "command: [sleep, '3600']\n    env",
            "command: [sleep, '3601']\n    env",
        ),
    );
    dry_says(
        &p,
        &[],
        &[
            "a-1  Recreate (configuration changed: command[1]: \"3600\" -> \"3601\", environment.X: \"1\" -> \"2\")",
            "b-1  Leave alone (running, up to date)",
        ],
    );
    // Forced.
    dry_says(
        &p,
        &["--force-recreate"],
        &["b-1  Recreate (--force-recreate)"],
    );
    // `up` in plain mode prints the reason beside the recreate.
    let r = p.berth(&["up", "-d", "--progress", "plain"]);
    r.ok();
    r.stderr_has("a-1  Recreate  (configuration changed: command[1]: \"3600\" -> \"3601\"");
    dry_says(&p, &[], &["a-1  Leave alone (running, up to date)"]);
}

#[test]
fn dry_run_says_when_the_image_changed() {
    let p = TestProject::new(
        "dryimage",
        "services:\n  a:\n    image: IMG\n    init: true\n    command: [sleep, '3600']\n",
    );
    let tag = format!("{}-img:1", p.name);
    p.write(
        "compose.yaml",
        &format!(
            "services:\n  a:\n    image: {tag}\n    init: true\n    command: [sleep, '3600']\n"
        ),
    );
    let build = |v: &str| {
        p.write(
            "img/Dockerfile",
            &format!("FROM {IMAGE}\nLABEL berth.test.v={v}\n"),
        );
        let dir = p.path().join("img");
        p.docker(&["build", "-q", "-t", &tag, &dir.display().to_string()])
            .ok();
    };
    build("1");
    p.berth(&["up", "-d"]).ok();
    build("2");
    dry_says(&p, &[], &["a-1  Recreate (image changed ("]);
    p.docker(&["rmi", "-f", &tag]);
}

#[test]
fn dry_run_on_a_compose_v2_container_says_the_hash_differs() {
    if std::process::Command::new("compose-v2")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("compose-v2 not installed: skipped");
        return;
    }
    let p = TestProject::new(
        "dryv2",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment: {X: '1'}\n",
    );
    p.compose_v2(&["up", "-d"]).ok();
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment: {X: '2'}\n",
    );
    dry_says(
        &p,
        &[],
        &[
            "a-1  Recreate (configuration changed (hash ",
            "no com.docker.compose.berth.config label (made by Compose v2",
        ],
    );
}
