//! The wild corpus (../shared/conformance/wild): 80 real-world cases from 42 public projects,
//! each run as its project's docs run it. `berth config --format json` must equal Compose
//! v2's output, recorded with the reference `compose-v2` into tests/fixtures/wild (the cases
//! themselves are other projects' data, read from ../shared and never copied here); where
//! Compose v2 refuses a case, berth must refuse it too, with the same exit code and an error
//! that points into the file. Each service's `config --hash` must equal Compose v2's, run
//! side by side (the hash holds absolute paths, so it is not recorded).
//!
//! To record again after a new Compose v2 or a new case:
//! `BERTH_RECORD_WILD=1 cargo nextest run --test wild config`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/wild/cases")
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wild")
}

/// Differences from Compose v2 that berth keeps on purpose, by case, with the reason. None.
const EXCEPTIONS: &[(&str, &str)] = &[];

struct Case {
    id: String,
    dir: PathBuf,
    spec: Value,
}

fn cases() -> Vec<Case> {
    let only = std::env::var("CASE").ok();
    let mut out: Vec<Case> = std::fs::read_dir(cases_dir())
        .expect("../shared/conformance/wild/cases")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("case.json").is_file())
        .map(|e| {
            let dir = e.path().canonicalize().unwrap_or(e.path());
            let spec: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("case.json")).unwrap())
                    .expect("case.json is JSON");
            Case {
                id: e.file_name().to_string_lossy().into_owned(),
                dir,
                spec,
            }
        })
        .filter(|c| only.as_deref().is_none_or(|o| c.id.contains(o)))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// `PROGRAM -f … -p … --profile … [extra] ARGS` as the case's project runs it: a clean
/// environment (PATH, HOME and the case's own variables), in the case's working directory.
fn command(program: &str, case: &Case, args: &[&str]) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", std::env::var("HOME").unwrap_or_default());
    for (k, v) in case.spec["env"].as_object().into_iter().flatten() {
        cmd.env(k, v.as_str().unwrap_or_default());
    }
    cmd.current_dir(case.dir.join(case.spec["workdir"].as_str().unwrap_or(".")));
    let strs = |key: &str| -> Vec<String> {
        case.spec[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    for f in strs("compose_files") {
        cmd.args(["-f", &f]);
    }
    if let Some(p) = case.spec["project"].as_str() {
        cmd.args(["-p", p]);
    }
    for p in strs("profiles") {
        cmd.args(["--profile", &p]);
    }
    cmd.args(strs("extra_args"));
    cmd.args(args);
    cmd
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(program: &str, case: &Case, args: &[&str]) -> Out {
    let out = command(program, case, args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The case's directory, the corpus root (a build context may climb out of the case, as
/// lemmy's does) and the home directory, as placeholders: the fixture holds no path of the
/// machine it was recorded on.
fn normalise(text: &str, case: &Case) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let root = cases_dir()
        .parent()
        .map(|p| p.canonicalize().unwrap_or(p.to_path_buf()));
    let mut t = text.replace(&case.dir.display().to_string(), "${CASE_DIR}");
    if let Some(root) = root {
        t = t.replace(&root.display().to_string(), "${WILD}");
    }
    if home.is_empty() {
        t
    } else {
        t.replace(&home, "${HOME}")
    }
}

const CONFIG: &[&str] = &["config", "--format", "json"];

/// The fixture: Compose v2's exit code and, when it accepted the case, its model; when it
/// refused it, its error.
fn record(case: &Case) -> Value {
    let v2 = run("compose-v2", case, CONFIG);
    if v2.code == 0 {
        let model: Value = serde_json::from_str(&normalise(&v2.stdout, case))
            .unwrap_or_else(|e| panic!("{}: compose-v2 printed no JSON: {e}", case.id));
        json!({"exit_code": 0, "config": model})
    } else {
        json!({"exit_code": v2.code, "error": normalise(v2.stderr.trim(), case)})
    }
}

/// Ok when berth does what the fixture recorded of Compose v2, else what differs.
fn check(case: &Case, want: &Value) -> Result<(), String> {
    let got = run(env!("CARGO_BIN_EXE_berth"), case, CONFIG);
    let want_code = want["exit_code"].as_i64().unwrap_or(-1) as i32;
    if got.code != want_code {
        return Err(format!(
            "exit {} where Compose v2 exits {want_code} ({})\n{}",
            got.code,
            want["error"].as_str().unwrap_or("its model"),
            got.stderr.trim()
        ));
    }
    if want_code != 0 {
        // Both refuse: berth's error names the file, line and column and says what to do.
        let first = got.stderr.lines().next().unwrap_or_default();
        let placed = first
            .strip_prefix("berth: ")
            .and_then(|rest| rest.split(": ").next())
            .is_some_and(|place| {
                place
                    .split(':')
                    .filter(|p| p.parse::<u32>().is_ok())
                    .count()
                    == 2
            });
        if !placed || !got.stderr.contains("hint: ") {
            return Err(format!(
                "berth's error does not point into the file or give a hint:\n{}",
                got.stderr
            ));
        }
        return Ok(());
    }
    let model: Value = serde_json::from_str(&normalise(&got.stdout, case))
        .map_err(|e| format!("berth printed no JSON ({e})"))?;
    if model == want["config"] {
        return Ok(());
    }
    Err(first_difference(&want["config"], &model, String::new())
        .unwrap_or_else(|| "the models differ".into()))
}

/// The first place where two models differ, as `key.path: want … got …`.
fn first_difference(want: &Value, got: &Value, at: String) -> Option<String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            let keys: std::collections::BTreeSet<&String> = w.keys().chain(g.keys()).collect();
            keys.into_iter().find_map(|k| {
                let null = Value::Null;
                first_difference(
                    w.get(k).unwrap_or(&null),
                    g.get(k).unwrap_or(&null),
                    format!("{at}.{k}"),
                )
            })
        }
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => w
            .iter()
            .zip(g)
            .enumerate()
            .find_map(|(i, (w, g))| first_difference(w, g, format!("{at}[{i}]"))),
        _ if want == got => None,
        _ => Some(format!("{at}: Compose v2 has {want}, berth has {got}")),
    }
}

fn report(name: &str, results: Vec<(String, Result<(), String>)>) {
    let total = results.len();
    let mut failed = Vec::new();
    for (id, r) in results {
        match r {
            Ok(()) => {}
            Err(_) if EXCEPTIONS.iter().any(|(e, _)| *e == id) => {}
            Err(detail) => {
                println!("FAIL {id}\n{detail}\n");
                failed.push(id);
            }
        }
    }
    println!(
        "wild {name}: {}/{total} equal Compose v2's",
        total - failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} cases differ: {}",
        failed.len(),
        failed.join(", ")
    );
}

#[test]
fn wild_corpus_config_equals_compose_v2() {
    let recording = std::env::var_os("BERTH_RECORD_WILD").is_some();
    let mut results = Vec::new();
    for case in cases() {
        let fixture = fixtures_dir().join(format!("{}.json", case.id));
        if recording {
            std::fs::create_dir_all(fixtures_dir()).unwrap();
            let text = serde_json::to_string(&record(&case)).unwrap() + "\n";
            std::fs::write(&fixture, text).unwrap();
        }
        let want: Value = match std::fs::read_to_string(&fixture) {
            Ok(t) => serde_json::from_str(&t).expect("fixture is JSON"),
            Err(_) => {
                results.push((
                    case.id.clone(),
                    Err(format!(
                        "no fixture {} (record it: BERTH_RECORD_WILD=1 cargo nextest run --test wild)",
                        fixture.display()
                    )),
                ));
                continue;
            }
        };
        let r = check(&case, &want);
        results.push((case.id, r));
    }
    report("config", results);
}

#[test]
fn wild_corpus_hashes_equal_compose_v2() {
    let mut results = Vec::new();
    for case in cases() {
        let hashes = |program: &str| {
            let o = run(program, &case, &["config", "--hash", "*"]);
            let mut lines: Vec<String> = o.stdout.lines().map(str::to_string).collect();
            lines.sort();
            (o.code, lines)
        };
        let theirs = hashes("compose-v2");
        // Compose v2's `--hash` skips what `config` checks (a missing env_file, say): compare
        // only where its `config` accepts the case, which the other test checks.
        if theirs.0 != 0 || run("compose-v2", &case, &["config", "-q"]).code != 0 {
            continue;
        }
        let ours = hashes(env!("CARGO_BIN_EXE_berth"));
        let r = if ours == theirs {
            Ok(())
        } else {
            Err(format!("Compose v2: {:?}\nberth:      {:?}", theirs, ours))
        };
        results.push((case.id, r));
    }
    report("config --hash", results);
}
