//! The stacks in compose-samples/ run with berth as their READMEs say: each comes up healthy
//! with `up -d --wait`, answers, and `down -v` leaves nothing. Their images are built offline
//! by scripts/setup.sh (which the README's test command runs first).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn berth(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("berth runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn http_get(port: u16, path: &str) -> String {
    for _ in 0..20 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut body = String::new();
            let _ = s.read_to_string(&mut body);
            if !body.is_empty() {
                return body;
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    String::new()
}

fn images_present(compose: &str) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(compose)).unwrap();
    for line in text.lines() {
        if let Some(img) = line.trim().strip_prefix("image: ") {
            let img = img.trim_matches('"');
            if img.contains('$') {
                continue;
            }
            let ok = Command::new("docker")
                .args(["image", "inspect", img])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(ok, "sample image {img} is missing: run `bash scripts/setup.sh` first (the README's test command does)");
        }
    }
}

struct Down(&'static str, &'static str);
impl Drop for Down {
    fn drop(&mut self) {
        let _ = berth(&[
            "-p",
            self.1,
            "-f",
            self.0,
            "down",
            "-v",
            "--progress",
            "quiet",
        ]);
    }
}

/// Brings the sample `compose` up as `project` with `up -d --wait`, which must succeed (its
/// images must be there first); the guard returned takes it down.
fn up_sample(compose: &'static str, project: &'static str) -> Down {
    images_present(compose);
    let down = Down(compose, project);
    let (code, err) = berth(&["-p", project, "-f", compose, "up", "-d", "--wait"]);
    assert_eq!(code, 0, "{err}");
    down
}

#[test]
fn web_cache_sample_serves_through_its_cache() {
    let _down = up_sample("compose-samples/web-cache/compose.yaml", "sample-webcache");
    let body = http_get(8080, "/cgi-bin/greeting");
    assert!(body.contains("hello from the cache"), "{body}");
}

#[test]
fn pipeline_sample_runs_its_migration_once_before_the_api() {
    let f = "compose-samples/pipeline/compose.yaml";
    let _down = up_sample(f, "sample-pipeline");
    let status = http_get(8081, "/cgi-bin/status");
    assert!(
        status.contains("migration: applied"),
        "the api saw the migration record: {status}"
    );
    // A second up does not run the migration again.
    let started = || {
        let o = Command::new("docker")
            .args([
                "inspect",
                "-f",
                "{{.State.StartedAt}}",
                "sample-pipeline-migrate-1",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    let before = started();
    let (code, err) = berth(&["-p", "sample-pipeline", "-f", f, "up", "-d"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(started(), before);
}

#[test]
fn layered_sample_merges_extends_include_profiles_and_overrides() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("compose-samples/layered");
    images_present("compose-samples/layered/compose.yaml");
    // From its folder, with no -f: compose.yaml + compose.override.yaml + .env.
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, services, err) = run(&["-p", "sample-layered", "config", "--services"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        services.lines().any(|s| s == "probe"),
        "the included service is there: {services}"
    );
    assert!(
        !services.lines().any(|s| s == "debug"),
        "the debug profile is off by default: {services}"
    );
    let (code, services, _) = run(&[
        "-p",
        "sample-layered",
        "--profile",
        "debug",
        "config",
        "--services",
    ]);
    assert_eq!(code, 0);
    assert!(services.lines().any(|s| s == "debug"));
    let (code, _, err) = run(&["-p", "sample-layered", "up", "-d", "--wait"]);
    let down = || run(&["-p", "sample-layered", "down", "-v", "--progress", "quiet"]);
    if code != 0 {
        down();
        panic!("layered up failed: {err}");
    }
    let (dcode, _, derr) = down();
    assert_eq!(dcode, 0, "{derr}");
}
