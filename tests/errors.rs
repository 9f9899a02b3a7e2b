//! Every class of error a user can cause: the message names the file, line and column, the
//! key path, and says what is wrong in plain words; the exit code is Compose v2's.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stderr: String,
}

fn berth(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_PROFILES")
        .env_remove("TAG")
        .output()
        .expect("berth runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

fn config_error(yaml: &str) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), yaml).unwrap();
    berth(dir.path(), &["-p", "t", "config", "-q"])
}

/// (what, compose file, exit code, text the first line of stderr must contain)
const CASES: &[(&str, &str, i32, &str)] = &[
    (
        "bad port mapping",
        "services:\n  api:\n    image: x\n    ports:\n      - \"80:80:80:80\"\n",
        15,
        "compose.yaml:5:9: services.api.ports[0]: \"80:80:80:80\" is not a port mapping",
    ),
    (
        "depends_on cycle, whole path",
        "services:\n  api:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [api]\n",
        15,
        "compose.yaml:4:17: services.api.depends_on: dependency cycle detected: api -> b -> c -> api",
    ),
    (
        "self dependency",
        "services:\n  api:\n    image: x\n    depends_on: [api]\n",
        15,
        "dependency cycle detected: api -> api",
    ),
    (
        "missing required variable with its message",
        "services:\n  api:\n    image: ${TAG:?TAG must be set to the release tag}\n",
        15,
        "compose.yaml:3:12: services.api.image: required variable TAG is missing a value: TAG must be set to the release tag",
    ),
    (
        "unknown key, nearest valid one",
        "services:\n  api:\n    image: x\n    prots: [\"80\"]\n",
        15,
        "compose.yaml:4:5: services.api.prots: unknown key \"prots\" (did you mean \"ports\"?)",
    ),
    (
        "unknown top-level key",
        "service:\n  api:\n    image: x\n",
        15,
        "compose.yaml:1:1: service: unknown key \"service\" (did you mean \"services\"?)",
    ),
    (
        "wrong type",
        "services:\n  api:\n    image: x\n    ports: \"80:80\"\n",
        15,
        "compose.yaml:4:12: services.api.ports: expected a list of ports",
    ),
    (
        "bad enum",
        "services:\n  api:\n    image: x\n    depends_on:\n      db: {condition: service_startd}\n  db:\n    image: y\n",
        15,
        "\"service_startd\" is not a valid condition (expected one of service_started, service_healthy, service_completed_successfully)",
    ),
    (
        "bad duration",
        "services:\n  api:\n    image: x\n    healthcheck:\n      interval: 5 seconds\n",
        15,
        "compose.yaml:5:17: services.api.healthcheck.interval: invalid duration \"5 seconds\"",
    ),
    (
        "undefined volume",
        "services:\n  api:\n    image: x\n    volumes: [data:/data]\n",
        15,
        "compose.yaml:4:15: services.api.volumes[0]: service \"api\" refers to undefined volume data",
    ),
    (
        "undefined service, with a suggestion",
        "services:\n  api:\n    image: x\n    depends_on: [db]\n  dbb:\n    image: y\n",
        15,
        "compose.yaml:4:18: services.api.depends_on.db: service \"api\" depends on undefined service \"db\"",
    ),
    (
        "undefined network",
        "services:\n  api:\n    image: x\n    networks: [front]\n",
        15,
        "services.api.networks.front: service \"api\" refers to undefined network front",
    ),
    (
        "undefined secret",
        "services:\n  api:\n    image: x\n    secrets: [token]\n",
        15,
        "services.api.secrets[0]: service \"api\" refers to undefined secret token",
    ),
    (
        "neither image nor build",
        "services:\n  api:\n    restart: always\n",
        15,
        "compose.yaml:3:5: services.api: service \"api\" has neither an image nor a build context specified",
    ),
    ("duplicate key", "services:\n  api:\n    image: x\n    image: y\n", 15, "compose.yaml:4:5: mapping key \"image\" already defined at line 3"),
    ("tab indentation", "services:\n\tapi:\n", 15, "compose.yaml:2:"),
    ("empty file", "# nothing\n", 15, "compose.yaml: empty compose file"),
    (
        "bad cast after interpolation",
        "services:\n  api:\n    image: x\n    scale: ${N:-two}\n",
        15,
        "compose.yaml:4:12: services.api.scale: \"two\" is not a whole number",
    ),
    (
        "unterminated interpolation",
        "services:\n  api:\n    image: \"${UNCLOSED\"\n",
        15,
        "compose.yaml:3:12: services.api.image: invalid interpolation format",
    ),
    (
        "network_mode with networks",
        "services:\n  api:\n    image: x\n    network_mode: host\n    networks: [default]\n",
        15,
        "declares mutually exclusive `network_mode` and `networks`",
    ),
    (
        "missing env_file",
        "services:\n  api:\n    image: x\n    env_file: nope.env\n",
        14,
        "compose.yaml:4:15: services.api.env_file[0]: env file",
    ),
];

#[test]
fn each_error_class_points_into_the_file() {
    let mut failures = Vec::new();
    for (what, yaml, code, want) in CASES {
        let r = config_error(yaml);
        if r.code != *code || !r.stderr.contains(want) {
            failures.push(format!(
                "{what}: want exit {code} and {want:?}\n  got exit {}: {}",
                r.code, r.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_show_the_source_line_and_a_caret() {
    let r = config_error("services:\n  api:\n    image: x\n    ports:\n      - \"80:80:80:80\"\n");
    assert!(
        r.stderr.contains(" 5 |       - \"80:80:80:80\"\n"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("   |         ^"), "{}", r.stderr);
}

#[test]
fn cli_errors_use_compose_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    // No compose file anywhere up the tree (the temp dir has none; / has none either).
    let r = berth(dir.path(), &["config"]);
    assert_eq!(r.code, 14, "{}", r.stderr);
    assert!(
        r.stderr.contains("no configuration file provided"),
        "{}",
        r.stderr
    );
    let r = berth(dir.path(), &["-f", "missing.yaml", "config"]);
    assert_eq!(r.code, 14, "{}", r.stderr);
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  a:\n    image: x\n",
    )
    .unwrap();
    let r = berth(dir.path(), &["-p", "BadName", "config"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("invalid project name \"BadName\""),
        "{}",
        r.stderr
    );
    let r = berth(dir.path(), &["config", "--bogus"]);
    assert_eq!(r.code, 16, "{}", r.stderr);
    let r = berth(dir.path(), &["config", "nosuch"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no such service: nosuch"), "{}", r.stderr);
}
