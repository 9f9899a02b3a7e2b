//! The Compose conformance corpus (../shared/conformance/compose): `berth config --format json`
//! must equal Compose v2's output on every accepted case and reject every rejected case.
//!
//! The corpus is data from other projects: it is read from ../shared, never copied here.

mod common;

use common::json::prune;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/compose")
}

/// Cases where berth deliberately differs from Compose v2.26.1, with the reason. None today:
/// the corpus's one reference bug (e2e-build-ssh, whose JSON output fails in 2.26.1) is
/// compared on its YAML output, as the corpus stores it.
const EXCEPTIONS: &[(&str, &str)] = &[];

fn normalise_paths(text: &str, case_dir: &Path) -> String {
    let dir = case_dir.display().to_string();
    let parent = case_dir
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let home = std::env::var("HOME").unwrap_or_default();
    let mut t = text.replace(&dir, "${CASE_DIR}");
    if !parent.is_empty() {
        t = t.replace(&parent, "${CASE_DIR}/..");
    }
    if !home.is_empty() {
        t = t.replace(&home, "${HOME}");
    }
    t
}

struct Outcome {
    id: String,
    ok: bool,
    detail: String,
}

fn run_case(case: &Value) -> Outcome {
    let id = case["id"].as_str().unwrap_or_default().to_string();
    let (ok, detail) = match check_case(case) {
        Ok(()) => (true, String::new()),
        Err(detail) => (false, detail),
    };
    Outcome { id, ok, detail }
}

/// `berth … config` as the case runs it: its environment only, its directory, its arguments.
fn berth_config(case: &Value, dir: &Path) -> Command {
    config_command(env!("CARGO_BIN_EXE_berth"), case, dir)
}

/// `PROGRAM … config` as the case runs it (berth, or the reference `compose-v2`).
fn config_command(program: &str, case: &Value, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("HOME", std::env::var("HOME").unwrap_or_default());
    if let Some(env) = case["env"].as_object() {
        for (k, v) in env {
            cmd.env(k, v.as_str().unwrap_or_default());
        }
    }
    cmd.current_dir(dir.join(case["workdir"].as_str().unwrap_or(".")));
    for a in case["args"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().unwrap_or_default());
    }
    cmd.arg("config");
    cmd
}

/// Runs berth on one case: Ok when it does what the case expects, else what went wrong.
fn check_case(case: &Value) -> Result<(), String> {
    let dir = corpus().join(case["dir"].as_str().unwrap_or_default());
    let dir = dir.canonicalize().unwrap_or(dir);
    let mut cmd = berth_config(case, &dir);
    for a in case["config_flags"].as_array().into_iter().flatten() {
        cmd.arg(a.as_str().unwrap_or_default());
    }
    let result = case["result"].as_str().unwrap_or_default();
    if result == "accepted-yaml-only" {
        cmd.args(["--format", "yaml"]);
    } else {
        cmd.args(["--format", "json"]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run berth: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let want_code = case["exit_code"].as_i64().unwrap_or(0) as i32;
    let code = out.status.code().unwrap_or(-1);
    match result {
        "rejected" => {
            if code == want_code {
                return Ok(());
            }
            let expected =
                std::fs::read_to_string(dir.join("expected-error.txt")).unwrap_or_default();
            Err(format!(
                "want exit {want_code} ({}), got {code}: {}",
                expected.trim(),
                stderr.trim()
            ))
        }
        "accepted-yaml-only" => {
            let want = std::fs::read_to_string(dir.join("expected.yaml")).unwrap_or_default();
            let got = normalise_paths(&stdout, &dir);
            if code == 0 && got == want {
                return Ok(());
            }
            Err(format!(
                "exit {code}\n--- want\n{want}\n--- got\n{got}\n{stderr}"
            ))
        }
        _ => {
            if code != 0 {
                return Err(format!("exit {code}: {}", stderr.trim()));
            }
            let got: Value = serde_json::from_str(&normalise_paths(&stdout, &dir))
                .map_err(|e| format!("output is not JSON ({e}): {stdout}"))?;
            let want: Value = serde_json::from_str(
                &std::fs::read_to_string(dir.join("expected.json")).unwrap_or_default(),
            )
            .unwrap_or(Value::Null);
            let (g, w) = (prune(&got), prune(&want));
            if g == w {
                return check_hash(case, &dir);
            }
            Err(format!(
                "--- want\n{}\n--- got\n{}",
                serde_json::to_string_pretty(&w).unwrap_or_default(),
                serde_json::to_string_pretty(&g).unwrap_or_default()
            ))
        }
    }
}

/// Cases whose recorded hash depends on where the corpus was recorded: Compose v2 hashes
/// `env_file` and `extends.file` as absolute paths. For these berth is compared with the
/// reference `compose-v2` run here, on the same paths (scripts/test.sh installs it).
const PATH_DEPENDENT_HASHES: &[&str] = &[
    "cg-cli-env-file-dotenv-compose-file",
    "cg-cli-env-files-override",
    "p-dotenv-syntax",
    "p-env-file-service-precedence",
    "cg-extends-file",
    "cg-include-extends-imported",
];

/// Where the case records Compose v2's `config --hash '*'` (the `config-hash` label of each
/// service), berth's must be the same: then each tool takes the other's containers as they are.
fn check_hash(case: &Value, dir: &Path) -> Result<(), String> {
    let Ok(mut want) = std::fs::read_to_string(dir.join("expected-hash.txt")) else {
        return Ok(());
    };
    let id = case["id"].as_str().unwrap_or_default();
    let hash_of = |mut cmd: Command| {
        cmd.args(["--hash", "*"]);
        cmd.output()
            .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
            .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))
    };
    if PATH_DEPENDENT_HASHES.contains(&id) {
        want = hash_of(config_command("compose-v2", case, dir)).map_err(|e| {
            format!("{e} (install it: ../shared/tools/install-reference-compose.sh)")
        })?;
    }
    let got = hash_of(berth_config(case, dir))?;
    let sorted = |t: &str| {
        let mut l: Vec<String> = t.lines().map(str::to_string).collect();
        l.sort();
        l
    };
    if !want.trim().is_empty() && sorted(&got) == sorted(&want) {
        return Ok(());
    }
    Err(format!(
        "config --hash differs\n--- want (Compose v2)\n{want}--- got\n{got}"
    ))
}

#[test]
fn compose_conformance_corpus() {
    let cases: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("cases.json"))
            .expect("../shared/conformance/compose/cases.json"),
    )
    .expect("cases.json is JSON");
    let cases = cases.as_array().expect("a list of cases");
    let only = std::env::var("CASE").ok();
    let mut passed = 0;
    let mut failed = Vec::new();
    let mut total = 0;
    for case in cases {
        let id = case["id"].as_str().unwrap_or_default();
        if only.as_deref().map(|o| !id.contains(o)).unwrap_or(false) {
            continue;
        }
        total += 1;
        let o = run_case(case);
        if o.ok {
            passed += 1;
        } else if EXCEPTIONS.iter().any(|(e, _)| *e == o.id) {
            println!(
                "exception {}: {}",
                o.id,
                EXCEPTIONS
                    .iter()
                    .find(|(e, _)| *e == o.id)
                    .map(|(_, r)| *r)
                    .unwrap_or("")
            );
        } else {
            failed.push(o);
        }
    }
    for f in &failed {
        println!("FAIL {}\n{}\n", f.id, f.detail);
    }
    let exceptions = total - passed - failed.len();
    println!("conformance: {passed}/{total} passed, {exceptions} named exceptions");
    let names: Vec<&str> = failed.iter().map(|f| f.id.as_str()).collect();
    assert!(
        failed.is_empty(),
        "{} cases fail: {}",
        failed.len(),
        names.join(", ")
    );
}
