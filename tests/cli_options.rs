//! Compose v2's global options and COMPOSE_* variables, checked side by side: each scenario is
//! run with berth and with the reference `compose-v2` (installed by scripts/test.sh from
//! ../shared/tools/install-reference-compose.sh), and the outputs must be equal.

mod common;

use common::json::prune;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(tool: &str, dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Out {
    let mut cmd = Command::new(tool);
    cmd.args(args).current_dir(dir).env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", std::env::var("HOME").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {tool}: {e} (scripts/test.sh installs compose-v2)"));
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).to_string(),
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

/// Runs `args` with both tools in `dir` and asserts the same exit code and the same output
/// (JSON compared structurally, line lists compared as sets).
fn same(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> String {
    let ours = run(env!("CARGO_BIN_EXE_berth"), dir, args, env, stdin);
    let reference = run("compose-v2", dir, args, env, stdin);
    assert_eq!(
        ours.code, reference.code,
        "exit codes differ for {args:?}\nberth: {}\ncompose-v2: {}",
        ours.stderr, reference.stderr
    );
    if args.contains(&"json") {
        let a: Value = serde_json::from_str(&ours.stdout).unwrap_or(Value::Null);
        let b: Value = serde_json::from_str(&reference.stdout).unwrap_or(Value::Null);
        assert_eq!(
            prune(&a),
            prune(&b),
            "outputs differ for {args:?} {env:?}\nberth: {}\ncompose-v2: {}",
            ours.stdout,
            reference.stdout
        );
    } else {
        let mut a: Vec<&str> = ours.stdout.lines().collect();
        let mut b: Vec<&str> = reference.stdout.lines().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "outputs differ for {args:?} {env:?}");
    }
    ours.stdout
}

/// berth alone (no comparison), with no variables or stdin of its own.
fn berth(dir: &Path, args: &[&str]) -> Out {
    run(env!("CARGO_BIN_EXE_berth"), dir, args, &[], None)
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

const JSON: &[&str] = &["config", "--format", "json"];

/// `config --format json` after the global `flags`, run with both tools and compared.
fn same_json(dir: &Path, flags: &[&str], env: &[(&str, &str)]) -> String {
    same(dir, &[flags, JSON].concat(), env, None)
}

#[test]
fn discovery_in_parent_directories_with_override_and_dotenv() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("My Project");
    write(
        &root,
        "compose.yaml",
        "services:\n  web:\n    image: web:${TAG}\n    ports: ['8080:80']\n",
    );
    write(
        &root,
        "compose.override.yaml",
        "services:\n  web:\n    environment: [DEBUG=1]\n",
    );
    write(&root, ".env", "TAG=1.2\n");
    write(&root, "sub/deeper/readme.txt", "x");
    let out = same_json(&root.join("sub/deeper"), &[], &[]);
    assert!(out.contains("web:1.2") && out.contains("DEBUG"), "{out}");
    assert!(
        out.contains("\"myproject\""),
        "the project name comes from the directory: {out}"
    );
}

#[test]
fn stdin_compose_file() {
    let t = tempfile::tempdir().unwrap();
    let yaml = "services:\n  a:\n    image: busybox\n    command: echo hi\n";
    same(
        t.path(),
        &[&["-f", "-", "-p", "s"], JSON].concat(),
        &[],
        Some(yaml),
    );
}

#[test]
fn compose_file_variable_with_separator_and_from_dotenv() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a.yaml", "services:\n  a:\n    image: a\n");
    write(
        t.path(),
        "b.yaml",
        "services:\n  a:\n    image: b\n  c:\n    image: c\n",
    );
    same_json(
        t.path(),
        &[],
        &[
            ("COMPOSE_FILE", "a.yaml:b.yaml"),
            ("COMPOSE_PROJECT_NAME", "p1"),
        ],
    );
    same_json(
        t.path(),
        &[],
        &[
            ("COMPOSE_FILE", "b.yaml;a.yaml"),
            ("COMPOSE_PATH_SEPARATOR", ";"),
            ("COMPOSE_PROJECT_NAME", "p2"),
        ],
    );
    write(
        t.path(),
        ".env",
        "COMPOSE_FILE=b.yaml\nCOMPOSE_PROJECT_NAME=from_dotenv\nCOMPOSE_PROFILES=dbg\n",
    );
    write(
        t.path(),
        "b.yaml",
        "services:\n  a:\n    image: b\n  d:\n    image: d\n    profiles: [dbg]\n",
    );
    let out = same_json(t.path(), &[], &[]);
    assert!(
        out.contains("from_dotenv") && out.contains("\"d\""),
        "{out}"
    );
}

#[test]
fn profiles_from_flags_and_environment() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  app:\n    image: app\n  dbg:\n    image: dbg\n    profiles: [debug]\n  tools:\n    image: tools\n    profiles: [tools, debug]\n",
    );
    for env in [
        vec![],
        vec![("COMPOSE_PROFILES", "tools")],
        vec![("COMPOSE_PROFILES", "*")],
    ] {
        same_json(t.path(), &["-p", "pr"], &env);
        same(t.path(), &["-p", "pr", "config", "--services"], &env, None);
    }
    same_json(
        t.path(),
        &["-p", "pr", "--profile", "debug"],
        &[("COMPOSE_PROFILES", "tools")],
    );
    same(t.path(), &["-p", "pr", "config", "--profiles"], &[], None);
    // Naming a service enables its profiles.
    same(
        t.path(),
        &["-p", "pr", "config", "--format", "json", "dbg"],
        &[],
        None,
    );
}

#[test]
fn env_files_replace_dotenv_and_later_ones_win() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  a:\n    image: \"${IMG:-none}:${TAG:-none}\"\n",
    );
    write(t.path(), ".env", "IMG=dotenv\n");
    write(t.path(), "one.env", "TAG=one\nIMG=one\n");
    write(t.path(), "two.env", "TAG=two-${IMG}\n");
    same_json(t.path(), &["-p", "e"], &[]);
    same_json(
        t.path(),
        &["-p", "e", "--env-file", "one.env", "--env-file", "two.env"],
        &[],
    );
    same_json(
        t.path(),
        &["-p", "e"],
        &[("COMPOSE_ENV_FILES", "one.env,two.env")],
    );
    // The shell wins over every file.
    same_json(
        t.path(),
        &["-p", "e", "--env-file", "one.env"],
        &[("TAG", "shell")],
    );
}

#[test]
fn project_directory_and_name_precedence() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "files/compose.yaml",
        "name: From_File\nservices:\n  a:\n    image: a\n    volumes: [./data:/data]\n",
    );
    write(t.path(), "proj/.env", "X=1\n");
    same_json(
        t.path(),
        &["-f", "files/compose.yaml", "--project-directory", "proj"],
        &[],
    );
    same_json(
        t.path(),
        &["-f", "files/compose.yaml"],
        &[("COMPOSE_PROJECT_NAME", "env_name")],
    );
    same_json(
        t.path(),
        &["-f", "files/compose.yaml", "-p", "flag"],
        &[("COMPOSE_PROJECT_NAME", "env_name")],
    );
}

#[test]
fn config_listing_flags() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.25\n    networks: [front]\n    volumes: [data:/d]\n    depends_on: [db]\n  db:\n    build: .\n    networks: [back]\n  other:\n    image: x\nnetworks:\n  front: {}\n  back: {}\nvolumes:\n  data: {}\n",
    );
    for flag in ["--services", "--volumes", "--images"] {
        same(t.path(), &["-p", "l", "config", flag], &[], None);
    }
    same(
        t.path(),
        &["-p", "l", "config", "--format", "json", "web"],
        &[],
        None,
    );
    let q = berth(t.path(), &["-p", "l", "config", "-q"]);
    assert_eq!((q.code, q.stdout.as_str()), (0, ""));
    let out_file = t.path().join("out.yaml");
    let o = berth(t.path(), &["-p", "l", "config", "-o", "out.yaml"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(std::fs::read_to_string(out_file)
        .unwrap()
        .contains("nginx:1.25"));
}

#[test]
fn hash_is_compose_v2_s_and_ignores_scale() {
    let t = tempfile::tempdir().unwrap();
    // `config --hash a` of service a in each version of the file, by both tools.
    let hash = |compose: &str| {
        write(t.path(), "compose.yaml", compose);
        let ours = berth(t.path(), &["-p", "h", "config", "--hash", "a"]).stdout;
        let theirs = run(
            "compose-v2",
            t.path(),
            &["-p", "h", "config", "--hash", "a"],
            &[],
            None,
        )
        .stdout;
        assert_eq!(
            ours, theirs,
            "the config-hash label is Compose v2's: {compose}"
        );
        ours
    };
    let h1 = hash("services:\n  a:\n    image: x\n    ports: ['8080:80']\n  b:\n    image: y\n");
    let h2 = hash(
        "services:\n  a:\n    image: x\n    ports: ['8080:80']\n    scale: 3\n  b:\n    image: y\n",
    );
    let h3 = hash("services:\n  a:\n    image: x2\n    ports: ['8080:80']\n  b:\n    image: y\n");
    hash("services:\n  a:\n    image: x\n    depends_on: [b]\n    environment: {Q: 'a<b&c'}\n  b:\n    image: y\n");
    // Compose v2 hashes env_file as written and environment without the files' values.
    write(t.path(), "a.env", "FROM_FILE=1\nB=from-file\n");
    let with_file = hash("services:\n  a:\n    image: x\n    environment: {B: '2', C: null}\n    env_file: [a.env, {path: missing.env, required: false}]\n  b:\n    image: y\n");
    write(t.path(), "a.env", "FROM_FILE=2\n");
    assert_eq!(
        with_file,
        hash("services:\n  a:\n    image: x\n    environment: {B: '2', C: null}\n    env_file: [a.env, {path: missing.env, required: false}]\n  b:\n    image: y\n"),
        "Compose v2's hash does not see an env file's content"
    );
    assert!(h1.starts_with("a ") && h1.trim().len() == 2 + 64, "{h1}");
    assert_eq!(h1, h2, "scale does not change the hash");
    assert_ne!(h1, h3, "a changed image changes the hash");
}

/// Three of the wild corpus's failures (issue 14), each side by side with Compose v2.
#[test]
fn reset_null_removes_a_key_long_ports_get_defaults_and_p_is_the_project_name() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  db:\n    image: x\n    environment:\n      MYSQL_ROOT_PASSWORD: ${MYSQL_ROOT_PASSWORD}\n      OTHER: '1'\n    ports:\n      - {target: 3100, published: 3100}\n      - {target: 80, published: 8080, mode: host}\n    labels:\n      net: ${COMPOSE_PROJECT_NAME}_default\n",
    );
    // The override exists to take the root password out (Frappe's mariadb-secrets does this).
    write(
        t.path(),
        "override.yaml",
        "services:\n  db:\n    environment:\n      MYSQL_ROOT_PASSWORD: !reset null\n",
    );
    write(t.path(), ".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
    let secret = [("MYSQL_ROOT_PASSWORD", "s3cr3t-root")];
    let args = [
        "-f",
        "compose.yaml",
        "-f",
        "override.yaml",
        "-p",
        "cli",
        "config",
        "--format",
        "json",
    ];
    let out = same(t.path(), &args, &secret, None);
    let v: Value = serde_json::from_str(&out).unwrap();
    let db = &v["services"]["db"];
    assert!(
        db["environment"].get("MYSQL_ROOT_PASSWORD").is_none(),
        "{db}"
    );
    assert_eq!(db["ports"][0]["mode"], "ingress");
    assert_eq!(db["ports"][1]["protocol"], "tcp");
    assert_eq!(db["labels"]["net"], "cli_default", "-p wins over .env");
    // The reset value is a secret: it reaches no output of berth's.
    for cmd in [
        &["-f", "compose.yaml", "-f", "override.yaml", "config"][..],
        &["-f", "compose.yaml", "-f", "override.yaml", "convert"][..],
    ] {
        let o = run(env!("CARGO_BIN_EXE_berth"), t.path(), cmd, &secret, None);
        assert_eq!(o.code, 0, "{cmd:?}: {}", o.stderr);
        assert!(
            !o.stdout.contains("s3cr3t-root") && !o.stderr.contains("s3cr3t-root"),
            "{cmd:?} leaks the reset password"
        );
    }
}

/// The fourth (sentry, the OpenTelemetry demo): a flow collection closed, or continued, at
/// its key's column, which go-yaml accepts.
#[test]
fn flow_collections_closed_at_the_key_s_column_read_as_compose_reads_them() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  flagd:\n    image: x\n    command: [\n      \"start\",\n      \"--uri\"\n    ]\n    healthcheck:\n      test: [\n          \"CMD-SHELL\",\n          # a comment inside\n          \"true\",\n      ]\n    labels: {\n    a: b\n    }\n",
    );
    let out = same(t.path(), &["config", "--format", "json"], &[], None);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["services"]["flagd"]["command"][1], "--uri");
    assert_eq!(v["services"]["flagd"]["labels"]["a"], "b");
}

/// `config --no-interpolate web` keeps web and what it depends on, even where the model cannot
/// be typed without interpolation (`${N}` where a number belongs).
#[test]
fn service_selection_works_without_interpolation() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path(),
        "compose.yaml",
        "services:\n  web:\n    image: x\n    depends_on: [db]\n    scale: ${N:-1}\n  db:\n    image: y\n  other:\n    image: z\n",
    );
    let o = berth(t.path(), &["config", "--no-interpolate", "web"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.contains("  db:\n") && o.stdout.contains("  web:\n"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains("  other:\n"), "{}", o.stdout);
    assert!(o.stdout.contains("${N:-1}"), "{}", o.stdout);
}
