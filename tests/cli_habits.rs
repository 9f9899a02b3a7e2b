//! The habits a Compose v2 user brings: shell completion typed into a real bash on a
//! pseudo-terminal, the manual pages read with `man`, `berth help COMMAND`, the version lines,
//! and berth run by the real Docker CLI as `docker berth`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::pty::Pty;

fn berth() -> Command {
    common::berth_command()
}

fn berth_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_berth"))
        .parent()
        .expect("berth's directory")
        .to_path_buf()
}

fn stdout_of(cmd: &mut Command) -> String {
    let o = cmd.output().expect("runs");
    assert!(
        o.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const PROJECT: &str = "services:\n  web:\n    image: busybox\n  worker:\n    image: busybox\n    profiles: [jobs]\n  db:\n    image: busybox\n    profiles: [storage]\n";

/// An interactive bash on a terminal, in `dir`, with berth on its PATH and its completion
/// loaded as the README says.
fn bash_with_completion(dir: &Path) -> Pty {
    let mut cmd = Command::new("bash");
    cmd.args(["--norc", "--noprofile", "-i"])
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                berth_dir().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PS1", "$ ")
        .env("TERM", "dumb")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES");
    let mut t = Pty::spawn(cmd, 40, 200);
    t.type_text("source <(berth completion bash) && echo loaded-ok\r");
    t.expect("loaded-ok", Duration::from_secs(20));
    t
}

#[test]
fn bash_completes_subcommands_flags_services_and_profiles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), PROJECT).unwrap();
    std::fs::write(
        dir.path().join("other.yaml"),
        "services:\n  zebra:\n    image: busybox\n",
    )
    .unwrap();
    let mut t = bash_with_completion(dir.path());
    t.type_text("complete -p berth\r");
    t.expect("-F _clap_complete_berth berth", Duration::from_secs(10));

    // A subcommand, then a flag of it, each to its only completion.
    t.type_text("berth sca\t");
    t.expect("berth scale ", Duration::from_secs(10));
    t.keys(b"\x15"); // Ctrl-U: clear the line
    t.type_text("berth up --remove-orp\t");
    t.expect("up --remove-orphans ", Duration::from_secs(10));
    t.keys(b"\x15");

    // Service names from the project in this directory, whatever their profiles: `w` is
    // ambiguous (two TABs list both), `we` completes.
    t.type_text("berth up w\t\t");
    t.expect("worker", Duration::from_secs(10));
    let screen = t.screen();
    let listing = &screen[screen.find("berth up w").unwrap()..];
    assert!(
        listing.contains("web") && listing.contains("worker"),
        "{listing}"
    );
    assert!(
        !listing.contains("db"),
        "only names starting with w: {listing}"
    );
    t.keys(b"\x15");
    t.type_text("berth logs we\t");
    t.expect("logs web ", Duration::from_secs(10));
    t.keys(b"\x15");

    // Profiles for --profile; and -f names the project the services come from.
    t.type_text("berth --profile st\t");
    t.expect("--profile storage ", Duration::from_secs(10));
    t.keys(b"\x15");
    t.type_text("berth -f other.yaml exec z\t");
    t.expect("exec zebra ", Duration::from_secs(10));
    t.keys(b"\x15");
    t.type_text("exit\r");
    let _ = t.wait(Duration::from_secs(10));
}

#[test]
fn completion_scripts_for_zsh_and_fish_and_a_clear_refusal_for_others() {
    let zsh = stdout_of(berth().args(["completion", "zsh"]));
    assert!(zsh.contains("compdef"), "{zsh}");
    let fish = stdout_of(berth().args(["completion", "fish"]));
    assert!(
        fish.contains("complete") && fish.contains("berth"),
        "{fish}"
    );
    let o = berth().args(["completion", "tcsh"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bash, zsh, fish"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn man_renders_the_pages_berth_writes() {
    let dir = tempfile::tempdir().unwrap();
    let listed = stdout_of(berth().arg("man").arg(dir.path()));
    for page in [
        "berth.1",
        "berth-up.1",
        "berth-scale.1",
        "berth-bundle-save.1",
    ] {
        assert!(dir.path().join(page).is_file(), "{page}: {listed}");
        assert!(listed.contains(page), "{listed}");
    }
    let rendered = |page: &str| {
        stdout_of(
            Command::new("man")
                .arg("-l")
                .arg(dir.path().join(page))
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "100"),
        )
    };
    let main = rendered("berth.1");
    assert!(
        main.contains("berth-up(1)"),
        "lists the subcommands: {main}"
    );
    let up = rendered("berth-up.1");
    assert!(up.contains("Create and start containers"), "{up}");
    assert!(up.contains("--remove-orphans"), "{up}");
}

#[test]
fn help_command_equals_help_flag_and_versions_read_as_compose_v2_s() {
    for sub in ["up", "scale", "convert"] {
        let a = stdout_of(berth().args(["help", sub]));
        let b = stdout_of(berth().args([sub, "--help"]));
        assert_eq!(a, b, "berth help {sub}");
    }
    let v = env!("CARGO_PKG_VERSION");
    // v2: "Docker Compose version 2.26.1" for both `--version` and `version`.
    assert_eq!(
        stdout_of(berth().arg("--version")).trim(),
        format!("berth version {v}")
    );
    let first = stdout_of(berth().arg("version"));
    assert_eq!(
        first.lines().next(),
        Some(format!("berth version {v}").as_str())
    );
    assert_eq!(stdout_of(berth().args(["version", "--short"])).trim(), v);
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(berth().args(["version", "--format", "json"])))
            .expect("json");
    assert_eq!(json["version"], v);
}

#[test]
fn the_docker_cli_runs_berth_as_a_plugin() {
    let home = tempfile::tempdir().unwrap();
    let out = stdout_of(
        berth()
            .arg("install-plugin")
            .env("HOME", home.path())
            .env_remove("DOCKER_CONFIG"),
    );
    let link = home.path().join(".docker/cli-plugins/docker-berth");
    assert!(out.contains(&link.display().to_string()), "{out}");
    let docker = |args: &[&str]| {
        let mut c = Command::new("docker");
        c.args(args)
            .env("HOME", home.path())
            .env_remove("DOCKER_CONFIG");
        c
    };
    let help = stdout_of(&mut docker(&["--help"]));
    assert!(
        help.lines().any(|l| l.trim_start().starts_with("berth*")),
        "docker --help lists berth: {help}"
    );
    let v = env!("CARGO_PKG_VERSION");
    let version = stdout_of(&mut docker(&["berth", "version", "--short"]));
    assert_eq!(version.trim(), v);
    // Its usage lines say how it was called.
    let up_help = stdout_of(&mut docker(&["berth", "up", "--help"]));
    assert!(up_help.contains("Usage: docker berth up"), "{up_help}");
    // `docker -H HOST berth` chooses the engine, as for docker itself.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("compose.yaml"), PROJECT).unwrap();
    let bad = docker(&["-H", "unix:///nonexistent.sock", "berth", "ps"])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("/nonexistent.sock"), "{err}");
    // Installing again replaces berth's own link; another file is left alone.
    stdout_of(berth().arg("install-plugin").env("HOME", home.path()));
    let other = tempfile::tempdir().unwrap();
    std::fs::write(other.path().join("docker-berth"), "not ours").unwrap();
    let o = berth()
        .args(["install-plugin", "--dir"])
        .arg(other.path())
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read_to_string(other.path().join("docker-berth")).unwrap(),
        "not ours"
    );
}
