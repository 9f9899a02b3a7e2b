//! `up`, `down`, `ps` on the real engine: start order gated on health, failure of an unhealthy
//! dependency, idempotence, minimal recreation, scaling, orphans, interrupt and resume,
//! safety, and interchangeability with Compose v2 in both directions.

mod common;

use std::time::{Duration, Instant};

use common::session::Session;
use common::TestProject;

fn started_at(p: &TestProject, c: &str) -> String {
    p.inspect(c)["State"]["StartedAt"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// When a container did `action` (`start`, `die`, `health_status: healthy`), in nanoseconds,
/// on the engine's clock. Start and die: from its state. Healthy: on Docker from the engine's
/// event log (a container's health log keeps only its last 5 probes, so it cannot say when it
/// first turned healthy); Podman's events say `health_status` without the status, so there
/// the time is the end of the first passing probe in the health log (berth runs the probes,
/// and stops once healthy, so that probe is among the last five).
fn event_ns(p: &TestProject, since: u64, c: &str, action: &str) -> u128 {
    let until = now_secs() + 1;
    if action == "start" || action == "die" {
        // Each of these containers started once and a one-shot ended once: their state's
        // times say when, from the engine's clock. (The engines' replay of past events is not
        // relied on: Docker keeps only its last 256, which a concurrent test's healthchecks
        // can push out; Podman 4.3's sometimes returns nothing, seen in CI.)
        let state = p.inspect(c)["State"].clone();
        let key = if action == "start" {
            "StartedAt"
        } else {
            "FinishedAt"
        };
        return rfc3339_ns(
            state[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key} for {c}: {state}")),
        );
    }
    if common::is_podman() {
        let log = p.inspect(c)["State"]["Health"]["Log"].clone();
        let end = log
            .as_array()
            .and_then(|l| l.iter().find(|e| e["ExitCode"] == 0))
            .and_then(|e| e["End"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no passing probe for {c}: {log}"));
        return rfc3339_ns(&end);
    }
    let out = p.docker(&[
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &until.to_string(),
        "--filter",
        &format!("container={c}"),
        "--format",
        "{{.TimeNano}} {{.Action}}",
    ]);
    out.stdout
        .lines()
        .filter_map(|l| l.split_once(' '))
        .find(|(_, a)| a.trim() == action)
        .and_then(|(t, _)| t.parse().ok())
        .unwrap_or_else(|| panic!("no {action} event for {c}: {}", out.stdout))
}

/// `2026-11-25T04:25:21.7427665Z` in nanoseconds since the epoch (berth's own parser).
fn rfc3339_ns(t: &str) -> u128 {
    berth_engine::clock::parse_unix_nanos(t).unwrap_or_else(|| panic!("not RFC 3339: {t:?}"))
        as u128
}

#[test]
fn rfc3339_is_read_to_the_nanosecond() {
    assert_eq!(rfc3339_ns("1970-01-01T00:00:01.5Z"), 1_500_000_000);
    assert_eq!(
        rfc3339_ns("2026-11-25T04:25:21.7427665Z"),
        1_795_580_721_742_766_500
    );
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

const THREE_TIER: &str = r#"
services:
  db:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "sleep 1; touch /ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 500ms
      retries: 20
  migrate:
    image: $IMAGE
    command: ["sh", "-c", "sleep 1; echo migrated"]
    depends_on:
      db: {condition: service_healthy}
  api:
    image: $IMAGE
    init: true
    command: ["httpd", "-f", "-p", "8000"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8000/etc/hostname"]
      interval: 500ms
      retries: 20
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  web:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
    depends_on:
      api: {condition: service_healthy}
"#;

#[test]
fn health_gated_three_tier_with_one_shot_migration_starts_in_order() {
    let p = TestProject::new("tier", THREE_TIER);
    let t0 = now_secs() - 1;
    p.berth(&["up", "-d", "--wait"]).ok();
    let ev = |c: &str, a: &str| event_ns(&p, t0, &p.container(c), a);
    let db_healthy = ev("db", "health_status: healthy");
    let migrate = p.inspect(&p.container("migrate"));
    assert_eq!(migrate["State"]["ExitCode"].as_i64(), Some(0));
    let migrate_start = ev("migrate", "start");
    let migrate_end = ev("migrate", "die");
    let api_start = ev("api", "start");
    let api_healthy = ev("api", "health_status: healthy");
    let web_start = ev("web", "start");
    assert!(
        db_healthy < migrate_start,
        "migrate started ({migrate_start}) before db was healthy ({db_healthy})"
    );
    assert!(
        migrate_end < api_start,
        "api started ({api_start}) before migrate finished ({migrate_end})"
    );
    assert!(
        api_healthy < web_start,
        "web started ({web_start}) before api was healthy ({api_healthy})"
    );
    // Compose v2 labels and names.
    let labels = p.inspect(&p.container("api"))["Config"]["Labels"].clone();
    assert_eq!(labels["com.docker.compose.project"], p.name.as_str());
    assert_eq!(labels["com.docker.compose.service"], "api");
    assert_eq!(labels["com.docker.compose.container-number"], "1");
    assert_eq!(labels["com.docker.compose.oneoff"], "False");
    assert!(labels["com.docker.compose.depends_on"]
        .as_str()
        .unwrap_or_default()
        .contains("migrate:service_completed_successfully:false"));
    let nets = p.inspect(&p.container("api"))["NetworkSettings"]["Networks"].clone();
    let aliases = nets[format!("{}_default", p.name)]["Aliases"].clone();
    assert!(
        aliases
            .as_array()
            .map(|a| a.iter().any(|x| x == "api"))
            .unwrap_or(false),
        "{aliases}"
    );
    // A second up changes nothing: same containers, same start times, the migration not re-run.
    let starts = || -> Vec<(String, String)> {
        p.containers()
            .iter()
            .map(|c| (c.clone(), started_at(&p, c)))
            .collect()
    };
    let before = starts();
    p.berth(&["up", "-d"]).ok();
    let after = starts();
    assert_eq!(before, after, "a second up -d must change nothing");
    p.berth(&["down"]).ok();
    assert!(p.containers().is_empty());
}

#[test]
fn an_unhealthy_dependency_fails_fast_and_its_dependents_never_start() {
    let p = TestProject::new(
        "unhealthy",
        r#"
services:
  db:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 300ms
      retries: 2
  api:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
    depends_on:
      db: {condition: service_healthy}
"#,
    );
    let t = Instant::now();
    let r = p.berth(&["up", "-d"]);
    assert_ne!(r.code, 0);
    r.stderr_has(&format!("container {}-db-1 is unhealthy", p.name));
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "took {:?}",
        t.elapsed()
    );
    // Containers are created up front (as Compose does); api must never have started.
    let api = p.inspect(&p.container("api"));
    assert!(
        api.is_null() || api["State"]["Status"] == "created",
        "api must never start: {}",
        api["State"]
    );
}

#[test]
fn only_the_changed_service_is_recreated_and_scaling_keeps_numbers() {
    let p = TestProject::new("recreate", "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  b:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment: {V: '1'}\n");
    p.berth(&["up", "-d"]).ok();
    let a1 = p.inspect(&p.container("a"))["Id"].clone();
    let b1 = p.inspect(&p.container("b"))["Id"].clone();
    p.write("compose.yaml", "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  b:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment: {V: '2'}\n");
    let r = p.berth(&["up", "-d", "--progress", "plain"]);
    r.ok();
    assert!(
        r.stderr.contains("configuration changed"),
        "the reason is shown: {}",
        r.stderr
    );
    assert_eq!(p.inspect(&p.container("a"))["Id"], a1, "a is unchanged");
    assert_ne!(p.inspect(&p.container("b"))["Id"], b1, "b is recreated");
    let env = p.inspect(&p.container("b"))["Config"]["Env"].clone();
    assert!(env
        .as_array()
        .map(|e| e.iter().any(|x| x == "V=2"))
        .unwrap_or(false));
    // Scale to 3 and back.
    let named = |suffixes: &[&str]| -> Vec<String> {
        suffixes.iter().map(|s| format!("{}-{s}", p.name)).collect()
    };
    p.berth(&["up", "-d", "--scale", "a=3"]).ok();
    assert_eq!(p.containers(), named(&["a-1", "a-2", "a-3", "b-1"]));
    p.berth(&["up", "-d"]).ok();
    assert_eq!(p.containers(), named(&["a-1", "b-1"]));
    assert_eq!(
        p.inspect(&p.container("a"))["Id"],
        a1,
        "scaling down keeps the first container"
    );
    // --force-recreate recreates, --no-recreate leaves a changed service alone.
    p.berth(&["up", "-d", "--force-recreate", "a"]).ok();
    assert_ne!(p.inspect(&p.container("a"))["Id"], a1);
    let b2 = p.inspect(&p.container("b"))["Id"].clone();
    p.write("compose.yaml", "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  b:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    environment: {V: '3'}\n");
    p.berth(&["up", "-d", "--no-recreate"]).ok();
    assert_eq!(p.inspect(&p.container("b"))["Id"], b2);
}

#[test]
fn orphans_are_named_and_removed_on_request() {
    let p = TestProject::new("orphans", "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  old:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n");
    p.berth(&["up", "-d"]).ok();
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    let r = p.berth(&["up", "-d"]);
    r.ok();
    assert!(
        r.stderr
            .contains(&format!("Found orphan containers ([{}-old-1])", p.name)),
        "{}",
        r.stderr
    );
    assert_eq!(p.containers().len(), 2);
    p.berth(&["up", "-d", "--remove-orphans"]).ok();
    assert_eq!(p.containers(), vec![p.container("a")]);
}

/// Docker-only: Compose v2 is the reference oracle on Docker; `BERTH_TEST_ENGINE=podman`
/// runs exclude it (see docs/podman.md for the command).
#[test]
fn interchangeable_with_compose_v2_both_ways() {
    let p = TestProject::new("compat", "services:\n  web:\n    image: $IMAGE\n    init: true\n    command: [httpd, -f, -p, '80']\n    ports: ['127.0.0.1::80']\n  worker:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    depends_on: [web]\nvolumes:\n  data: {}\n");
    // berth up, Compose v2 sees and removes it.
    p.berth(&["up", "-d"]).ok();
    let ps = p.compose_v2(&["ps", "--format", "{{.Name}}"]);
    ps.ok();
    let mut names: Vec<&str> = ps.stdout.lines().collect();
    names.sort();
    assert_eq!(names, vec![p.container("web"), p.container("worker")]);
    p.compose_v2(&["down"]).ok();
    assert!(p.containers().is_empty());
    // Compose v2 up, berth sees and removes it, from the project name alone.
    p.compose_v2(&["up", "-d"]).ok();
    let ps = p.berth(&["ps", "--services"]);
    assert_eq!(ps.stdout.trim(), "web\nworker");
    let elsewhere = tempfile::tempdir().unwrap();
    common::run_ok(
        p.command(&["down"]).current_dir(elsewhere.path()),
        "berth down elsewhere",
    );
    assert!(p.containers().is_empty());
    let nets = p.networks();
    assert!(nets.is_empty(), "the project network is removed");
}

#[test]
fn an_invalid_file_changes_nothing_and_down_touches_only_this_project() {
    let p = TestProject::new(
        "safety",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    let other = TestProject::new(
        "bystander",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    p.berth(&["up", "-d"]).ok();
    other.berth(&["up", "-d"]).ok();
    let id = p.inspect(&p.container("a"))["Id"].clone();
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    ports: ['80:80:80:80']\n",
    );
    let r = p.berth(&["up", "-d"]);
    assert_eq!(r.code, 15, "{}", r.stderr);
    let r = p.berth(&["down"]);
    assert_eq!(
        r.code, 15,
        "an invalid file stops down too, before it touches anything: {}",
        r.stderr
    );
    assert_eq!(p.inspect(&p.container("a"))["Id"], id);
    assert_eq!(p.inspect(&p.container("a"))["State"]["Running"], true);
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    p.berth(&["down", "-v"]).ok();
    assert!(p.containers().is_empty());
    assert_eq!(
        other.containers().len(),
        1,
        "the other project is untouched"
    );
}

#[test]
fn down_v_removes_project_volumes_but_never_external_ones() {
    let p = TestProject::new("volumes", "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    volumes: [data:/data, ext:/ext, /anon]\nvolumes:\n  data: {}\n  ext:\n    external: true\n    name: EXTNAME\n");
    let ext = format!("{}-ext", p.name);
    p.write(
        "compose.yaml",
        &std::fs::read_to_string(p.path().join("compose.yaml"))
            .unwrap()
            .replace("EXTNAME", &ext),
    );
    let r = p.berth(&["up", "-d"]);
    assert_ne!(r.code, 0, "a missing external volume is an error");
    r.stderr_has(&format!("external volume \"{ext}\" not found"));
    p.docker(&["volume", "create", &ext]).ok();
    p.berth(&["up", "-d"]).ok();
    let vol = p.docker(&["volume", "inspect", &format!("{}_data", p.name)]);
    vol.ok();
    vol.stdout_has("\"com.docker.compose.volume\": \"data\"");
    p.berth(&["down", "-v"]).ok();
    assert_ne!(
        p.docker(&["volume", "inspect", &format!("{}_data", p.name)])
            .code,
        0,
        "named volume removed"
    );
    p.docker(&["volume", "inspect", &ext]).ok();
    p.docker(&["volume", "rm", &ext]).ok();
}

#[test]
fn interrupted_up_is_resumed_by_the_next_up() {
    let mut chain = String::from("services:\n");
    for i in 0..4 {
        chain.push_str(&format!(
            "  s{i}:\n    image: $IMAGE\n    init: true\n    command: [sh, -c, 'sleep 1; touch /ok; exec sleep 3600']\n    healthcheck: {{test: [CMD, test, -f, /ok], interval: 500ms, retries: 20}}\n"
        ));
        if i > 0 {
            chain.push_str(&format!(
                "    depends_on: {{s{}: {{condition: service_healthy}}}}\n",
                i - 1
            ));
        }
    }
    let p = TestProject::new("interrupt", &chain);
    let mut child = p
        .command(&["up", "-d"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the interrupted up reports failure");
    let running = p
        .containers()
        .iter()
        .filter(|c| p.inspect(c)["State"]["Running"] == true)
        .count();
    assert!(
        running < 4,
        "interrupted before the end ({running} running)"
    );
    p.berth(&["up", "-d", "--wait"]).ok();
    assert_eq!(p.containers().len(), 4);
    for i in 0..4 {
        let h = p.inspect(&p.container(&format!("s{i}")))["State"]["Health"]["Status"].clone();
        assert_eq!(h, "healthy");
    }
}

#[test]
fn no_engine_is_one_clear_line() {
    let out = common::berth_command()
        .args(["-p", "x", "ps"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/docker.sock"), "{err}");
    assert!(err.contains("hint"), "{err}");
}

#[test]
fn wait_counts_a_one_shot_that_exited_zero_as_done() {
    let p = TestProject::new("oneshot", "services:\n  once:\n    image: $IMAGE\n    command: [sh, -c, 'echo done']\n  svc:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n");
    let r = p.berth(&["up", "-d", "--wait"]);
    assert_eq!(
        r.code, 0,
        "Compose v2 fails here (docker/compose#10596); berth does not: {}",
        r.stderr
    );
    let p2 = TestProject::new(
        "oneshotfail",
        "services:\n  once:\n    image: $IMAGE\n    command: [sh, -c, 'exit 3']\n",
    );
    let r = p2.berth(&["up", "-d", "--wait"]);
    assert_ne!(r.code, 0);
    r.stderr_has("exited (3)");
}

#[test]
fn attached_up_streams_prefixed_logs_and_returns_the_chosen_exit_code() {
    let p = TestProject::new(
        "attached",
        "services:\n  a:\n    image: $IMAGE\n    command: [sh, -c, 'echo hello from a; sleep 1']\n  b:\n    image: $IMAGE\n    command: [sh, -c, 'echo hello from b; exit 3']\n  c:\n    image: $IMAGE\n    init: true\n    command: [sh, -c, 'echo c up; sleep 3600']\n",
    );
    // Compose v2's names in the prefix (`b-1 | `), and its line when attaching.
    let r = p.berth(&["up", "--exit-code-from", "b", "a", "b"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    r.stdout_has("b-1  | hello from b");
    assert!(
        r.stdout.starts_with("Attaching to a-1, b-1\n"),
        "{}",
        r.stdout
    );
    let r = p.berth(&["up", "a", "b"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout_has("a-1  | hello from a");
    r.stdout_has("b-1 exited with code 3");
    r.stdout_has("a-1 exited with code 0");
    // The exit is printed after the container's last line.
    // Once: b had exited before the logs were followed; its exit comes from its state, and
    // the engine's replayed `die` is not shown again.
    assert_eq!(
        r.stdout.matches("b-1 exited with code 3").count(),
        1,
        "{}",
        r.stdout
    );
    let b_line = r.stdout.find("b-1  | hello from b").unwrap_or(usize::MAX);
    let b_exit = r.stdout.find("b-1 exited with code 3").unwrap_or(0);
    assert!(b_line < b_exit, "{}", r.stdout);
    // --exit-code-from a service that the abort stops: that container's code (SIGTERM: 143).
    let r = p.berth(&["up", "-t", "2", "--exit-code-from", "c", "b", "c"]);
    assert_eq!(r.code, 143, "{}{}", r.stdout, r.stderr);
    r.stderr_has("Aborting on container exit");
    // --abort-on-container-exit: the code of the container that exited.
    let r = p.berth(&["up", "-t", "2", "--abort-on-container-exit", "b", "c"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(p.inspect(&p.container("c"))["State"]["Running"], false);
}

/// The abort stops every container of the stack, dependents first, as Compose v2 shows it;
/// one that its restart policy would start again is stopped too (it went on restarting after
/// `up` had ended).
#[test]
fn an_abort_stops_the_stack_in_order_restarting_containers_included() {
    let p = TestProject::new(
        "abortall",
        r#"
services:
  retry:
    image: $IMAGE
    restart: always
    command: [sh, -c, 'echo try; sleep 1; exit 1']
  db:
    image: $IMAGE
    init: true
    command: [sleep, "3600"]
  app:
    image: $IMAGE
    init: true
    depends_on: [db]
    command: [sleep, "3600"]
"#,
    );
    let r = p.berth(&["up", "-t", "2", "--abort-on-container-exit"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let at = |line: &str| {
        let l = format!(" Container {}-{line}", p.name);
        r.stderr
            .find(&l)
            .unwrap_or_else(|| panic!("no {l:?} in:\n{}", r.stderr))
    };
    let abort = r
        .stderr
        .find("Aborting on container exit...")
        .expect("abort note");
    assert!(abort < at("retry-1  Stopping"), "{}", r.stderr);
    at("retry-1  Stopped");
    assert!(at("app-1  Stopped") < at("db-1  Stopping"), "{}", r.stderr);
    at("db-1  Stopped");
    std::thread::sleep(Duration::from_secs(3));
    for c in ["retry", "app", "db"] {
        let state = p.inspect(&p.container(c));
        assert_eq!(
            state["State"]["Status"], "exited",
            "{c}: {}",
            state["State"]
        );
    }
}

/// The kernel's OOM killer ending a child process is not the container's exit: attached `up`
/// neither prints an exit nor aborts on it.
#[test]
fn an_oom_killed_child_is_not_an_exit() {
    let p = TestProject::new(
        "oom",
        r#"
services:
  hog:
    image: $IMAGE
    mem_limit: 16m
    memswap_limit: 16m
    command: ["sh", "-c", "tail /dev/zero; echo survived $$?; sleep 1"]
"#,
    );
    let r = p.berth(&["up", "--exit-code-from", "hog"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout_has("hog-1  | survived 137");
    assert_eq!(
        r.stdout.matches("exited with code").count(),
        1,
        "{}",
        r.stdout
    );
    r.stdout_has("hog-1 exited with code 0");
}

#[test]
fn attached_up_follows_restarts_and_stops_the_stack_on_ctrl_c() {
    let p = TestProject::new(
        "attrestart",
        r#"
services:
  flaky:
    image: $IMAGE
    restart: on-failure:2
    command: ["sh", "-c", "echo flaky ran; exit 1"]
  web:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "echo web up; exec sleep 3600"]
"#,
    );
    // Both runs of flaky's restart policy are followed (Compose v2 shows only the first:
    // docker/compose#8925), then the stack runs on until Ctrl-C.
    let mut s = Session::start(&p, &["up"]);
    let runs = |lines: &[String]| lines.iter().filter(|l| l.contains("flaky ran")).count();
    let exits = |lines: &[String]| {
        lines
            .iter()
            .filter(|l| *l == "flaky-1 exited with code 1")
            .count()
    };
    let lines = s.collect_until(Duration::from_secs(30), |l| runs(l) >= 3 && exits(l) >= 3);
    assert_eq!((runs(&lines), exits(&lines)), (3, 3), "{lines:?}");
    // Prefixes aligned to the longest name.
    assert!(lines.iter().any(|l| l == "web-1    | web up"), "{lines:?}");
    assert!(
        lines.iter().any(|l| l == "flaky-1  | flaky ran"),
        "{lines:?}"
    );
    assert_eq!(s.stop(), 130, "{}", s.output());
    assert_eq!(p.inspect(&p.container("web"))["State"]["Running"], false);
    // The stop is shown, as Compose v2 shows it.
    let out = s.output();
    let graceful = out.find("Gracefully stopping...").expect("the Ctrl-C note");
    let stopped = out
        .find(&format!(" Container {}-web-1  Stopped", p.name))
        .unwrap_or_else(|| panic!("no Stopped line:\n{out}"));
    assert!(graceful < stopped, "{out}");
}

#[test]
fn dry_run_changes_nothing() {
    let p = TestProject::new(
        "dryrun",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    let r = p.berth(&["--dry-run", "up", "-d", "--progress", "plain"]);
    r.ok();
    assert!(p.containers().is_empty(), "dry-run up creates nothing");
    r.stderr_has("Create");
    p.berth(&["up", "-d"]).ok();
    let r = p.berth(&["--dry-run", "down", "-v", "--progress", "plain"]);
    r.ok();
    r.stderr_has("Would stop and remove");
    assert_eq!(p.containers().len(), 1, "dry-run down removes nothing");
    let r = p.berth(&["--dry-run", "stop", "--progress", "plain"]);
    r.ok();
    assert_eq!(p.inspect(&p.container("a"))["State"]["Running"], true);
}

#[test]
fn restart_propagates_to_dependents_with_restart_true() {
    let p = TestProject::new(
        "restart",
        "services:\n  db:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  api:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    depends_on:\n      db: {condition: service_started, restart: true}\n  other:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    depends_on: [db]\n",
    );
    p.berth(&["up", "-d"]).ok();
    let started = |s: &str| p.inspect(&p.container(s))["State"]["StartedAt"].clone();
    let (db, api, other) = (started("db"), started("api"), started("other"));
    p.berth(&["restart", "db"]).ok();
    assert_ne!(started("db"), db);
    assert_ne!(started("api"), api, "api depends on db with restart: true");
    assert_eq!(
        started("other"),
        other,
        "other does not ask to be restarted"
    );
}

#[test]
fn docker_host_over_tcp() {
    // socat exposes the engine's socket on loopback TCP for the length of the test.
    let port = 23750 + (std::process::id() % 1000) as u16;
    let mut proxy = std::process::Command::new("socat")
        .args([
            &format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"),
            &format!("UNIX-CONNECT:{}", common::socket()),
        ])
        .spawn()
        .expect("socat (scripts/test.sh installs it)");
    std::thread::sleep(Duration::from_millis(300));
    let p = TestProject::new(
        "tcp",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    let out = p
        .command(&["up", "-d", "--progress", "quiet"])
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(p.containers(), vec![p.container("a")]);
}

#[test]
fn scale_converges_like_compose_v2_scale() {
    let compose = "services:\n  web:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    depends_on: [db]\n  db:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n";
    let p = TestProject::new("scale", compose);
    let named = |suffixes: &[&str]| -> Vec<String> {
        suffixes.iter().map(|s| format!("{}-{s}", p.name)).collect()
    };
    // Up from nothing: the dependency too, as v2's `scale` does without --no-deps.
    let r = p.berth(&["--progress", "plain", "scale", "web=3"]);
    r.ok()
        .stderr_has(&format!("Container {}-web-3  Started", p.name));
    assert_eq!(p.containers(), named(&["db-1", "web-1", "web-2", "web-3"]));
    for n in 1..=3 {
        let c = p.inspect(&format!("{}-web-{n}", p.name));
        let labels = &c["Config"]["Labels"];
        assert_eq!(labels["com.docker.compose.service"], "web");
        assert_eq!(labels["com.docker.compose.project"], p.name.as_str());
        assert_eq!(labels["com.docker.compose.container-number"], n.to_string());
        assert_eq!(c["State"]["Running"], true, "web-{n} runs");
    }
    let first = p.inspect(&p.container("web"))["Id"].clone();
    // Down to one: the highest numbers go, each stopped then removed; web-1 is kept.
    let r = p.berth(&["--progress", "plain", "scale", "web=1"]);
    r.ok();
    for n in [2, 3] {
        let c = format!("Container {}-web-{n}  ", p.name);
        let at = |what: &str| {
            r.stderr
                .find(&format!("{c}{what}"))
                .unwrap_or_else(|| panic!("{c}{what}: {}", r.stderr))
        };
        assert!(at("Stopping") < at("Stopped"), "{}", r.stderr);
        assert!(at("Stopped") < at("Removing"), "{}", r.stderr);
        assert!(at("Removing") < at("Removed"), "{}", r.stderr);
    }
    assert_eq!(p.containers(), named(&["db-1", "web-1"]));
    assert_eq!(p.inspect(&p.container("web"))["Id"], first, "web-1 is kept");
    // A mistake changes nothing.
    p.berth(&["scale", "nosuch=2"])
        .stderr_has("no such service: nosuch");
    let r = p.berth(&["scale", "web"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    r.stderr_has("invalid scale specifier: web");
    assert_eq!(p.containers(), named(&["db-1", "web-1"]));

    // --no-deps leaves the dependency alone, on a fresh project as v2 does.
    let q = TestProject::new("scale-nodeps", compose);
    q.berth(&["scale", "--no-deps", "web=2"]).ok();
    assert_eq!(
        q.containers(),
        vec![format!("{}-web-1", q.name), format!("{}-web-2", q.name)]
    );
}

#[test]
fn down_v_keeps_what_the_file_now_declares_external() {
    let p = TestProject::new(
        "handover",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    volumes: [keep:/data]\n    networks: [shared]\nvolumes:\n  keep: {}\nnetworks:\n  shared: {}\n",
    );
    p.berth(&["up", "-d"]).ok();
    let volume = format!("{}_keep", p.name);
    let network = format!("{}_shared", p.name);
    // The data now belongs to someone else: the file declares both external.
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    volumes: [keep:/data]\n    networks: [shared]\nvolumes:\n  keep:\n    external: true\n    name: $VOLUME\nnetworks:\n  shared:\n    external: true\n    name: $NETWORK\n"
            .replace("$VOLUME", &volume)
            .replace("$NETWORK", &network)
            .as_str(),
    );
    // Whether the project's volume and network still exist.
    let exist = || {
        (
            p.docker(&["volume", "inspect", &volume]).code == 0,
            p.docker(&["network", "inspect", &network]).code == 0,
        )
    };
    let dry = p.berth(&["--dry-run", "down", "-v"]);
    dry.ok();
    assert!(!dry.stderr.contains(&volume), "{}", dry.stderr);
    p.berth(&["down", "-v"]).ok();
    assert!(p.containers().is_empty());
    assert_eq!(exist(), (true, true), "{volume} and {network} kept");
    // Declared external by key alone (so under another name): the project's network is kept
    // by its key; a volume the file does not declare as its own is never removed.
    p.write(
        "compose.yaml",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    volumes: [keep:/data]\n    networks: [shared]\nvolumes:\n  keep:\n    external: true\nnetworks:\n  shared:\n    external: true\n",
    );
    p.berth(&["down", "-v"]).ok();
    assert_eq!(exist(), (true, true));
    // Without the file's word for it, the labels decide: `down -v` of the project by name.
    let r = common::berth_command()
        .args(["-p", &p.name, "down", "-v"])
        .current_dir("/")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(exist(), (false, false), "removed by label");
}

#[test]
fn a_secret_that_cannot_be_read_stops_up_before_anything_changes() {
    let p = TestProject::new(
        "secret-preflight",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    secrets: [tok]\nsecrets:\n  tok:\n    environment: BERTH_TEST_UNSET_TOKEN\n",
    );
    for args in [&["--dry-run", "up", "-d"][..], &["up", "-d"][..]] {
        let r = p.berth(args);
        assert_ne!(r.code, 0, "{args:?}: {}", r.stderr);
        r.stderr_has("environment variable BERTH_TEST_UNSET_TOKEN required by secret");
    }
    let nets = p.networks();
    assert!(nets.is_empty(), "no network was created");
    assert!(p.containers().is_empty());
    p.berth_env(&["up", "-d"], &[("BERTH_TEST_UNSET_TOKEN", "t0k3n")])
        .ok();
    assert_eq!(p.containers(), vec![p.container("a")]);
}

#[test]
fn concurrent_ups_of_one_project_both_succeed() {
    let p = TestProject::new(
        "concurrent",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n  b:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    deploy: {replicas: 2}\n",
    );
    let expected: Vec<String> = ["a-1", "b-1", "b-2"]
        .iter()
        .map(|s| format!("{}-{s}", p.name))
        .collect();
    for trial in 0..3 {
        let spawn = || p.spawn(&["up", "-d"], std::process::Stdio::null());
        let (one, two) = (spawn(), spawn());
        for c in [one, two] {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "trial {trial}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        assert_eq!(p.containers(), expected, "trial {trial}");
        let nets = p.networks();
        assert_eq!(nets.len(), 1, "trial {trial}: one network");
        p.berth(&["down", "-t", "0"]).ok();
    }
}

#[test]
fn a_duplicate_project_network_is_repaired() {
    if common::is_podman() {
        return; // Podman refuses duplicate network names: nothing to repair.
    }
    let p = TestProject::new(
        "dupnet",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    // Two networks of one name with this project's labels, as two racing `up`s made them.
    let name = format!("{}_default", p.name);
    for _ in 0..2 {
        let body = format!(
            r#"{{"Name":"{name}","CheckDuplicate":false,"Labels":{{"com.docker.compose.project":"{}","com.docker.compose.network":"default"}}}}"#,
            p.name
        );
        let o = std::process::Command::new("curl")
            .args([
                "-sf",
                "--unix-socket",
                common::socket(),
                "-H",
                "Content-Type: application/json",
                "-d",
            ])
            .arg(&body)
            .arg("http://d/networks/create")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    let r = p.berth(&["up", "-d"]);
    r.ok().stderr_has("existed twice");
    assert_eq!(p.containers(), vec![p.container("a")]);
    let nets = p.docker(&["network", "ls", "-q", "--filter", &format!("name={name}")]);
    assert_eq!(nets.stdout.lines().count(), 1);
}

#[test]
fn interchangeable_containers_are_not_recreated_by_the_other_tool() {
    if common::is_podman() {
        return; // The reference Compose v2 runs against Docker.
    }
    let p = TestProject::new(
        "samehash",
        "services:\n  web:\n    image: $IMAGE\n    init: true\n    command: [httpd, -f, -p, '80']\n    ports: ['127.0.0.1::80']\n    environment: {Q: 'a<b&c>d'}\n    healthcheck: {test: [CMD, 'true'], interval: 2s, retries: 3}\n    deploy: {resources: {limits: {memory: 64M}}}\n    secrets:\n      - source: s\n        mode: 0400\n  worker:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n    depends_on: [web]\n    labels: [tier=back]\nsecrets:\n  s:\n    file: ./s.txt\n",
    );
    p.write("s.txt", "x\n");
    let ids = || -> Vec<String> {
        ["web", "worker"]
            .iter()
            .map(|s| {
                p.inspect(&p.container(s))["Id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    };
    // Each tool's `config --hash` is the other's.
    let ours = p.berth(&["config", "--hash", "*"]);
    let theirs = p.compose_v2(&["config", "--hash", "*"]);
    assert_eq!(ours.ok().stdout, theirs.ok().stdout);
    p.berth(&["up", "-d"]).ok();
    let made_by_berth = ids();
    p.compose_v2(&["up", "-d"]).ok();
    assert_eq!(ids(), made_by_berth, "Compose v2 keeps berth's containers");
    p.compose_v2(&["up", "-d", "--force-recreate"]).ok();
    let made_by_v2 = ids();
    let r = p.berth(&["up", "-d", "--progress", "plain"]);
    r.ok();
    assert_eq!(ids(), made_by_v2, "berth keeps Compose v2's: {}", r.stderr);
}

#[test]
fn a_crash_during_a_recreate_leaves_a_container_and_the_next_up_repairs() {
    // `sleep` as PID 1 ignores SIGTERM: stopping the old container takes its grace period,
    // which is when berth is killed.
    let compose = |cmd: &str| {
        format!("services:\n  a:\n    image: $IMAGE\n    command: [sleep, '{cmd}']\n    stop_grace_period: 6s\n")
    };
    let p = TestProject::new("crash-recreate", &compose("3600"));
    p.berth(&["up", "-d"]).ok();
    p.write("compose.yaml", &compose("3601"));
    let mut up = p.spawn(&["up", "-d"], std::process::Stdio::null());
    let aside = format!("_{}", p.container("a"));
    let both = common::poll(Duration::from_secs(20), Duration::from_millis(50), || {
        let names = p.containers();
        names.len() == 2 && names.iter().any(|n| n.ends_with(&aside))
    });
    // The replacement exists before the old container is gone.
    assert!(both, "replacement created first: {:?}", p.containers());
    std::thread::sleep(Duration::from_millis(300));
    up.kill().unwrap();
    let _ = up.wait();
    assert!(!p.containers().is_empty(), "never no container");
    // The next `up` converges: one container, under its own name, with the new command.
    p.berth(&["up", "-d"]).ok();
    assert_eq!(p.containers(), vec![p.container("a")]);
    let c = p.inspect(&p.container("a"));
    assert_eq!(c["Config"]["Cmd"][1], "3601");
    assert_eq!(c["State"]["Running"], true);
    p.berth(&["down", "-t", "0"]).ok();
}

#[test]
fn a_storage_only_podman_container_is_named_with_its_remedy() {
    if !common::is_podman() {
        return; // Docker has no storage-only containers.
    }
    let p = TestProject::new(
        "storage-only",
        "services:\n  a:\n    image: $IMAGE\n    init: true\n    command: [sleep, '3600']\n",
    );
    // What a crash mid-create leaves: a container in storage that Podman's API does not list.
    let name = p.container("a");
    let made = std::process::Command::new("buildah")
        .args(["from", "--name", &name, common::IMAGE])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("buildah (installed with podman)");
    assert!(made.success());
    let r = p.berth(&["up", "-d"]);
    let _ = std::process::Command::new("buildah")
        .args(["rm", &name])
        .stdout(std::process::Stdio::null())
        .status();
    assert_ne!(r.code, 0);
    r.stderr_has(&format!("podman rm --storage {name}"));
    p.berth(&["up", "-d"]).ok();
    assert_eq!(p.containers(), vec![name]);
}
