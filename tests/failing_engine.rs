//! An engine that fails the way real ones do under trouble, which a healthy engine cannot be
//! made to do: a socket that accepts and never answers, a reply whose body stalls after the
//! headers, headers that trickle in. berth must say the engine stopped answering, within its
//! deadline (`BERTH_ENGINE_TIMEOUT`, 2 s here), never hang.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Fault {
    /// Accepts, reads, never writes.
    Silent,
    /// Answers the handshake; the container list sends its headers and part of its body.
    StalledBody,
    /// Answers the handshake; the container list's headers come one byte a second.
    TrickledHeaders,
}

const VERSION: &str = r#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","Components":[{"Name":"Engine","Version":"20.10.24"}]}"#;

fn reply(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn serve(mut s: UnixStream, fault: Fault) {
    let mut buf = [0u8; 8192];
    loop {
        let Ok(n) = s.read(&mut buf) else { return };
        if n == 0 {
            return;
        }
        let req = String::from_utf8_lossy(&buf[..n]).to_string();
        let path = req
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        match fault {
            Fault::Silent => {
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            _ if path.ends_with("/_ping") => {
                let _ = s.write_all(reply("OK").as_bytes());
            }
            _ if path.ends_with("/version") => {
                let _ = s.write_all(reply(VERSION).as_bytes());
            }
            Fault::StalledBody => {
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{\"Id\":",
                );
                std::thread::sleep(Duration::from_secs(60));
                return;
            }
            Fault::TrickledHeaders => {
                for b in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" {
                    if s.write_all(&[*b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                return;
            }
        }
    }
}

fn fake_engine(fault: Fault) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("engine.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            std::thread::spawn(move || serve(s, fault));
        }
    });
    (dir, sock)
}

/// `berth ARGS` against the fake engine; its stderr and how long it took.
fn against(fault: Fault, args: &[&str]) -> (Option<i32>, String, Duration) {
    let (_dir, sock) = fake_engine(fault);
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("compose.yaml"),
        "services:\n  a:\n    image: busybox\n",
    )
    .unwrap();
    let start = Instant::now();
    let o = Command::new("timeout")
        .args(["-s", "KILL", "60"])
        .arg(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(project.path())
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("BERTH_ENGINE", "docker")
        .env("BERTH_ENGINE_TIMEOUT", "2")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        start.elapsed(),
    )
}

#[test]
fn a_silent_engine_is_named_within_the_deadline() {
    let (code, err, took) = against(Fault::Silent, &["-p", "x", "ps"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("did not answer within 2 s"), "{err}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn a_reply_that_stalls_after_its_headers_does_not_hang_ps() {
    let (code, err, took) = against(Fault::StalledBody, &["-p", "x", "ps"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("the engine stopped answering"), "{err}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn trickled_headers_do_not_hang_down() {
    let (code, err, took) = against(Fault::TrickledHeaders, &["-p", "x", "down"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("the engine stopped answering"), "{err}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}
