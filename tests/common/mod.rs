//! Shared by the engine tests: a busybox image built offline, and a throw-away project whose
//! containers, networks and volumes are removed by label when the test ends, pass or fail.

#![allow(dead_code)]

pub mod json;
pub mod pty;
pub mod session;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The test image: `FROM scratch` + Debian's static busybox (sh, httpd, wget, nslookup, sleep).
pub const IMAGE: &str = "berth-test/busybox:1";

/// The engine under test: `BERTH_TEST_ENGINE` = docker (default) or podman. For podman,
/// berth is pointed at the rootful socket (scripts/podman.sh starts the service there) and
/// the harness uses the `podman` CLI and the socket's Docker-compatible API.
pub fn engine() -> &'static str {
    match std::env::var("BERTH_TEST_ENGINE").as_deref() {
        Ok("podman") => "podman",
        _ => "docker",
    }
}

pub fn is_podman() -> bool {
    engine() == "podman"
}

/// The engine's CLI: `docker` or `podman`.
pub fn cli() -> &'static str {
    engine()
}

/// The engine's socket (what berth is given as DOCKER_HOST).
pub fn socket() -> &'static str {
    if is_podman() {
        "/run/podman/podman.sock"
    } else {
        "/var/run/docker.sock"
    }
}

/// `berth` with the engine under test selected (DOCKER_HOST for podman).
pub fn berth_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_berth"));
    c.env_remove("BERTH_ENGINE").env_remove("CONTAINER_HOST");
    if is_podman() {
        c.env("DOCKER_HOST", format!("unix://{}", socket()));
    }
    c
}

/// GET on the engine's Docker-compatible API over its socket (both engines answer it alike).
pub fn api_get(path: &str) -> String {
    let o = Command::new("curl")
        .args(["-s", "--max-time", "20", "--unix-socket", socket()])
        .arg(format!("http://d{path}"))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// Runs `cmd` and asserts that it succeeded, naming `what` and showing its stderr otherwise;
/// its output.
#[track_caller]
pub fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} does not run: {e}"));
    assert!(
        o.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// Calls `done` until it says so or `timeout` has passed, `every` apart: whether it said so.
pub fn poll(timeout: Duration, every: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(every);
    }
}

/// Builds the test image once per machine (kept between runs: it is 2 MB).
pub fn ensure_image() {
    if is_podman() {
        let have = Command::new("podman")
            .args(["image", "exists", IMAGE])
            .status();
        assert!(
            matches!(have, Ok(s) if s.success()),
            "the Podman tests need {IMAGE} in Podman's store: run `sudo bash scripts/podman.sh`"
        );
        return;
    }
    let have = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if matches!(have, Ok(s) if s.success()) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "the engine tests need Debian's busybox-static (/bin/busybox): run scripts/setup.sh"
    );
    std::fs::copy(busybox, dir.path().join("busybox")).expect("copy busybox");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"sh\"]\n",
    )
    .expect("write Dockerfile");
    run_ok(
        Command::new("docker")
            .args(["build", "-q", "-t", IMAGE, "."])
            .current_dir(dir.path()),
        "docker build",
    );
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Images a test built, removed when it ends (pass or fail).
pub struct BuiltImages(pub Vec<String>);

impl Drop for BuiltImages {
    fn drop(&mut self) {
        let _ = Command::new(cli()).arg("rmi").args(&self.0).output();
    }
}

/// Builds `tag` offline from the test busybox image with the Dockerfile lines `lines`, on the
/// engine under test. Same lines give the same cached image: add a unique LABEL when the test
/// removes the image (another test run's tag would keep it).
pub fn build_image(tag: &str, lines: &str) {
    use std::io::Write;
    ensure_image();
    let mut b = Command::new(cli())
        .args(["build", "-q", "-t", tag, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run the engine's CLI");
    b.stdin
        .take()
        .expect("stdin")
        .write_all(format!("FROM {IMAGE}\n{lines}").as_bytes())
        .expect("write the Dockerfile");
    assert!(b.wait().expect("build").success(), "building {tag}");
}

/// A project in a temp directory, with a unique name; cleaned up by label on drop.
pub struct TestProject {
    pub name: String,
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "command failed\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr says `text`, showing stderr when it does not.
    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Run {
        assert_says("stderr", &self.stderr, text);
        self
    }

    /// Asserts that stdout says `text`, showing stdout when it does not.
    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Run {
        assert_says("stdout", &self.stdout, text);
        self
    }
}

#[track_caller]
fn assert_says(stream: &str, output: &str, text: &str) {
    assert!(output.contains(text), "no {text:?} in {stream}:\n{output}");
}

fn to_run(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).to_string(),
        stderr: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

impl TestProject {
    /// `compose` may use `$IMAGE` for the test image.
    pub fn new(prefix: &str, compose: &str) -> TestProject {
        ensure_image();
        sweep_dead_projects();
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("berthtest-{prefix}-{}-{n}", std::process::id());
        let dir = tempfile::tempdir().expect("temp dir");
        let p = TestProject { name, dir };
        p.write("compose.yaml", compose);
        p
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The name of `service`'s first container: `<project>-<service>-1`.
    pub fn container(&self, service: &str) -> String {
        format!("{}-{service}-1", self.name)
    }

    pub fn write(&self, file: &str, text: &str) {
        let path = self.dir.path().join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text.replace("$IMAGE", IMAGE)).expect("write");
    }

    /// berth with `-p NAME` in the project directory, on the engine under test, with no
    /// colour and no COMPOSE_* variables of the caller's: to spawn or to run with other
    /// standard streams.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = berth_command();
        c.arg("-p")
            .arg(&self.name)
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_PROFILES");
        c
    }

    /// Starts berth as `command` does, with `stdin`, its stdout and stderr piped (to read, or
    /// to close early).
    pub fn spawn(&self, args: &[&str], stdin: Stdio) -> Child {
        self.command(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("berth starts")
    }

    /// Runs berth with `-p NAME` in the project directory.
    pub fn berth(&self, args: &[&str]) -> Run {
        self.berth_env(args, &[])
    }

    /// Runs berth the same way, with the variables `env` set.
    pub fn berth_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let o = self
            .command(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("berth runs");
        to_run(o)
    }

    /// Runs the reference Compose v2 the same way (on the engine under test).
    pub fn compose_v2(&self, args: &[&str]) -> Run {
        let mut c = Command::new("compose-v2");
        if is_podman() {
            c.env("DOCKER_HOST", format!("unix://{}", socket()));
        }
        let o = c
            .arg("-p")
            .arg(&self.name)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("compose-v2 runs (scripts/test.sh installs it)");
        to_run(o)
    }

    /// `docker inspect` of a container, as JSON (on Podman, its Docker-compatible inspect, so
    /// the fields are the same on both engines).
    pub fn inspect(&self, container: &str) -> serde_json::Value {
        if is_podman() {
            let v: serde_json::Value =
                serde_json::from_str(&api_get(&format!("/containers/{container}/json")))
                    .unwrap_or(serde_json::Value::Null);
            return if v.get("Id").is_some() {
                v
            } else {
                serde_json::Value::Null
            };
        }
        let o = Command::new("docker")
            .args(["inspect", container])
            .output()
            .expect("docker inspect");
        let v: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
        v.get(0).cloned().unwrap_or(serde_json::Value::Null)
    }

    /// The project's container names (all states), sorted.
    pub fn containers(&self) -> Vec<String> {
        let o = Command::new(cli())
            .args([
                "ps",
                "-a",
                "--format",
                "{{.Names}}",
                "--filter",
                &format!("label=com.docker.compose.project={}", self.name),
            ])
            .output()
            .expect("engine ps");
        let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }

    /// The IDs of the networks that carry the project's label.
    pub fn networks(&self) -> Vec<String> {
        self.docker(&[
            "network",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
        ])
        .stdout
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// The engine's CLI (`docker`, or `podman` under BERTH_TEST_ENGINE=podman).
    pub fn docker(&self, args: &[&str]) -> Run {
        to_run(
            Command::new(cli())
                .args(args)
                .output()
                .expect("engine CLI runs"),
        )
    }

    /// Removes everything carrying the project's label (containers, networks, volumes).
    pub fn cleanup(&self) {
        remove_project(&self.name);
    }
}

/// Removes everything carrying project `name`'s label (containers, networks, volumes).
fn remove_project(name: &str) {
    let label = format!("label=com.docker.compose.project={name}");
    remove_containers(&label);
    let history = format!("label=io.berth.history.project={name}");
    for (kind, label) in [
        ("network", &label),
        ("volume", &label),
        ("volume", &history),
    ] {
        let ids = listed(Command::new(cli()).args([kind, "ls", "-q", "--filter", label]));
        if !ids.is_empty() {
            let _ = Command::new(cli()).args([kind, "rm"]).args(&ids).output();
        }
    }
}

/// Removes the containers (all states, with their anonymous volumes) that `filter` selects
/// (`label=KEY=VALUE`).
pub fn remove_containers(filter: &str) {
    let ids = listed(Command::new(cli()).args(["ps", "-aq", "--filter", filter]));
    if !ids.is_empty() {
        let _ = Command::new(cli()).args(["rm", "-fv"]).args(&ids).output();
    }
}

/// The lines a listing command prints (IDs, names); none when it cannot run.
fn listed(cmd: &mut Command) -> Vec<String> {
    let out = cmd.output().map(|o| o.stdout).unwrap_or_default();
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Projects left behind by a test process that was killed (a nextest timeout sends SIGKILL,
/// so no `Drop` ran): `berthtest-<prefix>-<pid>-<n>` whose process is gone. Swept once per
/// test process, before its first project.
fn sweep_dead_projects() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = "%7B%22label%22%3A%5B%22com.docker.compose.project%22%5D%7D";
        let mut names = std::collections::BTreeSet::new();
        for path in [
            format!("/containers/json?all=1&filters={filter}"),
            format!("/networks?filters={filter}"),
        ] {
            let v: serde_json::Value =
                serde_json::from_str(&api_get(&path)).unwrap_or(serde_json::Value::Null);
            for item in v.as_array().into_iter().flatten() {
                if let Some(p) = item["Labels"]["com.docker.compose.project"].as_str() {
                    names.insert(p.to_string());
                }
            }
        }
        for name in names {
            let Some(rest) = name.strip_prefix("berthtest-") else {
                continue;
            };
            let parts: Vec<&str> = rest.rsplitn(3, '-').collect();
            let Some(pid) = parts.get(1).and_then(|p| p.parse::<u32>().ok()) else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                remove_project(&name);
            }
        }
    });
}

impl Drop for TestProject {
    fn drop(&mut self) {
        self.cleanup();
    }
}
