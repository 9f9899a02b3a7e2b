//! The developer loop on the real engine: `logs` (merged order, options, following across a
//! restart), `exec` (exit codes, stdin; TTY sessions are in engine_terminal.rs), `run` (health-gated
//! dependencies, one-off naming and labels, ports), `cp` round trips, and `port`, `top`,
//! `images`, `events`, `stats`, `wait`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::session::Session;
use common::TestProject;

/// alpha and b take turns through files on a shared volume: a1, b1, a2, b2 in real time.
const TWO: &str = r#"
services:
  alpha:
    image: $IMAGE
    init: true
    volumes: ["shared:/s"]
    command: ["sh", "-c", "echo a1; sleep GAP; touch /s/a1; until [ -f /s/b1 ]; do sleep 0.05; done; sleep GAP; echo a2; printf 'bin \\377\\376\\n'; sleep GAP; touch /s/a2; exec sleep 3600"]
  b:
    image: $IMAGE
    init: true
    volumes: ["shared:/s"]
    command: ["sh", "-c", "until [ -f /s/a1 ]; do sleep 0.05; done; echo b1 >&2; sleep GAP; touch /s/b1; until [ -f /s/a2 ]; do sleep 0.05; done; echo b2; exec sleep 3600"]
  tty:
    image: $IMAGE
    init: true
    tty: true
    command: ["sh", "-c", "echo on-a-tty; exec sleep 3600"]
volumes:
  shared:
"#;

#[test]
fn logs_merge_services_in_time_order_with_aligned_prefixes_and_options() {
    // Podman 4.3's API gives log timestamps in whole seconds: there, the turns are a second
    // apart, so that the merge has something to order by.
    let gap = if common::is_podman() { "1.1" } else { "0" };
    let p = TestProject::new("logs", &TWO.replace("GAP", gap));
    p.berth(&["up", "-d"]).ok();
    common::poll(Duration::from_secs(20), Duration::from_millis(200), || {
        p.berth(&["logs", "b"]).stdout.contains("b2")
    });
    let r = p.berth(&["logs", "alpha", "b"]);
    r.ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines,
        vec![
            "alpha-1  | a1",
            "b-1      | b1",
            "alpha-1  | a2",
            "alpha-1  | bin \u{fffd}\u{fffd}",
            "b-1      | b2"
        ],
        "{}",
        r.stdout
    );
    // The bytes are the engine's (json-file stores invalid UTF-8 as U+FFFD; berth adds nothing).
    let raw = p
        .command(&["logs", "--no-log-prefix", "alpha"])
        .output()
        .expect("berth runs");
    let docker = p.docker(&["logs", &p.container("alpha")]);
    assert_eq!(String::from_utf8_lossy(&raw.stdout), docker.stdout);
    // --no-log-prefix, --tail, -t, --index, TTY containers.
    let r = p.berth(&["logs", "--no-log-prefix", "--tail", "1", "b"]);
    assert_eq!(r.stdout, "b2\n");
    let r = p.berth(&["logs", "-t", "--index", "1", "b"]);
    let first = r.stdout.lines().next().unwrap_or_default().to_string();
    assert!(
        first.starts_with("b-1  | 20") && first.contains("Z b1"),
        "{first}"
    );
    let r = p.berth(&["logs", "tty"]);
    r.stdout_has("tty-1  | on-a-tty");
    // --since in the future and --until in the past show nothing.
    let r = p.berth(&["logs", "--until", "2000-01-01T00:00:00Z"]);
    assert_eq!(r.stdout, "");
    let r = p.berth(&["logs", "--since", "0s", "alpha"]);
    r.ok();
    // Unknown service.
    let r = p.berth(&["logs", "nope"]);
    assert_eq!(r.code, 1);
    r.stderr_has("no such service: nope");
    // A closed pipe ends quietly.
    let mut c = p.spawn(&["logs"], Stdio::inherit());
    drop(c.stdout.take());
    let o = c.wait_with_output().expect("wait");
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("panicked"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn logs_follow_continues_across_restart_and_scale_up() {
    let p = TestProject::new(
        "follow",
        r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "echo hello from $$HOSTNAME; exec sleep 3600"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    let s = Session::start(&p, &["logs", "-f", "--no-color"]);
    let mut step = 0;
    let lines = s.collect_until(Duration::from_secs(30), |lines| {
        let hellos = lines.iter().filter(|l| l.contains("hello from")).count();
        if step == 0 && hellos >= 1 {
            step = 1;
            p.berth(&["restart", "web"]).ok();
        } else if step == 1 && hellos >= 2 {
            step = 2;
            p.berth(&["up", "-d", "--scale", "web=2"]).ok();
        }
        step == 2 && lines.iter().any(|l| l.starts_with("web-2  | hello"))
    });
    let web1 = lines
        .iter()
        .filter(|l| l.starts_with("web-1  | hello"))
        .count();
    assert_eq!(web1, 2, "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with("web-2  | hello")),
        "{lines:?}"
    );
}

#[test]
fn logs_follow_from_tail_0_and_from_a_silent_container() {
    let p = TestProject::new(
        "followzero",
        r#"
services:
  talk:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "echo old line; exec sleep 3600"]
  quiet:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    common::poll(Duration::from_secs(10), Duration::from_millis(100), || {
        p.berth(&["logs", "talk"]).stdout.contains("old line")
    });
    // What a process writes to the container's output: through its pid 1 (docker-init).
    let say = |service: &str, text: &str| {
        p.berth(&[
            "exec",
            "-T",
            service,
            "sh",
            "-c",
            &format!("echo {text} > /proc/1/fd/1"),
        ])
        .ok();
    };
    // --tail 0: only what comes after; a container that had said nothing: its first line.
    // (Said again until seen: when the follower has begun is not visible from outside.)
    let s = Session::start(&p, &["logs", "-f", "--tail", "0", "--no-color"]);
    let mut said = 0;
    let lines = s.collect_until(Duration::from_secs(30), |l| {
        let seen =
            l.iter().any(|l| l.contains("new line")) && l.iter().any(|l| l.contains("first words"));
        if !seen {
            say("talk", "new line");
            say("quiet", "first words");
            said += 1;
            std::thread::sleep(Duration::from_millis(300));
        }
        seen
    });
    for said in ["talk-1   | new line", "quiet-1  | first words"] {
        assert!(lines.iter().any(|l| l == said), "{lines:?}");
    }
    assert!(!lines.iter().any(|l| l.contains("old line")), "{lines:?}");
    // Without --tail: the whole past once, then what follows.
    let s = Session::start(&p, &["logs", "-f", "--no-color", "quiet"]);
    let firsts = |l: &[String]| l.iter().filter(|l| l.contains("first words")).count();
    s.collect_until(Duration::from_secs(10), |l| firsts(l) >= said);
    say("quiet", "more words");
    let lines = s.collect_until(Duration::from_secs(20), |l| {
        l.iter().any(|l| l.contains("more words"))
    });
    assert_eq!(firsts(&lines), said, "{lines:?}");
    assert!(
        lines.contains(&"quiet-1  | more words".to_string()),
        "{lines:?}"
    );
}

#[test]
fn exec_exit_codes_stdin_options_and_tty() {
    let p = TestProject::new(
        "exec",
        r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
  off:
    image: $IMAGE
    command: ["true"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    p.berth(&["exec", "web", "mkdir", "-p", "/tmp"]).ok();
    let r = p.berth(&["exec", "web", "sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert_eq!((r.code, r.stdout.as_str()), (3, "out\n"));
    assert_eq!(r.stderr, "err\n");
    // Output bytes that are not UTF-8 pass through.
    let o = p
        .command(&["exec", "-T", "web", "printf", "\\377\\376"])
        .stdin(Stdio::null())
        .output()
        .expect("berth");
    assert_eq!(o.stdout, b"\xff\xfe");
    // stdin streams through.
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let file = p.path().join("input.bin");
    std::fs::write(&file, &data).expect("write");
    let o = p
        .command(&["exec", "-T", "web", "sh", "-c", "cat > /x"])
        .stdin(std::fs::File::open(&file).expect("open"))
        .output()
        .expect("berth");
    assert_eq!(o.status.code(), Some(0));
    let o = p
        .command(&["exec", "-T", "web", "cat", "/x"])
        .stdin(Stdio::null())
        .output()
        .expect("berth");
    assert_eq!(o.stdout.len(), data.len());
    assert!(o.stdout == data);
    // -e -u -w, -d.
    let r = p.berth(&[
        "exec",
        "-e",
        "FOO=bar",
        "-u",
        "1234",
        "-w",
        "/tmp",
        "web",
        "sh",
        "-c",
        "echo $FOO $(id -u) $(pwd)",
    ]);
    assert_eq!(r.stdout, "bar 1234 /tmp\n");
    p.berth(&["exec", "-d", "web", "touch", "/detached"]).ok();
    std::thread::sleep(Duration::from_millis(300));
    p.berth(&["exec", "web", "test", "-f", "/detached"]).ok();
    // Errors.
    let r = p.berth(&["exec", "off", "true"]);
    assert_eq!(r.code, 1);
    r.stderr_has("service \"off\" is not running");
    let r = p.berth(&["exec", "nope", "true"]);
    assert_eq!(r.code, 1);
    r.stderr_has("no such service: nope");
    // TTY sessions (typing, window resizes, exit codes) are driven in a pseudo-terminal in
    // tests/engine_terminal.rs.
}

#[test]
fn run_starts_health_gated_dependencies_and_propagates_the_exit_code() {
    let p = TestProject::new(
        "run",
        r#"
services:
  db:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "sleep 1; touch /ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 300ms
      retries: 30
  app:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
    ports: ["80"]
    restart: always
    depends_on:
      db: {condition: service_healthy}
"#,
    );
    let r = p.berth(&["run", "--rm", "-T", "app", "sh", "-c", "echo ran; exit 5"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    r.stdout_has("ran");
    let db = p.container("db");
    assert_eq!(p.inspect(&db)["State"]["Health"]["Status"], "healthy");
    // --rm removed it; the service's own container was not created.
    assert_eq!(p.containers(), vec![db.clone()]);

    // Detached: the ID on stdout; name, labels, no ports without -P, no restart policy.
    let r = p.berth(&["run", "-d", "-e", "X=1", "-l", "k=v", "app", "sleep", "30"]);
    r.ok();
    let id = r.stdout.trim().to_string();
    let v = p.inspect(&id);
    let name = v["Name"].as_str().unwrap_or_default().to_string();
    let prefix = format!("/{}-app-run-", p.name);
    assert!(name.starts_with(&prefix), "{name}");
    let hexid = &name[prefix.len()..];
    assert!(
        hexid.len() == 12 && hexid.chars().all(|c| c.is_ascii_hexdigit()),
        "{name}"
    );
    let labels = &v["Config"]["Labels"];
    assert_eq!(labels["com.docker.compose.oneoff"], "True");
    assert_eq!(labels["k"], "v");
    let slug = labels["com.docker.compose.slug"]
        .as_str()
        .unwrap_or_default();
    assert!(slug.starts_with(hexid) && slug.len() == 64, "{slug}");
    assert!(v["HostConfig"]["PortBindings"]
        .as_object()
        .map(|m| m.is_empty())
        .unwrap_or(true));
    assert_eq!(v["HostConfig"]["RestartPolicy"]["Name"], "");
    assert!(v["Config"]["Env"]
        .as_array()
        .map(|e| e.iter().any(|x| x == "X=1"))
        .unwrap_or(false));
    // -P publishes the service's ports; --no-deps; --entrypoint; -w.
    let r = p.berth(&["run", "-d", "-P", "--no-deps", "app"]);
    r.ok();
    let v = p.inspect(r.stdout.trim());
    assert!(v["HostConfig"]["PortBindings"]["80/tcp"].is_array(), "{v}");
    let r = p.berth(&[
        "run",
        "--rm",
        "-T",
        "--no-deps",
        "--entrypoint",
        "sh -c",
        "-w",
        "/etc",
        "app",
        "pwd",
    ]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "/etc\n"), "{}", r.stderr);
    // `down` removes the one-off containers too.
    p.berth(&["down", "-t", "0"]).ok();
    assert!(p.containers().is_empty(), "{:?}", p.containers());
}

#[test]
fn cp_round_trips_a_directory_with_modes() {
    let p = TestProject::new(
        "cp",
        r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    p.berth(&["exec", "web", "mkdir", "-p", "/tmp"]).ok();
    p.write("tree/a.txt", "alpha\n");
    p.write("tree/sub/b.sh", "#!/bin/sh\necho b\n");
    use std::os::unix::fs::PermissionsExt;
    let b = p.path().join("tree/sub/b.sh");
    std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    p.berth(&["cp", "tree", "web:/tmp/"]).ok();
    let r = p.berth(&[
        "exec",
        "-T",
        "web",
        "sh",
        "-c",
        "cat /tmp/tree/a.txt; /tmp/tree/sub/b.sh; stat -c %a /tmp/tree/sub/b.sh",
    ]);
    assert_eq!(r.stdout, "alpha\nb\n750\n", "{}", r.stderr);
    // Back, to a new name.
    p.berth(&["cp", "web:/tmp/tree", "back"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.path().join("back/a.txt")).unwrap_or_default(),
        "alpha\n"
    );
    let mode = std::fs::metadata(p.path().join("back/sub/b.sh"))
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    assert_eq!(mode, 0o750);
    // Into an existing directory, and a single file to a new name.
    std::fs::create_dir(p.path().join("into")).expect("mkdir");
    p.berth(&["cp", "web:/tmp/tree", "into"]).ok();
    assert!(p.path().join("into/tree/sub/b.sh").exists());
    p.berth(&["cp", "tree/a.txt", "web:/tmp/renamed.txt"]).ok();
    let r = p.berth(&["exec", "-T", "web", "cat", "/tmp/renamed.txt"]);
    assert_eq!(r.stdout, "alpha\n");
    let r = p.berth(&["cp", "web:/nonexistent", "x"]);
    assert_eq!(r.code, 1);
}

#[test]
fn port_top_images_events_stats_wait() {
    let p = TestProject::new(
        "misc",
        r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["httpd", "-f", "-p", "80"]
    ports: ["127.0.0.1::80"]
  job:
    image: $IMAGE
    command: ["sh", "-c", "sleep 2; exit 3"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    let r = p.berth(&["port", "web", "80"]);
    r.ok();
    assert!(r.stdout.starts_with("127.0.0.1:"), "{}", r.stdout);
    let r = p.berth(&["port", "web", "81"]);
    assert_eq!(r.code, 1);
    let r = p.berth(&["top", "web"]);
    assert!(
        r.stdout.contains(&p.container("web")) && r.stdout.contains("httpd"),
        "{}",
        r.stdout
    );
    let r = p.berth(&["images", "-q"]);
    assert!(r.stdout.trim().starts_with("sha256:"), "{}", r.stdout);
    let r = p.berth(&["images"]);
    r.stdout_has("berth-test/busybox");
    let r = p.berth(&["stats", "--no-stream", "web"]);
    assert!(
        r.stdout.starts_with("CONTAINER ID") && r.stdout.contains(&p.container("web")),
        "{}",
        r.stdout
    );
    // wait: the first container to stop gives the exit code.
    let r = p.berth(&["wait", "job"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // events --json: only this project's.
    let s = Session::start(&p, &["events", "--json"]);
    // Restarted until berth reports it: the subscription may take a moment on a busy engine.
    let other = TestProject::new("misc-other", "services: {}\n");
    let web = p.container("web");
    let mut last = Instant::now() - Duration::from_secs(10);
    let lines = s.collect_until(Duration::from_secs(30), |l| {
        if last.elapsed() > Duration::from_secs(3) {
            let _ = other.docker(&["restart", "-t", "0", &web]);
            last = Instant::now();
        }
        // Docker sends `restart` after `start`, Podman before it.
        l.iter().any(|x| x.contains("\"action\":\"restart\""))
            && l.iter().any(|x| x.contains("\"action\":\"start\""))
    });
    let first = lines.iter().find(|l| l.starts_with('{'));
    let v: serde_json::Value = serde_json::from_str(first.map(String::as_str).unwrap_or("null"))
        .unwrap_or(serde_json::Value::Null);
    assert_eq!(v["service"], "web", "{lines:?}");
    assert_eq!(v["type"], "container");
    assert!(lines.iter().any(|x| x.contains("\"action\":\"start\"")));
}

#[test]
fn run_builds_or_pulls_its_image_as_asked() {
    let p = TestProject::new(
        "runimg",
        r#"
services:
  app:
    build: ./app
    command: ["cat", "/version"]
  remote:
    image: 127.0.0.1:1/berth-nowhere/remote:1
  both:
    image: 127.0.0.1:1/berth-nowhere/both:1
    build: ./app
    command: ["cat", "/version"]
"#,
    );
    p.write("app/Dockerfile", "FROM $IMAGE\nCOPY version /version\n");
    p.write("app/version", "v1\n");
    let built = format!("{}-app", p.name);
    // A missing image with `build:` is built before the one-off container runs.
    let r = p.berth(&["run", "--rm", "-T", "app"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "v1\n"), "{}", r.stderr);
    // The context changes: without --build the image stays, with --build it is rebuilt.
    p.write("app/version", "v2\n");
    let r = p.berth(&["run", "--rm", "-T", "app"]);
    assert_eq!(r.stdout, "v1\n", "{}", r.stderr);
    let r = p.berth(&["run", "--build", "--rm", "-T", "app"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "v2\n"), "{}", r.stderr);
    // --pull: offline, a pull fails with Compose's pull exit code and says what to do.
    let r = p.berth(&["run", "--rm", "-T", "--pull", "always", "remote", "true"]);
    assert_eq!(r.code, 18, "{}", r.stderr);
    r.stderr_has("cannot pull 127.0.0.1:1/berth-nowhere/remote:1")
        .stderr_has("bundle load");
    let r = p.berth(&["run", "--rm", "-T", "remote", "true"]);
    assert_eq!(r.code, 18, "{}", r.stderr);
    let r = p.berth(&["run", "--rm", "-T", "--pull", "never", "remote", "true"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has("--pull never");
    let r = p.berth(&["run", "--rm", "-T", "--pull", "sometimes", "remote", "true"]);
    assert_eq!(r.code, 16, "{}", r.stderr);
    // A service with both: a failed pull falls back to building it.
    let r = p.berth(&["run", "--rm", "-T", "--pull", "always", "both"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "v2\n"), "{}", r.stderr);
    r.stderr_has("building it instead");
    assert!(p.containers().is_empty(), "{:?}", p.containers());
    for image in [built.as_str(), "127.0.0.1:1/berth-nowhere/both:1"] {
        let _ = p.docker(&["rmi", "-f", image]);
    }
}

/// The options of the loop's commands that the tests above do not exercise, each checked for
/// what a user sees.
#[test]
fn loop_command_options() {
    let p = TestProject::new(
        "opts",
        r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "echo I am $$(hostname); i=0; while [ $$i -lt 200 ]; do echo line $$i; i=$$((i+1)); done; exec sleep 3600"]
    ports: ["127.0.0.1::53/udp", "127.0.0.1::80"]
    scale: 2
  stopper:
    image: $IMAGE
    command: ["sh", "-c", "sleep 2; exit 4"]
"#,
    );
    p.berth(&["up", "-d"]).ok();
    let id = |n: u32| {
        p.inspect(&format!("{}-web-{n}", p.name))["Id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (id1, id2) = (id(1), id(2));
    // logs --index: one replica; --tail; a closed pipe ends quietly.
    std::thread::sleep(Duration::from_millis(500));
    let r = p.berth(&[
        "logs",
        "--index",
        "2",
        "--no-log-prefix",
        "--tail",
        "1",
        "web",
    ]);
    assert_eq!(r.stdout, "line 199\n", "{}", r.stderr);
    let r = p.berth(&["logs", "--index", "2", "--no-log-prefix", "web"]);
    assert!(
        r.stdout.starts_with(&format!("I am {}", &id2[..12])),
        "{}",
        r.stdout
    );
    let mut child = p.spawn(&["logs", "web"], Stdio::inherit());
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    out.read_line(&mut first).expect("read");
    drop(out); // `berth logs | head -1`
    let o = child.wait_with_output().expect("berth");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // exec --index, --privileged (every capability).
    let r = p.berth(&["exec", "--index", "2", "web", "hostname"]);
    assert_eq!(r.stdout.trim(), &id2[..12]);
    let r = p.berth(&["exec", "web", "hostname"]);
    assert_eq!(r.stdout.trim(), &id1[..12]);
    // --privileged reaches the engine: berth answers as the engine's own CLI does (every
    // capability; or, where the engine may not grant them, as in an unprivileged sandbox,
    // the same refusal and exit code 126).
    let cmd = ["sh", "-c", "grep CapEff /proc/self/status"];
    let mut a = vec!["exec", "--privileged", "web"];
    a.extend_from_slice(&cmd);
    let r = p.berth(&a);
    let mut d = vec!["exec", "--privileged", &id1];
    d.extend_from_slice(&cmd);
    let reference = p.docker(&d);
    assert_eq!(
        r.code, reference.code,
        "{} / {}",
        r.stderr, reference.stderr
    );
    if reference.code == 0 {
        assert_eq!(r.stdout, reference.stdout);
        let plain = p.berth(&["exec", "web", "sh", "-c", "grep CapEff /proc/self/status"]);
        assert_ne!(r.stdout, plain.stdout, "--privileged changed nothing");
    } else {
        assert!(
            r.stdout.contains("unable to apply caps") || r.stderr.contains("unable to apply caps"),
            "{} {}",
            r.stdout,
            r.stderr
        );
    }
    // port --protocol, --index.
    let r = p.berth(&["port", "--protocol", "udp", "--index", "2", "web", "53"]);
    let want = p.inspect(&format!("{}-web-2", p.name))["NetworkSettings"]["Ports"]["53/udp"][0]
        ["HostPort"]
        .clone();
    assert_eq!(
        r.stdout.trim(),
        format!("127.0.0.1:{}", want.as_str().unwrap_or("?"))
    );
    // images --format json.
    let r = p.berth(&["images", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    let names: Vec<&str> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["ContainerName"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.contains(&format!("{}-web-2", p.name).as_str()),
        "{}",
        r.stdout
    );
    // Podman names it `localhost/berth-test/busybox`.
    assert!(
        v[0]["Repository"]
            .as_str()
            .is_some_and(|r| r.ends_with("berth-test/busybox")),
        "{}",
        r.stdout
    );
    // version --short, --format json.
    let r = p.berth(&["version", "--short"]);
    assert_eq!(r.stdout.trim(), env!("CARGO_PKG_VERSION"));
    let r = p.berth(&["version", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"), "{}", r.stdout);
    // run --name, -v, -u, --cap-add, --cap-drop, -p, --use-aliases.
    p.write("data/in.txt", "from the host\n");
    let r = p.berth(&[
        "run",
        "-d",
        "--name",
        &format!("{}-custom", p.name),
        "-v",
        "./data:/mnt",
        "-u",
        "1234",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "CHOWN",
        "-p",
        "127.0.0.1::8080",
        "--use-aliases",
        "--no-deps",
        "web",
        "sleep",
        "60",
    ]);
    r.ok();
    let custom = format!("{}-custom", p.name);
    let v = p.inspect(&custom);
    assert_eq!(v["Config"]["User"], "1234");
    assert!(v["HostConfig"]["CapAdd"].as_array().is_some_and(|a| a
        .iter()
        .any(|c| c.as_str().unwrap_or_default().contains("NET_ADMIN"))));
    assert!(v["HostConfig"]["CapDrop"].as_array().is_some_and(|a| a
        .iter()
        .any(|c| c.as_str().unwrap_or_default().contains("CHOWN"))));
    assert_eq!(
        v["HostConfig"]["PortBindings"]["8080/tcp"][0]["HostIp"], "127.0.0.1",
        "{}",
        v["HostConfig"]
    );
    let aliases =
        v["NetworkSettings"]["Networks"][format!("{}_default", p.name)]["Aliases"].clone();
    assert!(
        aliases
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "web")),
        "{aliases}"
    );
    let r = p.docker(&["exec", &custom, "cat", "/mnt/in.txt"]);
    assert_eq!(r.stdout, "from the host\n");
    // A single file out of the container to a new name (it once failed: `back.txt/`).
    p.berth(&[
        "exec",
        "web",
        "sh",
        "-c",
        "echo out > /out.txt; chown 777:778 /out.txt",
    ])
    .ok();
    p.berth(&["cp", "web:/out.txt", "back.txt"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.path().join("back.txt")).unwrap_or_default(),
        "out\n"
    );
    // Ownership into the container is the engine's, as with Compose v2 (the reference, on
    // the same engine): without -a the archive's owner (the host's), with -a the container
    // user's where the engine applies it (Podman: root; Docker 20.10: unchanged for a
    // container without `user`). Out of the container, -a keeps the container's owner
    // (docker cp -a does not: berth does what the flag says).
    use std::os::unix::fs::chown;
    let owned = p.path().join("owned.txt");
    std::fs::write(&owned, "x").expect("write");
    chown(&owned, Some(4321), Some(4322)).expect("chown (the tests run as root)");
    let owner = |path: &str| {
        p.berth(&["exec", "web", "stat", "-c", "%u:%g", path])
            .stdout
            .trim()
            .to_string()
    };
    for (flags, name) in [(vec![], "plain"), (vec!["-a"], "kept")] {
        // The same copy by berth and by Compose v2, each to its own file.
        let (ours, theirs) = (format!("web:/{name}.txt"), format!("web:/{name}-v2.txt"));
        p.berth(&[&["cp"][..], &flags, &["owned.txt", &ours]].concat())
            .ok();
        p.compose_v2(&[&["cp"][..], &flags, &["owned.txt", &theirs]].concat())
            .ok();
        let (o, t) = (
            owner(&format!("/{name}.txt")),
            owner(&format!("/{name}-v2.txt")),
        );
        assert_eq!(o, t, "cp {flags:?}: berth {o}, Compose v2 {t}");
    }
    assert_eq!(owner("/plain.txt"), "4321:4322");
    p.berth(&["cp", "-a", "web:/out.txt", "kept-out.txt"]).ok();
    let meta = std::fs::metadata(p.path().join("kept-out.txt")).expect("copied");
    use std::os::unix::fs::MetadataExt;
    // Podman's archive API hands every entry to root: -a keeps what the archive says.
    let want = if common::is_podman() {
        (0, 0)
    } else {
        (777, 778)
    };
    assert_eq!((meta.uid(), meta.gid()), want);
    // wait --down-project: the first container to stop ends the wait and the project.
    let r = p.berth(&["wait", "--down-project", "stopper", "web"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let left = p.containers();
    assert!(
        !left
            .iter()
            .any(|c| c.ends_with("-web-1") || c.ends_with("-stopper-1")),
        "{left:?}"
    );
}
