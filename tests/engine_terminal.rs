//! Terminal sessions on the real engine, driven through a pseudo-terminal as a person would
//! drive them: `exec` and `run` with a TTY (typing reaches the container, a window resize
//! reaches it, the exit code comes back), `attach` (output, stdin, exit code, the detach keys
//! that leave the container running), and Ctrl-C forwarded to a `run` without a TTY.

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::pty::Pty;
use common::session::Session;
use common::TestProject;

/// berth on a terminal that draws nothing fancy.
fn on_terminal(p: &TestProject, args: &[&str]) -> Command {
    let mut c = p.command(args);
    c.env("TERM", "dumb");
    c
}

/// Waits for `child`, which must exit with `code` having printed `stdout` (its stderr is shown
/// otherwise).
#[track_caller]
fn assert_ends(child: Child, code: i32, stdout: &str) {
    let o = child.wait_with_output().expect("berth");
    assert_eq!(
        (o.status.code(), String::from_utf8_lossy(&o.stdout).as_ref()),
        (Some(code), stdout),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const SECS: Duration = Duration::from_secs(20);

/// Types `stty size` until the terminal shows `want` (a resize reaches the container a moment
/// after the window changes).
fn poll_size(t: &mut Pty, want: &str) {
    let deadline = Instant::now() + SECS;
    while Instant::now() < deadline {
        t.type_text("stty size\r");
        std::thread::sleep(Duration::from_millis(300));
        if t.screen().contains(want) {
            return;
        }
    }
    panic!("stty size never said {want:?}:\n{}", t.screen());
}

const STACK: &str = r#"
services:
  web:
    image: $IMAGE
    init: true
    command: ["sleep", "3600"]
  console:
    image: $IMAGE
    tty: true
    stdin_open: true
    command: ["sh"]
  reader:
    image: $IMAGE
    stdin_open: true
    command: ["sh", "-c", "read x; echo got-$$x; exit 2"]
  talker:
    image: $IMAGE
    init: true
    command: ["sh", "-c", "until [ -f /go ]; do sleep 0.1; done; echo bye; exit 3"]
  phoenix:
    image: $IMAGE
    restart: always
    command: ["sh", "-c", "echo rising; sleep 2; exit 5"]
"#;

#[test]
fn exec_and_run_tty_sessions_take_typing_and_window_resizes() {
    let p = TestProject::new("tty", STACK);
    p.berth(&["up", "-d", "web"]).ok();

    // exec: an interactive shell on a 24x80 terminal.
    let mut t = Pty::spawn(on_terminal(&p, &["exec", "web", "sh"]), 24, 80);
    poll_size(&mut t, "24 80");
    // The window grows: the container's terminal follows.
    t.resize(40, 132);
    poll_size(&mut t, "40 132");
    t.type_text("echo typed-$((6*7))\r");
    t.expect("typed-42", SECS);
    t.type_text("exit 7\r");
    assert_eq!(t.wait(SECS), Some(7), "{}", t.screen());

    // run: a one-off container with a TTY sized like the terminal it starts on.
    let mut t = Pty::spawn(
        on_terminal(&p, &["run", "--rm", "--no-deps", "web", "sh"]),
        30,
        90,
    );
    poll_size(&mut t, "30 90");
    t.resize(35, 100);
    poll_size(&mut t, "35 100");
    t.type_text("tty; exit 4\r");
    t.expect("/dev/pts/", SECS);
    assert_eq!(t.wait(SECS), Some(4), "{}", t.screen());
    // --rm removed the one-off container.
    assert_eq!(p.containers(), vec![p.container("web")]);
}

/// `run` with a TTY takes the detach keys as `docker run -it` and Compose v2 do: berth returns
/// 0 and the one-off container keeps running (berth used to wait for it; on Podman the keys
/// reached the container).
#[test]
fn run_with_a_tty_detaches_on_the_detach_keys() {
    let p = TestProject::new("rundetach", STACK);
    for rm in [false, true] {
        let mut args = vec!["run", "--no-deps"];
        if rm {
            args.push("--rm");
        }
        args.extend(["web", "sh"]);
        let mut t = Pty::spawn(on_terminal(&p, &args), 24, 80);
        // Typing reaches the shell (it has started), then ctrl-p ctrl-q.
        let deadline = Instant::now() + SECS;
        while !t.screen().contains("up-42") && Instant::now() < deadline {
            t.type_text("echo up-$((6*7))\r");
            std::thread::sleep(Duration::from_millis(300));
        }
        t.keys(b"\x10\x11");
        assert_eq!(t.wait(SECS), Some(0), "{}", t.screen());
        let screen = t.screen();
        let name = screen
            .split("detached from ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("no 'detached from':\n{screen}"))
            .to_string();
        assert!(
            name.starts_with(&format!("{}-web-run-", p.name)),
            "{screen}"
        );
        assert_eq!(p.inspect(&name)["State"]["Running"], true, "{screen}");
        // --rm cannot act once berth has gone: it says what will remove the container.
        assert_eq!(screen.contains("`berth down` will"), rm, "{screen}");
    }
}

#[test]
fn attach_streams_output_and_stdin_and_detach_keys_leave_the_container_running() {
    let p = TestProject::new("attach", STACK);
    p.berth(&["up", "-d", "console", "reader", "talker"]).ok();
    let console = p.container("console");

    // A TTY container: typing reaches its shell; ctrl-p ctrl-q detaches.
    let mut t = Pty::spawn(on_terminal(&p, &["attach", "console"]), 24, 80);
    std::thread::sleep(Duration::from_millis(500));
    t.type_text("echo at-$((6*7))\r");
    t.expect("at-42", SECS);
    t.keys(b"\x10\x11");
    assert_eq!(t.wait(SECS), Some(0), "{}", t.screen());
    t.expect("detached from", SECS);
    assert_eq!(p.inspect(&console)["State"]["Running"], true);

    // Other detach keys.
    let mut t = Pty::spawn(
        on_terminal(&p, &["attach", "--detach-keys", "ctrl-x", "console"]),
        24,
        80,
    );
    std::thread::sleep(Duration::from_millis(500));
    t.type_text("echo again-$((6*7))\r");
    t.expect("again-42", SECS);
    t.keys(b"\x18");
    assert_eq!(t.wait(SECS), Some(0), "{}", t.screen());
    assert_eq!(p.inspect(&console)["State"]["Running"], true);
    let r = p.berth(&["attach", "--detach-keys", "ctrl-1", "console"]);
    assert_eq!(r.code, 16, "{}", r.stderr);
    r.stderr_has("--detach-keys");

    // Without a TTY: stdin reaches a container that keeps it open; its exit code is berth's.
    let mut child = p.spawn(&["attach", "reader"], Stdio::piped());
    std::thread::sleep(Duration::from_millis(500));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"hello\n")
        .expect("write");
    assert_ends(child, 2, "got-hello\n");

    // Output as it comes, then the container's exit code.
    let child = p.spawn(&["attach", "--no-stdin", "talker"], Stdio::null());
    std::thread::sleep(Duration::from_millis(500));
    p.berth(&["exec", "-T", "talker", "touch", "/go"]).ok();
    assert_ends(child, 3, "bye\n");
    let r = p.berth(&["attach", "talker"]);
    assert_eq!(r.code, 1);
    r.stderr_has("not running");

    // A container its restart policy starts again: the attachment ends with its run, and says
    // so rather than pretending it was detached.
    p.berth(&["up", "-d", "phoenix"]).ok();
    let r = p.berth(&["attach", "--no-stdin", "phoenix"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stderr_has("restart policy started it again");
}

#[test]
fn ctrl_c_reaches_the_process_of_a_run_without_a_tty() {
    let p = TestProject::new(
        "sigint",
        r#"
services:
  job:
    image: $IMAGE
    command: ["sh", "-c", "trap 'echo got-int; exit 9' INT; echo ready; while :; do sleep 0.1; done"]
"#,
    );
    let mut s = Session::start(&p, &["run", "-T", "--rm", "job"]);
    s.wait_line("ready", 0, SECS);
    let code = s.stop();
    let out = s.output();
    assert_eq!(code, 9, "{out}");
    assert!(out.lines().any(|l| l == "got-int"), "{out}");
    // --rm: nothing left behind.
    assert!(p.containers().is_empty(), "{:?}", p.containers());
}
