//! The engine goes away under `logs -f` and comes back: berth says so at once, waits, and
//! follows again. Podman's API service can be killed while its containers run on (conmon keeps
//! them), which makes it the engine to test this on. It stops and restarts the service, so it
//! runs alone, after the other Podman tests (scripts/test.sh: BERTH_TEST_OUTAGE=1).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestProject;

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn logs_follow_says_the_engine_stopped_answering_and_resumes() {
    if !common::is_podman() || std::env::var_os("BERTH_TEST_OUTAGE").is_none() {
        return; // Stops the Podman service: only in its own step of scripts/test.sh.
    }
    let p = TestProject::new(
        "outage",
        "services:\n  talk:\n    image: $IMAGE\n    command: [sh, -c, 'i=0; while true; do i=$$((i+1)); echo tick $$i; sleep 0.3; done']\n",
    );
    p.berth(&["up", "-d"]).ok();
    let out = p.path().join("logs.out");
    let err = p.path().join("logs.err");
    let mut logs = p
        .command(&["logs", "-f", "--no-color"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let long = Duration::from_secs(40);
    let every = Duration::from_millis(100);
    assert!(
        common::poll(long, every, || read(&out).contains("tick")),
        "{}",
        read(&err)
    );

    // The API service dies; the container runs on.
    let pid = std::fs::read_to_string("/run/podman/berth-service.pid")
        .expect("scripts/podman.sh's pid file");
    assert!(Command::new("kill")
        .arg(pid.trim())
        .status()
        .unwrap()
        .success());
    assert!(
        common::poll(long, every, || read(&err).contains("stopped answering")),
        "berth says the engine is gone: {}",
        read(&err)
    );
    assert!(logs.try_wait().unwrap().is_none(), "and keeps waiting");

    // It comes back: berth says so and the lines flow again.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let restarted = Command::new("bash")
        .arg(repo.join("scripts/podman.sh"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(restarted.success());
    assert!(
        common::poll(long, every, || read(&err).contains("answers again")),
        "{}",
        read(&err)
    );
    let seen = read(&out).lines().count();
    assert!(
        common::poll(long, every, || read(&out).lines().count() >= seen + 3),
        "new lines after the engine came back: {}",
        read(&out)
    );
    let _ = logs.kill();
    let _ = logs.wait();
}
