//! Hostile input ends with a clear error in bounded time and memory, never an abort or a hang:
//! deep nesting (block, flow, `- `, `${…}`), aliases that expand to gigabytes, files that never
//! end (`/dev/zero`), files that block (FIFOs), and files too large to be compose files. Each
//! run is capped at 1 GiB of address space and 20 s.

use std::path::Path;
use std::process::{Command, Stdio};

struct Out {
    code: Option<i32>,
    stderr: String,
}

/// `berth ARGS` in `dir` under `ulimit -v` (1 GiB) and a 20 s timeout.
fn bounded(dir: &Path, args: &[&str]) -> Out {
    let o = Command::new("timeout")
        .args(["-s", "KILL", "20", "prlimit", "--as=1073741824", "--"])
        .arg(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("timeout and prlimit (util-linux) run berth");
    Out {
        code: o.status.code(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[track_caller]
fn refused(o: &Out, says: &str) {
    assert_eq!(
        o.code,
        Some(15),
        "exit 15 with an error, got {:?}: {}",
        o.code,
        &o.stderr[..o.stderr.len().min(2000)]
    );
    assert!(
        o.stderr.contains(says),
        "{says:?} in {}",
        &o.stderr[..o.stderr.len().min(2000)]
    );
    assert!(
        o.stderr.len() < 20_000,
        "the message stays short: {} bytes",
        o.stderr.len()
    );
}

const HEAD: &str = "services:\n  a:\n    image: busybox\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn deep_nesting_of_every_kind_is_refused_with_its_depth() {
    let d = tempfile::tempdir().unwrap();
    let mut block = format!("{HEAD}x-deep:\n");
    for i in 1..=5000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    write(d.path(), "block.yaml", &block);
    refused(
        &bounded(d.path(), &["-f", "block.yaml", "config"]),
        "nested more than 256 levels",
    );
    write(
        d.path(),
        "dashes.yaml",
        &format!("{HEAD}x-deep:\n  {}x\n", "- ".repeat(20_000)),
    );
    refused(
        &bounded(d.path(), &["-f", "dashes.yaml", "config"]),
        "nested more than 256 levels",
    );
    write(
        d.path(),
        "flow.yaml",
        &format!(
            "{HEAD}x-deep: {}{}\n",
            "[".repeat(20_000),
            "]".repeat(20_000)
        ),
    );
    refused(
        &bounded(d.path(), &["-f", "flow.yaml", "config"]),
        "recursion limit exceeded",
    );
    write(
        d.path(),
        "interp.yaml",
        &format!(
            "services:\n  a:\n    image: \"{}x{}\"\n",
            "${A:-".repeat(20_000),
            "}".repeat(20_000)
        ),
    );
    refused(
        &bounded(d.path(), &["-f", "interp.yaml", "config"]),
        "nested more than 64 levels",
    );
}

#[test]
fn aliases_are_budgeted_by_what_they_copy() {
    let d = tempfile::tempdir().unwrap();
    // One 1 MB scalar aliased 2,000 times: 2 GB expanded, in a 1 MB file.
    let mut text = format!("x-big: &b \"{}\"\n{HEAD}x-many:\n", "x".repeat(1_000_000));
    text.push_str(&"  - *b\n".repeat(2000));
    write(d.path(), "wide.yaml", &text);
    refused(
        &bounded(d.path(), &["-f", "wide.yaml", "config"]),
        "aliases expand to more than 64 MiB",
    );
    // The classic billion laughs.
    let mut laughs = String::from("x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (i, c) in "bcdefghi".chars().enumerate() {
        let prev = (b'a' + i as u8) as char;
        laughs.push_str(&format!(
            "x-{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    laughs.push_str(HEAD);
    write(d.path(), "laughs.yaml", &laughs);
    refused(
        &bounded(d.path(), &["-f", "laughs.yaml", "config"]),
        "aliases expand",
    );
}

#[test]
fn endless_blocking_and_oversized_files_are_refused_before_reading() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "compose.yaml", HEAD);
    refused(
        &bounded(p, &["-f", "/dev/zero", "config"]),
        "not a regular file",
    );
    refused(
        &bounded(p, &["--env-file", "/dev/zero", "config"]),
        "not a regular file",
    );
    write(
        p,
        "envfile.yaml",
        &format!("{HEAD}    env_file: /dev/zero\n"),
    );
    refused(
        &bounded(p, &["-f", "envfile.yaml", "config"]),
        "not a regular file",
    );
    assert!(Command::new("mkfifo")
        .arg(p.join("pipe"))
        .status()
        .unwrap()
        .success());
    refused(&bounded(p, &["-f", "pipe", "config"]), "named pipe (FIFO)");
    write(p, "fifo-env.yaml", &format!("{HEAD}    env_file: pipe\n"));
    refused(
        &bounded(p, &["-f", "fifo-env.yaml", "config"]),
        "named pipe (FIFO)",
    );
    // 20 MB of comment lines: larger than any compose file.
    write(
        p,
        "huge.yaml",
        &format!(
            "{HEAD}{}",
            "# padding padding padding padding\n".repeat(600_000)
        ),
    );
    refused(
        &bounded(p, &["-f", "huge.yaml", "config"]),
        "larger than 16 MiB",
    );
}

#[test]
fn control_characters_in_the_file_never_reach_the_terminal() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "key.yaml",
        &format!("{HEAD}    \"\u{1b}]0;pwned\u{7}\": 1\n"),
    );
    let o = bounded(d.path(), &["-f", "key.yaml", "config"]);
    refused(&o, "\\u{1b}]0;pwned\\u{7}");
    assert!(
        !o.stderr.contains('\u{1b}') && !o.stderr.contains('\u{7}'),
        "{:?}",
        o.stderr
    );
    write(
        d.path(),
        "required.yaml",
        "services:\n  a:\n    image: \"${MISSING:?\u{1b}[2J\u{1b}[31mgone}\"\n",
    );
    let o = bounded(d.path(), &["-f", "required.yaml", "config"]);
    assert!(o.stderr.contains("MISSING"), "{}", o.stderr);
    assert!(!o.stderr.contains('\u{1b}'), "{:?}", o.stderr);
}

#[test]
fn env_file_errors_name_the_key_and_line_never_the_value() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "compose.yaml", HEAD);
    for (text, says) in [
        (
            "OK=1\nMY SECRET=hunter2\n",
            ".env:2: variable name \"MY SECRET\" cannot contain blanks",
        ),
        (
            "DB_PASSWORD=\"hunter2\n",
            "the value of DB_PASSWORD opens a double quote that is never closed",
        ),
        ("DB_PASSWORD='hunter2\n", "single quote"),
        (
            "DB_PASSWORD=hunter2${\n",
            "in the value of DB_PASSWORD: invalid interpolation format",
        ),
        (
            "MY$KEY=hunter2\n",
            "unexpected character '$' in variable name \"MY$\"",
        ),
        ("=hunter2\n", "missing variable name before '='"),
    ] {
        write(d.path(), ".env", text);
        let o = bounded(d.path(), &["config"]);
        refused(&o, says);
        assert!(!o.stderr.contains("hunter2"), "{text:?}: {}", o.stderr);
    }
}

#[test]
fn numbers_out_of_range_are_errors_at_the_value_with_the_range() {
    let d = tempfile::tempdir().unwrap();
    for (key, at, says) in [
        (
            "deploy: {replicas: 99999999999999999999}",
            "4:24",
            "services.a.deploy.replicas: 1e+20 is out of range",
        ),
        ("scale: 18446744073709551616", "4:12", "services.a.scale:"),
        ("cpus: .inf", "4:11", "expected a finite number"),
        (
            "healthcheck: {test: [CMD, x], retries: -5}",
            "4:44",
            "-5 is out of range: expected a whole number from 0 to",
        ),
        (
            "blkio_config: {weight: 99999}",
            "4:28",
            "expected a whole number from 0 to 65535",
        ),
        (
            "networks: {default: {priority: 1e20}}",
            "4:36",
            "services.a.networks.default.priority",
        ),
    ] {
        write(d.path(), "n.yaml", &format!("{HEAD}    {key}\n"));
        let o = bounded(d.path(), &["-f", "n.yaml", "config"]);
        refused(&o, &format!("n.yaml:{at}: "));
        refused(&o, says);
        assert!(!o.stderr.contains("internal error"), "{}", o.stderr);
    }
}

#[test]
fn text_encodings_as_compose_reads_them() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("bad.yaml"),
        b"services:\n  a:\n    image: \"x\xff\"\n",
    )
    .unwrap();
    let o = bounded(d.path(), &["-f", "bad.yaml", "config"]);
    refused(&o, "bad.yaml:3:14: the file is not UTF-8 text");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(HEAD.encode_utf16().flat_map(|u| u.to_le_bytes()));
    std::fs::write(d.path().join("utf16.yaml"), utf16).unwrap();
    let o = bounded(d.path(), &["-f", "utf16.yaml", "config", "--services"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}

#[test]
fn port_ranges_that_expand_past_the_budget_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut text = String::from(HEAD);
    text.push_str("    ports:\n");
    for i in 1..=8 {
        text.push_str(&format!("      - \"127.0.0.{i}:1-65535:1-65535\"\n"));
    }
    write(d.path(), "ports.yaml", &text);
    let o = bounded(d.path(), &["-f", "ports.yaml", "config"]);
    refused(&o, "ports.yaml:7:9: services.a.ports[2]: the project's port ranges expand to more than 131072 mappings");
    // One full range is a real use: accepted.
    write(
        d.path(),
        "one.yaml",
        &format!("{HEAD}    ports: [\"1-65535:1-65535\"]\n"),
    );
    let o = bounded(d.path(), &["-f", "one.yaml", "config", "--services"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
}
