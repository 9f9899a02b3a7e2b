//! `berth watch` and `up --watch` on the real engine: files edited on the host reach the
//! containers within a second, new nested directories and deletions included; ignore, include
//! and `.dockerignore` hold; rebuild gives a new image and a new container; restart and exec
//! rules run; rules that cannot work are errors that change nothing.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use common::session::Session;
use common::{socket, TestProject};

/// A file of a container, read through the engine's archive API (no exec, so a poll costs a
/// few milliseconds): its bytes and mode, or None when it does not exist.
fn read_file(container: &str, path: &str) -> Option<(Vec<u8>, u32)> {
    let o = std::process::Command::new("curl")
        .args(["-s", "-f", "--max-time", "10", "--unix-socket", socket()])
        .arg(format!(
            "http://d/containers/{container}/archive?path={path}"
        ))
        .output()
        .expect("curl runs");
    if !o.status.success() {
        return None;
    }
    let mut a = tar::Archive::new(&o.stdout[..]);
    let mut e = a.entries().ok()?.next()?.ok()?;
    let mode = e.header().mode().ok()?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut e, &mut bytes).ok()?;
    Some((bytes, mode & 0o7777))
}

/// Polls until `container:path` holds `want` (None: until it is gone), for at most `bound`
/// after `since`; returns how long it took.
fn until_file(
    container: &str,
    path: &str,
    want: Option<&str>,
    since: Instant,
    bound: Duration,
) -> Duration {
    loop {
        let got = read_file(container, path);
        let ok = match (want, &got) {
            (Some(w), Some((b, _))) => b == w.as_bytes(),
            (None, None) => true,
            _ => false,
        };
        if ok {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < bound,
            "{container}:{path} is {:?}, not {want:?}, {bound:?} after the change",
            got.map(|(b, _)| String::from_utf8_lossy(&b).to_string())
        );
        std::thread::sleep(Duration::from_millis(15));
    }
}

const SECOND: Duration = Duration::from_secs(1);
const START: Duration = Duration::from_secs(60);

const SYNC: &str = r#"
services:
  web:
    image: $IMAGE
    command: ["sleep", "3600"]
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app
          ignore:
            - "*.tmp"
            - node_modules/
"#;

/// An image-only service (no `build:`, which Compose 2.26 refuses to watch at all): edits, a new
/// nested directory, modes, deletions and ignore patterns, each seen in the container within a
/// second of the change on the host.
#[test]
fn sync_reaches_the_container_within_a_second() {
    let p = TestProject::new("wsync", SYNC);
    p.write("src/keep.txt", "kept\n");
    let web = p.container("web");
    let mut s = Session::start(&p, &["watch"]);
    s.wait_line("watch: watching web (1 rule)", 0, START);

    let n = s.count();
    let t = Instant::now();
    p.write("src/a.txt", "one\n");
    let took = until_file(&web, "/app/a.txt", Some("one\n"), t, SECOND);
    let line = s.wait_line("synced 1 file to", n, SECOND);
    assert!(line.contains(&web), "{line}");
    eprintln!("new file visible after {took:?}");

    let t = Instant::now();
    p.write("src/a.txt", "two\n");
    until_file(&web, "/app/a.txt", Some("two\n"), t, SECOND);

    // An editor's atomic save: a temporary file renamed over the real one. The temporary file
    // never reaches the container, so there is nothing to delete either.
    let n = s.count();
    let t = Instant::now();
    p.write("src/.a.txt.tmp1234", "three\n");
    std::fs::rename(
        p.path().join("src/.a.txt.tmp1234"),
        p.path().join("src/a.txt"),
    )
    .unwrap();
    until_file(&web, "/app/a.txt", Some("three\n"), t, SECOND);
    let line = s.wait_line("synced 1 file to", n, SECOND);
    assert!(!line.contains("deleted"), "{line}");

    // A brand-new nested directory, written in one go (inotify sees the inner files only if
    // berth walks the new directory).
    let t = Instant::now();
    std::fs::create_dir_all(p.path().join("src/n1/n2/n3")).unwrap();
    std::fs::write(p.path().join("src/n1/n2/n3/deep.txt"), "deep\n").unwrap();
    std::fs::write(p.path().join("src/n1/top.txt"), "top\n").unwrap();
    let script = p.path().join("src/n1/run.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
    until_file(&web, "/app/n1/n2/n3/deep.txt", Some("deep\n"), t, SECOND);
    until_file(&web, "/app/n1/top.txt", Some("top\n"), t, SECOND);
    until_file(
        &web,
        "/app/n1/run.sh",
        Some("#!/bin/sh\necho hi\n"),
        t,
        SECOND,
    );
    assert_eq!(
        read_file(&web, "/app/n1/run.sh").unwrap().1,
        0o750,
        "mode kept"
    );

    // Ignored files never arrive; a marker written after them shows the batch was handled.
    p.write("src/scratch.tmp", "no\n");
    p.write("src/node_modules/dep/index.js", "no\n");
    p.write("src/.main.rs.swp", "no\n");
    let t = Instant::now();
    p.write("src/marker.txt", "after\n");
    until_file(&web, "/app/marker.txt", Some("after\n"), t, SECOND);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        read_file(&web, "/app/scratch.tmp").is_none(),
        "ignore *.tmp"
    );
    assert!(
        read_file(&web, "/app/node_modules").is_none(),
        "ignore node_modules/"
    );
    assert!(
        read_file(&web, "/app/.main.rs.swp").is_none(),
        "editor swap file"
    );

    // Deletions: a file, then a whole directory.
    let n = s.count();
    let t = Instant::now();
    std::fs::remove_file(p.path().join("src/a.txt")).unwrap();
    until_file(&web, "/app/a.txt", None, t, SECOND);
    s.wait_line("deleted 1 path from", n, SECOND);
    let t = Instant::now();
    std::fs::remove_dir_all(p.path().join("src/n1")).unwrap();
    until_file(&web, "/app/n1/top.txt", None, t, SECOND);
    until_file(&web, "/app/n1", None, t, SECOND);
    // The file that was there before watching started was not copied (no initial_sync).
    assert!(read_file(&web, "/app/keep.txt").is_none());

    assert_eq!(s.stop(), 0, "{}", s.output());
    // Stopping the watch leaves the containers running.
    let state = p.inspect(&web)["State"]["Status"].clone();
    assert_eq!(state, "running");
}

/// `initial_sync` copies what is there when watching starts; `include` narrows a rule to
/// matching files; a second container of the service gets every copy too.
#[test]
fn initial_sync_include_and_every_replica() {
    let p = TestProject::new(
        "winit",
        r#"
services:
  web:
    image: $IMAGE
    command: ["sleep", "3600"]
    scale: 2
    develop:
      watch:
        - action: sync
          path: ./conf
          target: /etc/app
          initial_sync: true
          include: ["*.ini"]
"#,
    );
    p.write("conf/app.ini", "a=1\n");
    p.write("conf/notes.md", "not included\n");
    let (w1, w2) = (p.container("web"), format!("{}-web-2", p.name));
    let mut s = Session::start(&p, &["watch"]);
    s.wait_line("watch: watching web", 0, START);
    for w in [&w1, &w2] {
        assert_eq!(read_file(w, "/etc/app/app.ini").unwrap().0, b"a=1\n", "{w}");
        assert!(read_file(w, "/etc/app/notes.md").is_none(), "{w}: include");
    }
    assert!(
        s.output().contains("initial sync: synced 1 file to"),
        "{}",
        s.output()
    );
    let t = Instant::now();
    p.write("conf/db.ini", "b=2\n");
    p.write("conf/readme.txt", "no\n");
    until_file(&w1, "/etc/app/db.ini", Some("b=2\n"), t, SECOND);
    until_file(&w2, "/etc/app/db.ini", Some("b=2\n"), t, SECOND);
    std::thread::sleep(Duration::from_millis(300));
    assert!(read_file(&w2, "/etc/app/readme.txt").is_none());
    assert_eq!(s.stop(), 0);
}

/// A rebuild rule builds a new image and recreates the container from it; a file the
/// context's `.dockerignore` excludes triggers nothing; `--prune` removes the replaced image.
#[test]
fn rebuild_makes_a_new_image_and_container() {
    let p = TestProject::new(
        "wrebuild",
        r#"
services:
  app:
    build: ./app
    develop:
      watch:
        - action: rebuild
          path: ./app
"#,
    );
    p.write(
        "app/Dockerfile",
        "FROM $IMAGE\nCOPY msg.txt /msg.txt\nCMD [\"sleep\", \"3600\"]\n",
    );
    // Contents of this run only: a layer cached from an earlier run would be shared by its
    // leftover images, and the replaced image then is not the project's alone to prune.
    p.write("app/msg.txt", &format!("v1 {}\n", p.name));
    p.write("app/.dockerignore", "notes/\n");
    let image = format!("{}-app", p.name);
    let c = p.container("app");
    let mut s = Session::start(&p, &["watch", "--prune"]);
    s.wait_line("watch: watching app", 0, Duration::from_secs(120));
    let id_of = |what: &str| {
        p.docker(&["inspect", "-f", "{{.Id}}", what])
            .stdout
            .trim()
            .to_string()
    };
    let (old_image, old_container) = (id_of(&image), id_of(&c));
    assert_eq!(
        read_file(&c, "/msg.txt").unwrap().0,
        format!("v1 {}\n", p.name).into_bytes()
    );

    let n = s.count();
    p.write("app/notes/todo.txt", "ignored by .dockerignore\n");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        !s.output().lines().skip(n).any(|l| l.contains("rebuilding")),
        "a .dockerignore'd file triggered a rebuild:\n{}",
        s.output()
    );

    let n = s.count();
    p.write("app/msg.txt", &format!("v2 {}\n", p.name));
    s.wait_line(
        "watch: rebuilding app (app/msg.txt changed)",
        n,
        Duration::from_secs(5),
    );
    let done = s.wait_line(
        "watch: rebuilt app and recreated",
        n,
        Duration::from_secs(120),
    );
    assert!(done.contains(&c), "{done}");
    let (new_image, new_container) = (id_of(&image), id_of(&c));
    assert_ne!(new_image, old_image, "a new image");
    assert_ne!(new_container, old_container, "a new container");
    assert_eq!(
        read_file(&c, "/msg.txt").unwrap().0,
        format!("v2 {}\n", p.name).into_bytes()
    );
    assert_eq!(p.inspect(&c)["State"]["Status"], "running");
    s.wait_line(
        "watch: pruned the replaced image",
        n,
        Duration::from_secs(10),
    );
    assert_ne!(
        p.docker(&["image", "inspect", &old_image]).code,
        0,
        "old image pruned"
    );
    assert_eq!(s.stop(), 0);
    let _ = p.docker(&["rmi", "-f", &image]);
}

/// `sync+restart` restarts the container after the copy; `sync+exec` runs its command in it;
/// `restart` alone restarts without copying.
#[test]
fn restart_and_exec_rules() {
    let p = TestProject::new(
        "wrestart",
        r#"
services:
  web:
    image: $IMAGE
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    develop:
      watch:
        - action: sync+restart
          path: ./conf
          target: /conf
        - action: sync+exec
          path: ./hooks
          target: /hooks
          exec:
            command: ["sh", "-c", "cat /hooks/*.txt > /all.out && echo hook ran"]
        - action: restart
          path: ./trigger
"#,
    );
    p.write("conf/.keep", "");
    p.write("hooks/.keep", "");
    p.write("trigger/.keep", "");
    let web = p.container("web");
    let mut s = Session::start(&p, &["watch"]);
    s.wait_line("watch: watching web (3 rules)", 0, START);
    let started = |p: &TestProject| {
        p.inspect(&web)["State"]["StartedAt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = started(&p);

    let n = s.count();
    p.write("conf/app.conf", "x=1\n");
    s.wait_line("watch: restarted", n, Duration::from_secs(20));
    assert_ne!(started(&p), before, "restarted");
    assert_eq!(
        read_file(&web, "/conf/app.conf").map(|f| f.0),
        Some(b"x=1\n".to_vec()),
        "{}",
        s.output()
    );

    let n = s.count();
    p.write("hooks/a.txt", "A\n");
    let ran = s.wait_line("watch: ran `sh -c", n, Duration::from_secs(10));
    assert!(ran.contains("(exit code 0)"), "{ran}");
    s.wait_line("| hook ran", n, SECOND);
    assert_eq!(read_file(&web, "/all.out").unwrap().0, b"A\n");

    let before = started(&p);
    let n = s.count();
    p.write("trigger/now", "");
    s.wait_line("watch: restarted", n, Duration::from_secs(20));
    assert_ne!(started(&p), before);
    assert!(
        read_file(&web, "/trigger").is_none(),
        "restart copies nothing"
    );
    assert_eq!(s.stop(), 0);
}

/// Each rule that cannot work is an error naming the file, line and key, and nothing is
/// started; `up -d --watch` is refused rather than silently not watching.
#[test]
fn impossible_rules_are_errors_that_change_nothing() {
    let p = TestProject::new(
        "wbad",
        r#"
services:
  img:
    image: $IMAGE
    develop:
      watch:
        - action: rebuild
          path: ./src
        - action: sync
          path: ./src
        - action: sync+exec
          path: ./src
          target: /app
        - action: sync
          path: ./missing
          target: /app
  built:
    build: ./ctx
    develop:
      watch:
        - action: rebuild
          path: ./src
  ro:
    image: $IMAGE
    read_only: true
    volumes:
      - ./src:/data:ro
      - scratch:/data/writable
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app
        - action: sync
          path: ./src
          target: /data/sub
        - action: sync
          path: ./src
          target: /data/writable/ok
volumes:
  scratch:
"#,
    );
    p.write("src/a.txt", "a");
    p.write("ctx/Dockerfile", "FROM $IMAGE\n");
    let r = p.berth(&["watch"]);
    assert_eq!(r.code, 15, "{}", r.stderr);
    for want in [
        "compose.yaml:7:19: services.img.develop.watch[0].action: action rebuild needs a `build:` section",
        "compose.yaml:9:11: services.img.develop.watch[1].target: action sync copies files into the container and needs `target:`",
        "services.img.develop.watch[2].exec: action sync+exec needs `exec: command:`",
        "compose.yaml:15:17: services.img.develop.watch[3].path:",
        "missing does not exist",
        "services.built.develop.watch[0].path:",
        "is outside the build context",
        "services.ro.develop.watch[0].target: /app cannot be written in the container: the service has `read_only: true`",
        "services.ro.develop.watch[1].target: /data/sub cannot be written in the container: volumes[0] (/data) is read-only",
        "nothing was started or changed",
    ] {
        r.stderr_has(want);
    }
    assert!(
        !r.stderr.contains("services.ro.develop.watch[2]"),
        "a writable volume under a read-only one is fine:\n{}",
        r.stderr
    );
    assert!(
        p.containers().is_empty(),
        "nothing started: {:?}",
        p.containers()
    );

    let ok = TestProject::new("wbad2", SYNC);
    ok.write("src/a.txt", "a");
    let r = ok.berth(&["up", "-d", "--watch"]);
    assert_eq!(r.code, 1);
    r.stderr_has("cannot be combined with -d/--detach");
    let r = ok.berth(&["watch", "nosuch"]);
    assert_ne!(r.code, 0);
    r.stderr_has("nosuch");
    assert!(ok.containers().is_empty());

    let none = TestProject::new("wbad3", "services:\n  web:\n    image: $IMAGE\n");
    let r = none.berth(&["watch"]);
    assert_eq!(r.code, 15);
    r.stderr_has("none of the services has develop.watch rules");
    assert!(none.containers().is_empty());
}

/// `watch --no-up` with nothing running says so for every change rather than doing nothing.
#[test]
fn no_up_without_containers_says_so() {
    let p = TestProject::new("wnoup", SYNC);
    p.write("src/.keep", "");
    let mut s = Session::start(&p, &["watch", "--no-up"]);
    s.wait_line("watch: watching web", 0, START);
    assert!(p.containers().is_empty());
    p.write("src/a.txt", "a");
    s.wait_line(
        "web has no running container: 1 change not applied",
        0,
        Duration::from_secs(5),
    );
    assert_eq!(s.stop(), 0);
}

/// `up --watch`: the service's logs and the watch's lines in one stream; Ctrl-C stops the
/// containers as attached `up` does.
#[test]
fn up_watch_follows_logs_and_syncs() {
    let p = TestProject::new(
        "wup",
        r#"
services:
  web:
    image: $IMAGE
    command: ["sh", "-c", "echo web is up; exec sleep 3600"]
    stop_signal: SIGKILL
    develop:
      watch:
        - action: sync
          path: ./src
          target: /app
  app:
    build: ./app
    command: ["sh", "-c", "echo app says $$(cat /v); exec sleep 3600"]
    stop_signal: SIGKILL
    develop:
      watch:
        - action: rebuild
          path: ./app
"#,
    );
    p.write("src/.keep", "");
    p.write("app/Dockerfile", "FROM $IMAGE\nCOPY v /v\n");
    p.write("app/v", "one\n");
    let web = p.container("web");
    let mut s = Session::start(&p, &["up", "--watch"]);
    s.wait_line("web-1  | web is up", 0, START);
    s.wait_line("app-1  | app says one", 0, START);
    s.wait_line("watch: watching app (1 rule), web (1 rule)", 0, START);
    let t = Instant::now();
    p.write("src/live.txt", "live\n");
    until_file(&web, "/app/live.txt", Some("live\n"), t, SECOND);
    // A rebuild recreates app's container: its logs go on in the same stream, and the old
    // container's end does not end `up`.
    let mark = s.count();
    p.write("app/v", "two\n");
    s.wait_line(
        "watch: rebuilt app and recreated",
        mark,
        Duration::from_secs(60),
    );
    s.wait_line("app-1  | app says two", mark, START);
    assert!(s.child.try_wait().unwrap().is_none(), "{}", s.output());
    assert_eq!(s.stop(), 130, "{}", s.output());
    for c in [&web, &p.container("app")] {
        let state = p.inspect(c)["State"]["Status"].clone();
        assert_eq!(
            state, "exited",
            "attached up stops its containers on Ctrl-C"
        );
    }
    let _ = p.docker(&["rmi", "-f", &format!("{}-app", p.name)]);
}
