//! Updates without downtime on the real engine (`deploy.update_config`), automatic rollback of
//! a version that never becomes healthy, and `berth rollback` to a recorded revision: a client
//! in the same network asks the service ten times a second throughout, and every failed
//! request counts.

mod common;

use std::process::Command;
use std::time::Duration;

use common::TestProject;

/// A web service that takes 2 s to boot, two replicas updated one at a time start-first, and a
/// client that asks it ten times a second and prints `ok <version>` or `fail` per request.
/// (The healthcheck is a shell string: Podman 4.3 splits the words of a `[CMD, sh, -c, …]`
/// test; and it counts failures within `start_period`, hence five retries.)
fn stack(version: &str, web_command: &str, order: &str) -> String {
    format!(
        r#"services:
  web:
    image: $IMAGE
    init: true
    environment: {{VERSION: {version}}}
    command: [sh, -c, '{web_command}']
    healthcheck:
      test: timeout 1 wget -q -O /dev/null http://127.0.0.1/
      interval: 1s
      timeout: 2s
      retries: 5
      start_period: 3s
    deploy:
      replicas: 2
      update_config: {{order: {order}, parallelism: 1, failure_action: rollback, monitor: 1s}}
  client:
    image: $IMAGE
    init: true
    depends_on: {{web: {{condition: service_healthy}}}}
    command:
      - sh
      - -c
      - |
$CLIENT
"#
    )
    .replace(
        "$CLIENT",
        &CLIENT
            .lines()
            .map(|l| format!("        {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The client: each request looks `web` up (one of its addresses at random, as a resolver
/// would) and asks that address; it prints `ok <version>`, `fail` (the service did not
/// answer, or had no address) or `dns` (the engine's DNS server did not answer the lookup).
const CLIENT: &str = r#"while true; do
  out=$$(timeout 2 nslookup web 2>&1)
  ips=$$(echo "$$out" | awk '/^Address/ && $$2 !~ /:53$$/ {print $$2}')
  if [ -z "$$ips" ]; then
    if echo "$$out" | grep -q "can't find"; then echo fail; else echo dns; fi
    sleep 0.1; continue
  fi
  ip=$$(echo "$$ips" | awk -v r=$$RANDOM '{a[NR]=$$0} END {print a[r % NR + 1]}')
  if r=$$(timeout 2 wget -q -O - http://$$ip/ 2>/dev/null); then echo "ok $$r"; else echo fail; fi
  sleep 0.1
done"#;

const SERVE: &str =
    "sleep 2; mkdir -p /www; echo $$VERSION > /www/index.html; exec httpd -f -p 80 -h /www";
const NEVER_READY: &str = "exec sleep 3600";

/// The client's answers so far, one per request.
fn answers(p: &TestProject) -> Vec<String> {
    let o = Command::new(common::cli())
        .args(["logs", &p.container("client")])
        .output()
        .expect("engine logs");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// What the client saw after its first `from` answers.
struct Seen {
    asked: usize,
    /// The service did not answer (or had no address).
    failed: usize,
    /// The engine's DNS server did not answer.
    dns: usize,
}

fn seen_since(p: &TestProject, from: usize) -> Seen {
    let a = answers(p);
    let after = &a[from.min(a.len())..];
    Seen {
        asked: after.len(),
        failed: after.iter().filter(|l| *l == "fail").count(),
        dns: after.iter().filter(|l| *l == "dns").count(),
    }
}

/// No request failed, but for the one race DNS-based discovery leaves: a request whose lookup
/// came just before an old container left the network reaches it too late. That is at most
/// one per replaced container (`swaps`), and rare (0 in most runs on an idle machine; 1 in
/// 68 seen under a parallel test load); a replacement reached while it boots would fail ten
/// or more (a plain recreate loses about 15 here).
///
/// On Podman 4.3, lookups also go unanswered after containers join or leave the network (an
/// unrelated `podman run` on it does it too): netavark 1.4 does not pin the bridge's MAC, so
/// the gateway where aardvark-dns listens changes MAC under the client (BENCHMARKS.md,
/// "Updates without downtime"). Those are counted and shown, not failed on. On Docker there
/// must be none.
#[track_caller]
fn assert_none_failed(s: &Seen, during: &str, detail: &str, swaps: usize) {
    assert!(
        s.asked > 10,
        "the client asked only {} times {during}",
        s.asked
    );
    assert!(
        s.failed <= swaps,
        "{} of {} requests failed {during}\n{detail}",
        s.failed,
        s.asked
    );
    eprintln!(
        "{during}: {} of {} requests failed, {} lookups timed out",
        s.failed, s.asked, s.dns
    );
    if !common::is_podman() {
        assert_eq!(s.dns, 0, "{} of {} lookups failed {during}", s.dns, s.asked);
    }
}

/// Waits until the service's last five answers are all `version` (lookups the engine's DNS
/// server did not answer are not answers of the service: see [`assert_none_failed`]).
#[track_caller]
fn settle_on(p: &TestProject, version: &str) {
    let want = format!("ok {version}");
    let served = |p: &TestProject| -> Vec<String> {
        answers(p).into_iter().filter(|l| l != "dns").collect()
    };
    let ok = common::poll(Duration::from_secs(60), Duration::from_millis(200), || {
        let a = served(p);
        a.len() >= 5 && a[a.len() - 5..].iter().all(|l| *l == want)
    });
    let a = answers(p);
    assert!(
        ok,
        "the client does not get {version}: {:?}",
        &a[a.len().saturating_sub(10)..]
    );
}

fn web_containers(p: &TestProject) -> Vec<String> {
    p.containers()
        .into_iter()
        .filter(|c| !c.ends_with("-client-1"))
        .collect()
}

#[test]
fn start_first_update_rollback_and_berth_rollback_drop_no_request() {
    let p = TestProject::new("update", &stack("v1", SERVE, "start-first"));
    p.berth(&["up", "-d"]).ok();
    settle_on(&p, "v1");
    let replicas = vec![format!("{}-web-1", p.name), format!("{}-web-2", p.name)];
    assert_eq!(web_containers(&p), replicas);

    // (a) A new version, start-first: no request fails, v2 answers, one container per replica.
    let before = answers(&p).len();
    p.write("compose.yaml", &stack("v2", SERVE, "start-first"));
    let up = p.berth(&["up", "-d"]);
    up.ok();
    settle_on(&p, "v2");
    assert_none_failed(
        &seen_since(&p, before),
        "during a start-first update",
        &up.stderr,
        2,
    );
    assert_eq!(web_containers(&p), replicas, "one container per replica");

    // (b) A version that never becomes healthy: `up` fails naming the service, the container
    // and the reason; the running version is kept, and no request fails.
    let before = answers(&p).len();
    p.write("compose.yaml", &stack("v3", NEVER_READY, "start-first"));
    let up = p.berth(&["up", "-d"]);
    assert_ne!(up.code, 0, "a failed update must fail `up`: {}", up.stderr);
    for part in [
        "service \"web\"",
        "update failed",
        "unhealthy",
        "last probe exit",
    ] {
        assert!(up.stderr.contains(part), "no {part:?} in: {}", up.stderr);
    }
    std::thread::sleep(Duration::from_secs(1));
    settle_on(&p, "v2");
    assert_none_failed(&seen_since(&p, before), "while v3 failed", &up.stderr, 0);
    assert_eq!(
        web_containers(&p),
        replicas,
        "the failed replacement is gone"
    );

    // (c) `berth rollback` returns to the revision before v2 (v1), start-first too.
    let history = p.berth(&["history", "web"]);
    history.ok();
    assert!(
        history.stdout.contains("VERSION") || history.stdout.contains("environment"),
        "history says what changed: {}",
        history.stdout
    );
    let before = answers(&p).len();
    let rb = p.berth(&["rollback", "web"]);
    rb.ok();
    settle_on(&p, "v1");
    assert_none_failed(
        &seen_since(&p, before),
        "during berth rollback",
        &rb.stderr,
        2,
    );
    assert_eq!(web_containers(&p), replicas);
    let history = p.berth(&["history", "web"]);
    history.ok().stdout_has("rollback to 1");

    // The history stays with the project on the engine: `down` keeps it, `down -v` removes it.
    p.berth(&["down"]).ok();
    p.berth(&["history", "web"])
        .ok()
        .stdout_has("rollback to 1");
    p.berth(&["down", "-v"]).ok();
    let after = p.berth(&["history", "web"]);
    assert!(
        !after.stdout.contains("rollback to 1"),
        "down -v removes the history: {}",
        after.stdout
    );
}

#[test]
fn stop_first_failure_puts_the_old_container_back() {
    let p = TestProject::new("update-stopfirst", &stack("v1", SERVE, "stop-first"));
    p.berth(&["up", "-d"]).ok();
    settle_on(&p, "v1");
    p.write("compose.yaml", &stack("v3", NEVER_READY, "stop-first"));
    let up = p.berth(&["up", "-d"]);
    assert_ne!(up.code, 0, "{}", up.stderr);
    assert!(up.stderr.contains("rolled back"), "{}", up.stderr);
    settle_on(&p, "v1");
    assert_eq!(
        web_containers(&p),
        vec![format!("{}-web-1", p.name), format!("{}-web-2", p.name)]
    );
}

#[test]
fn a_fixed_host_port_falls_back_to_stop_first_or_is_refused_with_strict() {
    let compose = |v: &str| {
        format!(
            "services:\n  web:\n    image: $IMAGE\n    init: true\n    environment: {{V: {v}}}\n    command: [httpd, -f, -p, '80']\n    ports: ['127.0.0.1::80']\n    deploy:\n      update_config: {{order: start-first}}\n"
        )
    };
    // An ephemeral host port: that fits twice, so start-first stays.
    let p = TestProject::new("update-port", &compose("a"));
    p.berth(&["up", "-d"]).ok();
    p.write("compose.yaml", &compose("b"));
    let up = p.berth(&["up", "-d"]);
    up.ok();
    assert!(!up.stderr.contains("updated stop-first"), "{}", up.stderr);
    // A fixed one does not.
    let fixed = |v: &str| compose(v).replace("127.0.0.1::80", "127.0.0.1:18471:80");
    p.write("compose.yaml", &fixed("c"));
    p.berth(&["up", "-d"]).ok();
    p.write("compose.yaml", &fixed("d"));
    let strict = p.berth(&["up", "-d", "--strict"]);
    assert_ne!(strict.code, 0);
    assert!(
        strict.stderr.contains("host port 18471"),
        "{}",
        strict.stderr
    );
    let env = p.inspect(&p.container("web"))["Config"]["Env"].to_string();
    assert!(env.contains("V=c"), "--strict changed nothing: {env}");
    let up = p.berth(&["up", "-d"]);
    up.ok();
    assert!(
        up.stderr.contains("updated stop-first") && up.stderr.contains("host port 18471"),
        "{}",
        up.stderr
    );
    let env = p.inspect(&p.container("web"))["Config"]["Env"].to_string();
    assert!(env.contains("V=d"), "{env}");
}

/// An update interrupted while the replacement boots (held out of the service's names) is
/// finished by the next `up`: one container per replica, the new version answers, no request
/// failed in between.
#[test]
fn an_interrupted_update_is_finished_by_the_next_up() {
    let slow =
        "sleep 6; mkdir -p /www; echo $$VERSION > /www/index.html; exec httpd -f -p 80 -h /www";
    let p = TestProject::new("update-interrupt", &stack("v1", SERVE, "start-first"));
    p.berth(&["up", "-d"]).ok();
    settle_on(&p, "v1");
    let before = answers(&p).len();
    p.write("compose.yaml", &stack("v2", slow, "start-first"));
    let mut child = p
        .command(&["up", "-d"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The replacement of web-1 is created and booting (6 s) when Ctrl-C comes.
    let held = common::poll(Duration::from_secs(20), Duration::from_millis(100), || {
        p.containers()
            .iter()
            .any(|c| c.ends_with(&format!("_{}-web-1", p.name)))
    });
    assert!(held, "no replacement was started: {:?}", p.containers());
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    assert!(!child.wait().unwrap().success(), "the interrupted up fails");
    let up = p.berth(&["up", "-d"]);
    up.ok();
    settle_on(&p, "v2");
    assert_none_failed(
        &seen_since(&p, before),
        "around an interrupted update",
        &up.stderr,
        2,
    );
    assert_eq!(
        web_containers(&p),
        vec![format!("{}-web-1", p.name), format!("{}-web-2", p.name)],
        "one container per replica"
    );
}

/// `--to N`, a revision whose image is gone (refused before anything stops), and a history
/// bounded to the last 10 revisions per service.
#[test]
fn rollback_picks_a_revision_refuses_a_lost_image_and_history_is_bounded() {
    let tag = |v: &str| format!("berthtest-rollback-{}:{v}", std::process::id());
    let _images = common::BuiltImages(vec![tag("a"), tag("b")]);
    // Unique content: a cached image of an earlier run would carry that run's tag too.
    let unique = format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)
    );
    for v in ["a", "b"] {
        // Two images with their own IDs.
        common::build_image(
            &tag(v),
            &format!("LABEL berthtest.version={v} berthtest.run=\"{unique}\"\n"),
        );
    }
    let compose = |image: &str, n: u32| {
        format!(
            "services:\n  web:\n    image: {image}\n    init: true\n    environment: {{N: '{n}'}}\n    command: [sleep, '3600']\n"
        )
    };
    let p = TestProject::new("update-history", &compose(&tag("a"), 0));
    for n in 0..12 {
        let image = if n < 11 { tag("a") } else { tag("b") };
        p.write("compose.yaml", &compose(&image, n));
        p.berth(&["up", "-d"]).ok();
    }
    let h = p.berth(&["history", "--format", "json"]);
    h.ok();
    let v: serde_json::Value = serde_json::from_str(&h.stdout).unwrap();
    let numbers: Vec<u64> = v["web"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_u64().unwrap())
        .collect();
    assert_eq!(
        numbers,
        (3..=12).collect::<Vec<_>>(),
        "the last 10 revisions"
    );

    // --to 5: N=4 on image a.
    p.berth(&["rollback", "web", "--to", "5"]).ok();
    let env = p.inspect(&p.container("web"))["Config"]["Env"].to_string();
    assert!(env.contains("N=4"), "{env}");
    let last = p.berth(&["history", "web"]).stdout;
    assert!(
        last.lines()
            .last()
            .unwrap_or_default()
            .contains("rollback to 5"),
        "{last}"
    );
    // Back to 12 (image b), then image a removed: a rollback to it is refused, nothing stops.
    p.berth(&["rollback", "web", "--to", "12"]).ok();
    let rmi = Command::new(common::cli())
        .args(["rmi", &tag("a")])
        .output()
        .unwrap();
    assert!(
        rmi.status.success(),
        "{}",
        String::from_utf8_lossy(&rmi.stderr)
    );
    let id = p.inspect(&p.container("web"))["Id"].clone();
    let refused = p.berth(&["rollback", "web", "--to", "11"]);
    assert_ne!(refused.code, 0, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("no longer on the engine") && refused.stderr.contains(&tag("a")),
        "{}",
        refused.stderr
    );
    assert_eq!(
        p.inspect(&p.container("web"))["Id"],
        id,
        "nothing was replaced"
    );
    assert_eq!(p.inspect(&p.container("web"))["State"]["Running"], true);
    let missing = p.berth(&["rollback", "web", "--to", "1"]);
    assert!(
        missing.stderr.contains("has no revision 1"),
        "{}",
        missing.stderr
    );
    p.cleanup();
}

/// `max_failure_ratio`: one failed replacement of two is tolerated at 0.5. The update goes on,
/// `up` succeeds with a warning, the failed replica keeps its previous container.
#[test]
fn failures_within_max_failure_ratio_are_tolerated() {
    // The first replacement to start fails (it wins the lock directory on the shared volume);
    // the second serves.
    let compose = |v: &str, cmd: &str| {
        format!(
            "services:\n  web:\n    image: $IMAGE\n    init: true\n    environment: {{VERSION: {v}}}\n    command: [sh, -c, '{cmd}']\n    volumes: [locks:/locks]\n    deploy:\n      replicas: 2\n      update_config: {{order: stop-first, failure_action: pause, max_failure_ratio: 0.5, monitor: 2s}}\nvolumes:\n  locks: {{}}\n"
        )
    };
    let p = TestProject::new("update-ratio", &compose("v1", "exec sleep 3600"));
    p.berth(&["up", "-d"]).ok();
    p.write(
        "compose.yaml",
        &compose(
            "v2",
            "if mkdir /locks/first; then exit 3; fi; exec sleep 3600",
        ),
    );
    let up = p.berth(&["up", "-d"]);
    up.ok();
    assert!(
        up.stderr
            .contains("1 of 2 replacements failed, within max_failure_ratio 0.5")
            && up.stderr.contains("exited with code 3"),
        "{}",
        up.stderr
    );
    let versions: Vec<String> = ["web-1", "web-2"]
        .iter()
        .map(|c| {
            let env = p.inspect(&format!("{}-{c}", p.name))["Config"]["Env"].to_string();
            if env.contains("VERSION=v2") {
                "v2"
            } else {
                "v1"
            }
            .to_string()
        })
        .collect();
    assert_eq!(
        versions,
        ["v1", "v2"],
        "replica 1 kept v1, replica 2 runs v2"
    );
    assert_eq!(
        web_containers(&p),
        vec![format!("{}-web-1", p.name), format!("{}-web-2", p.name)]
    );
}
