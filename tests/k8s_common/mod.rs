//! Shared helpers of the convert and lint tests: running berth, and the offline Kubernetes
//! tools of scripts/k8s-tools.sh (kubernetes-validate, helm-python-sdk) through
//! tests/k8s/check.py. Missing tools fail the tests: they are never skipped.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/convert").join(name)
}

/// The kompose corpus (data from another project: read in place, never copied).
pub fn kompose() -> PathBuf {
    let p = repo().join("../shared/conformance/kompose");
    assert!(
        p.join("cases.json").is_file(),
        "the kompose corpus is missing at {}",
        p.display()
    );
    p
}

/// A temporary project directory holding `files` (name, text).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).expect("write");
    }
    tmp
}

/// The Python of `.venv-k8s`; fails the test when the tools are not installed.
pub fn python() -> PathBuf {
    let py = repo().join(".venv-k8s/bin/python");
    assert!(
        py.is_file(),
        "{} is missing: run `bash scripts/k8s-tools.sh` to install kubernetes-validate and helm-python-sdk",
        py.display()
    );
    py
}

/// Runs berth with a clean environment (only PATH), in `cwd`.
pub fn berth(args: &[&str], cwd: &Path) -> Output {
    berth_env(args, cwd, &[])
}

pub fn berth_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_berth"));
    c.args(args).current_dir(cwd).env_clear();
    if let Ok(p) = std::env::var("PATH") {
        c.env("PATH", p);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run berth")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts success and returns stdout.
pub fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({:?}):\n{}",
        o.status.code(),
        stderr(&o)
    );
    stdout(&o)
}

fn run_check(args: &[&str]) -> Value {
    let out = Command::new(python())
        .arg(repo().join("tests/k8s/check.py"))
        .args(args)
        .output()
        .expect("run tests/k8s/check.py");
    assert!(
        out.status.success(),
        "tests/k8s/check.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check.py printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Validates every document under `paths` for Kubernetes 1.29 to 1.32 (strict; a WARN fails).
pub fn validate(paths: &[&Path]) -> Value {
    let mut args = vec!["validate".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = run_check(&refs);
    assert!(
        v["ok"] == Value::Bool(true),
        "schema validation failed: {}",
        serde_json::to_string_pretty(&v["failures"]).unwrap_or_default()
    );
    v
}

/// helm lint --strict for 1.29 to 1.32, render with `values`, validate the rendering, and
/// compare it with `plain` when given. Returns check.py's report (with `documents`).
pub fn chart(chart: &Path, plain: Option<&Path>, release: &str, values: Option<&Value>) -> Value {
    let mut args = vec![
        "chart".to_string(),
        chart.display().to_string(),
        "--release".into(),
        release.into(),
    ];
    if let Some(p) = plain {
        args.push("--plain".into());
        args.push(p.display().to_string());
    }
    if let Some(v) = values {
        args.push("--values".into());
        args.push(v.to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = run_check(&refs);
    assert!(
        v["ok"] == Value::Bool(true),
        "chart check of {} failed: {}",
        chart.display(),
        serde_json::to_string_pretty(&v["failures"]).unwrap_or_default()
    );
    v
}

/// Rendering with `values` must fail on the values schema.
pub fn chart_rejects(chart: &Path, values: &Value) -> String {
    let args = [
        "chart".to_string(),
        chart.display().to_string(),
        "--values".into(),
        values.to_string(),
        "--expect-values-error".into(),
    ];
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let v = run_check(&refs);
    assert!(
        v["ok"] == Value::Bool(true),
        "values {values} were accepted"
    );
    v["error"].as_str().unwrap_or_default().to_string()
}

/// The objects of a JSON `List` printed by `berth convert --format json`.
pub fn objects(json_list: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(json_list).expect("convert printed JSON");
    v["items"].as_array().cloned().unwrap_or_default()
}

pub fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| {
            let have: Vec<String> = objs
                .iter()
                .map(|o| format!("{}/{}", o["kind"], o["metadata"]["name"]))
                .collect();
            panic!("no {kind}/{name} among {have:?}")
        })
}

/// The Job made from compose service `service` (Jobs are named after their spec:
/// `migrate-1a2b3c4d`), found by its `app.kubernetes.io/name` label.
pub fn find_job<'a>(objs: &'a [Value], service: &str) -> &'a Value {
    let jobs: Vec<&Value> = objs
        .iter()
        .filter(|o| {
            o["kind"] == "Job" && o["metadata"]["labels"]["app.kubernetes.io/name"] == service
        })
        .collect();
    assert_eq!(jobs.len(), 1, "one Job of {service}: {jobs:?}");
    let name = jobs[0]["metadata"]["name"].as_str().unwrap_or_default();
    let hash = name
        .strip_prefix(&format!("{service}-"))
        .unwrap_or_default();
    assert!(
        hash.len() == 8 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "the Job of {service} is not named after its spec: {name}"
    );
    jobs[0]
}

/// The pod spec of a workload object.
pub fn pod_spec(o: &Value) -> &Value {
    if o["kind"] == "CronJob" {
        &o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    } else {
        &o["spec"]["template"]["spec"]
    }
}
