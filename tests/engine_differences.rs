//! The differences between Docker and Podman that berth's engine module absorbs
//! (crates/berth-engine/src/podman.rs), each checked on the real engine through berth-engine's
//! own API: run with BERTH_TEST_ENGINE=podman for Podman, without it for Docker; every test
//! expects the same outcome on both.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use berth_compose::model::{NetworkConfig, Project, Service};
use berth_engine::spec::{self, ContainerSpec, SpecContext};
use berth_engine::{CreateError, Engine, EngineError, EngineKind, EventKind, Target};
use common::TestProject;
use futures_util::StreamExt;

async fn engine() -> Engine {
    let e = Engine::connect_to(&Target {
        host: format!("unix://{}", common::socket()),
        source: "test".into(),
        expect: None,
    })
    .await
    .expect("engine reachable");
    let want = if common::is_podman() {
        EngineKind::Podman
    } else {
        EngineKind::Docker
    };
    assert_eq!(e.kind(), want, "detected from /version's components");
    e
}

/// The container berth would create for a one-service project: `cmd` in the test image,
/// named `name`, labelled `berth.test=label`, on `network` when given.
fn spec(e: &Engine, name: &str, cmd: &[&str], label: &str, network: Option<&str>) -> ContainerSpec {
    let mut project = Project {
        name: "diff".into(),
        ..Default::default()
    };
    let mut svc = Service {
        image: Some(common::IMAGE.into()),
        command: Some(cmd.iter().map(|s| s.to_string()).collect()),
        container_name: Some(name.into()),
        labels: [("berth.test".to_string(), label.to_string())].into(),
        ..Default::default()
    };
    if let Some(net) = network {
        let cfg = NetworkConfig {
            name: Some(net.into()),
            ..Default::default()
        };
        project.networks.insert("n".into(), cfg);
        svc.networks.insert("n".into(), None);
    }
    let ctx = SpecContext {
        project: &project,
        project_name: "diff",
        api_version: e.api_version(),
        resolve_container: &|_| None,
        environment: &|_| None,
        working_dir: std::path::Path::new("/"),
        base_environment: &[],
    };
    spec::container_spec(&ctx, "svc", &svc, 1, BTreeMap::new()).expect("a valid spec")
}

async fn create(e: &Engine, spec: &ContainerSpec) -> Result<String, CreateError> {
    e.create_from_spec(spec).await.map(|(id, _)| id)
}

/// Removes this test's containers (by its `berth.test` label) and networks even when an
/// assertion fails half-way.
struct Cleanup(String, Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        common::remove_containers(&format!("label=berth.test={}", self.0));
        for n in &self.1 {
            let _ = std::process::Command::new(common::cli())
                .args(["network", "rm", n])
                .output();
        }
    }
}

fn unique(what: &str) -> String {
    format!("berthdiff-{what}-{}", std::process::id())
}

/// The engine (with the test image) and a name unique to this test, `what`, for its containers:
/// they and `networks` are removed when the returned guard is dropped.
async fn setup(what: &str, networks: &[&str]) -> (Engine, String, Cleanup) {
    common::ensure_image();
    let e = engine().await;
    let name = unique(what);
    let cleanup = Cleanup(
        name.clone(),
        networks.iter().map(|n| n.to_string()).collect(),
    );
    (e, name, cleanup)
}

/// Podman answers 500 where Docker answers 409/404/403: the classification is by meaning.
#[tokio::test]
async fn errors_mean_the_same_on_both_engines() {
    let net = unique("errsnet");
    let (e, name, _cleanup) = setup("errs", &[&net]).await;
    let id = create(&e, &spec(&e, &name, &["sleep", "30"], &name, None))
        .await
        .unwrap();
    // A duplicate container name is a conflict.
    let dup = create(&e, &spec(&e, &name, &["true"], &name, None)).await;
    assert!(
        matches!(dup, Err(CreateError::Create(EngineError::Conflict(_)))),
        "{dup:?}"
    );
    // Killing a container that does not run: not running.
    let k = e.kill_container(&id, "KILL").await;
    assert!(matches!(k, Err(EngineError::NotRunning(_))), "{k:?}");
    // A missing container / image: not found.
    let m = e.inspect_container(&unique("missing")).await;
    assert!(matches!(m, Err(EngineError::NotFound(_))), "{m:?}");
    assert_eq!(e.image_id("nosuchimage:zzz").await.unwrap(), None);
    // Removing a network that a container uses: a conflict.
    let net_id = e
        .create_network(&net, &NetworkConfig::default(), Default::default())
        .await
        .unwrap();
    let user = create(
        &e,
        &spec(&e, &unique("errsuser"), &["sleep", "30"], &name, Some(&net)),
    )
    .await
    .unwrap();
    e.start_container(&user).await.unwrap();
    let r = e.remove_network(&net).await;
    assert!(matches!(r, Err(EngineError::Conflict(_))), "{r:?}");
    e.remove_container(&user, true).await.unwrap();
    e.remove_container(&id, true).await.unwrap();
    e.remove_network(&net).await.unwrap();
    let _ = net_id;
    // Removing what is gone is not an error.
    e.remove_container(&id, true).await.unwrap();
}

/// Podman's `wait` answers -1 after a failed start; berth reports a real exit code.
#[tokio::test]
async fn wait_after_a_failed_start_is_a_real_exit_code() {
    let (e, name, _cleanup) = setup("wait", &[]).await;
    let id = create(&e, &spec(&e, &name, &["/nonexistent"], &name, None))
        .await
        .unwrap();
    assert!(e.start_container(&id).await.is_err(), "the start fails");
    let code = e.wait_container(&id).await.unwrap();
    e.remove_container(&id, true).await.unwrap();
    // Docker: 127 (the start error's code); Podman: -1 from the engine, 128 from berth.
    assert!(code > 0, "exit code {code}");
}

/// Docker says `destroy`, Podman `remove`; Podman's compat API sends no `health_status:
/// healthy`. Both streams map to the same meanings.
#[tokio::test]
async fn event_names_map_to_the_same_meanings() {
    let (e, name, _cleanup) = setup("events", &[]).await;
    let label = format!("berth.test={name}");
    // The request is sent when the stream is first polled: poll it from now on.
    let mut stream = Box::pin(e.container_events(std::slice::from_ref(&label)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            if tx
                .send(ev.map(|ev| ev.kind).map_err(|e| e.to_string()))
                .is_err()
            {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = create(&e, &spec(&e, &name, &["sh", "-c", "exit 3"], &name, None))
        .await
        .unwrap();
    e.start_container(&id).await.unwrap();
    assert_eq!(e.wait_container(&id).await.unwrap(), 3);
    e.remove_container(&id, true).await.unwrap();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(&EventKind::Remove) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(Ok(kind))) => seen.push(kind),
            other => panic!("events ended early ({other:?}); seen {seen:?}"),
        }
    }
    reader.abort();
    for want in [EventKind::Create, EventKind::Start, EventKind::Die] {
        assert!(seen.contains(&want), "{want:?} missing from {seen:?}");
    }
}

/// Healthchecks (Podman runs none without systemd: berth runs them while it waits), aliases
/// and DNS (Podman's aardvark answers `api.dns.podman`), and ulimits, in one project.
#[test]
fn service_healthy_aliases_and_ulimits() {
    let p = TestProject::new(
        "diff",
        r#"
services:
  api:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "sleep 1; touch /ready; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "test", "-f", "/ready"]
      interval: 500ms
      retries: 20
    # On Podman a service's ulimits replace containers.conf's default_ulimits: a host whose
    # hard limits are below Podman's defaults needs both nofile and nproc here.
    ulimits:
      nofile: {soft: 512, hard: 512}
      nproc: 512
  web:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
    depends_on:
      api: {condition: service_healthy}
"#,
    );
    let t = std::time::Instant::now();
    p.berth(&["up", "-d", "--wait"]).ok();
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    let (api, web) = (p.container("api"), p.container("web"));
    assert_eq!(p.inspect(&api)["State"]["Health"]["Status"], "healthy");
    assert_eq!(p.inspect(&web)["State"]["Running"], true);
    // A sibling resolves the service name (Docker: `api`; Podman: `api.dns.podman`).
    let r = p.docker(&["exec", &web, "nslookup", "api"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r.stdout_has("Address");
    // The service's ulimit applies.
    let r = p.docker(&["exec", &api, "sh", "-c", "ulimit -n"]);
    assert_eq!(r.stdout.trim(), "512", "{}", r.stderr);
    p.berth(&["down"]).ok();
    assert!(p.containers().is_empty());
}

/// The engine's clock is read from `/info` (attached `up` and `logs -f --tail 0` compare log
/// timestamps with its "now"): here, on the same machine, it is this clock to the millisecond
/// and no offset is applied.
#[tokio::test]
async fn the_engine_clock_is_read_and_a_local_one_needs_no_offset() {
    let e = engine().await;
    let info = common::api_get("/info");
    let info: serde_json::Value = serde_json::from_str(&info).expect("/info is JSON");
    let theirs =
        berth_engine::clock::parse_unix_nanos(info["SystemTime"].as_str().expect("SystemTime"))
            .expect("an RFC 3339 time");
    let ours = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    assert!(
        (ours - theirs).abs() < 1_000_000_000,
        "engine {theirs}, here {ours}"
    );
    assert_eq!(e.clock_offset().await, None);
}
