//! The differences between Docker and Podman that berth's engine module absorbs
//! (src/engine/podman.rs), each checked on the real engine: run with BERTH_TEST_ENGINE=podman
//! for Podman, without it for Docker; every test expects the same outcome on both.

mod common;

use std::time::Duration;

use berth_engine::podman::EventKind;
use berth_engine::{Engine, EngineError, EngineKind, Target};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
};
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
    assert_eq!(e.kind, want, "detected from /version's components");
    e
}

fn body(cmd: &[&str], label: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(common::IMAGE.into()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        labels: Some([("berth.test".to_string(), label.to_string())].into()),
        ..Default::default()
    }
}

/// Removes this test's containers (by its `berth.test` label) and networks even when an
/// assertion fails half-way.
struct Cleanup(String, Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let cli = if std::env::var("BERTH_TEST_ENGINE").as_deref() == Ok("podman") {
            "podman"
        } else {
            "docker"
        };
        let out = std::process::Command::new(cli)
            .args([
                "ps",
                "-aq",
                "--filter",
                &format!("label=berth.test={}", self.0),
            ])
            .output();
        if let Ok(o) = out {
            let ids: Vec<String> = String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            if !ids.is_empty() {
                let _ = std::process::Command::new(cli)
                    .args(["rm", "-f"])
                    .args(&ids)
                    .output();
            }
        }
        for n in &self.1 {
            let _ = std::process::Command::new(cli)
                .args(["network", "rm", n])
                .output();
        }
    }
}

fn unique(what: &str) -> String {
    format!("berthdiff-{what}-{}", std::process::id())
}

/// Podman answers 500 where Docker answers 409/404/403: the classification is by meaning.
#[tokio::test]
async fn errors_mean_the_same_on_both_engines() {
    common::ensure_image();
    let e = engine().await;
    let name = unique("errs");
    let net = unique("errsnet");
    let _cleanup = Cleanup(name.clone(), vec![net.clone()]);
    let id = e
        .create_container(&name, body(&["sleep", "30"], &name))
        .await
        .unwrap();
    // A duplicate container name is a conflict.
    let dup = e.create_container(&name, body(&["true"], &name)).await;
    assert!(matches!(dup, Err(EngineError::Conflict(_))), "{dup:?}");
    // Killing a container that does not run: not running.
    let k = e.kill_container(&id, "KILL").await;
    assert!(matches!(k, Err(EngineError::NotRunning(_))), "{k:?}");
    // A missing container / image: not found.
    let m = e.inspect_container(&unique("missing")).await;
    assert!(matches!(m, Err(EngineError::NotFound(_))), "{m:?}");
    assert_eq!(e.image_id("nosuchimage:zzz").await.unwrap(), None);
    // Removing a network that a container uses: a conflict.
    let req = NetworkCreateRequest {
        name: net.clone(),
        ..Default::default()
    };
    let net_id = e.create_network(req).await.unwrap();
    let mut b = body(&["sleep", "30"], &name);
    b.host_config = Some(HostConfig {
        network_mode: Some(net.clone()),
        ..Default::default()
    });
    b.networking_config = Some(NetworkingConfig {
        endpoints_config: Some([(net.clone(), EndpointSettings::default())].into()),
    });
    let user = e.create_container(&unique("errsuser"), b).await.unwrap();
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
    common::ensure_image();
    let e = engine().await;
    let name = unique("wait");
    let _cleanup = Cleanup(name.clone(), vec![]);
    let id = e
        .create_container(&name, body(&["/nonexistent"], &name))
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
    common::ensure_image();
    let e = engine().await;
    let name = unique("events");
    let _cleanup = Cleanup(name.clone(), vec![]);
    let label = format!("berth.test={name}");
    // The request is sent when the stream is first polled: poll it from now on.
    let mut stream = Box::pin(e.container_events(std::slice::from_ref(&label)));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            if tx
                .send(ev.map(|(k, _)| k).map_err(|e| e.to_string()))
                .is_err()
            {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = e
        .create_container(&name, body(&["sh", "-c", "exit 3"], &name))
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
    let api = format!("{}-api-1", p.name);
    let web = format!("{}-web-1", p.name);
    assert_eq!(p.inspect(&api)["State"]["Health"]["Status"], "healthy");
    assert_eq!(p.inspect(&web)["State"]["Running"], true);
    // A sibling resolves the service name (Docker: `api`; Podman: `api.dns.podman`).
    let r = p.docker(&["exec", &web, "nslookup", "api"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("Address"), "{}", r.stdout);
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
    let info = e.docker.info().await.expect("info");
    let theirs =
        berth::ui::logs::parse_unix_nanos(info.system_time.as_deref().expect("SystemTime"))
            .expect("an RFC 3339 time");
    let ours = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128;
    assert!(
        (ours - theirs).abs() < 1_000_000_000,
        "engine {theirs}, here {ours}"
    );
    assert_eq!(berth::ui::logs::engine_clock_offset(e.clone()).await, None);
}
