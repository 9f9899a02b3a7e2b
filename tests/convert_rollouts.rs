//! Updates, rollbacks and one-shot tasks, on real `berth convert` output: `update_config` as
//! the update strategy and `minReadySeconds`, the revisions `kubectl rollout undo` goes back to,
//! Jobs named after their spec and made Helm hooks so that an upgrade runs them again, and the
//! dependency-wait scripts, run with `sh` as the kubelet would start them. Every output
//! validates for Kubernetes 1.29 to 1.32 and charts pass `helm lint --strict` (needs `bash
//! scripts/k8s-tools.sh`; the tests fail without it).

mod k8s_common;

use std::path::Path;
use std::process::Command;

use k8s_common::*;
use serde_json::{json, Value};

/// The line of `text` (1-based) that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    line_after(text, "", needle)
}

/// The first line of `text` (1-based) that contains `needle`, after the one with `anchor`.
fn line_after(text: &str, anchor: &str, needle: &str) -> usize {
    let start = text.lines().position(|l| l.contains(anchor)).unwrap_or(0);
    text.lines()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in the compose file after {anchor:?}"))
        .0
        + 1
}

fn convert_json(dir: &Path, env: &[(&str, &str)]) -> Vec<Value> {
    objects(&ok(
        berth_env(&["convert", "-q", "--format", "json"], dir, env),
        "convert --format json",
    ))
}

/// Writes the plain YAML output (for `validate` and the chart comparison) and returns its path.
fn plain_yaml(dir: &Path, env: &[(&str, &str)], out: &Path) -> std::path::PathBuf {
    let yaml = ok(berth_env(&["convert", "-q"], dir, env), "convert");
    std::fs::write(out, yaml).expect("write");
    out.to_path_buf()
}

const UPDATES: &str = "\
name: shop
services:
  api:
    image: shop/api:1.4.2
    deploy:
      replicas: 4
      update_config:
        order: start-first
        parallelism: 2
        monitor: 1500ms
        delay: 10s
        failure_action: rollback
        max_failure_ratio: 0.25
      rollback_config:
        parallelism: 1
        order: start-first
  worker:
    image: shop/worker:1.4.2
    deploy:
      replicas: 3
      update_config:
        parallelism: 0
  plain:
    image: shop/plain:1.4.2
  db:
    image: postgres:16.2
    volumes: [pgdata:/var/lib/postgresql/data]
    deploy:
      update_config:
        order: start-first
        monitor: 5s
  agent:
    image: shop/agent:1.4.2
    deploy:
      mode: global
      update_config:
        order: start-first
volumes:
  pgdata: {}
";

/// `update_config` becomes the strategy (start-first: maxSurge = parallelism, maxUnavailable 0;
/// stop-first: maxUnavailable = parallelism; 0 is all of them), `monitor` minReadySeconds, and
/// every workload keeps 10 revisions; what has no field is said once, with what to use instead.
#[test]
fn update_config_is_the_strategy_and_the_rest_says_what_to_use() {
    let tmp = project(&[("compose.yaml", UPDATES)]);
    let d = tmp.path();
    let o = convert_json(d, &[]);
    let api = &find(&o, "Deployment", "api")["spec"];
    assert_eq!(
        api["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}})
    );
    assert_eq!(api["minReadySeconds"], 2, "1500ms rounded up");
    assert_eq!(api["revisionHistoryLimit"], 10);
    assert_eq!(
        find(&o, "Deployment", "worker")["spec"]["strategy"]["rollingUpdate"],
        json!({"maxSurge": 0, "maxUnavailable": "100%"})
    );
    let plain = &find(&o, "Deployment", "plain")["spec"];
    assert!(
        plain.get("strategy").is_none(),
        "Kubernetes' default strategy: {plain}"
    );
    assert_eq!(plain["revisionHistoryLimit"], 10);
    let db = &find(&o, "StatefulSet", "db")["spec"];
    assert_eq!(db["minReadySeconds"], 5);
    assert_eq!(db["revisionHistoryLimit"], 10);
    let agent = &find(&o, "DaemonSet", "agent")["spec"];
    assert_eq!(
        agent["updateStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
    );
    assert_eq!(agent["revisionHistoryLimit"], 10);

    // The report, as the user reads it: file:line, what happens, what to use instead.
    let out = berth(&["convert", "-v"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let at = |needle: &str| format!("compose.yaml:{}: ", line_of(UPDATES, needle));
    let p = "services.api.deploy";
    for want in [
        format!("{}note: {p}.update_config.monitor: 1.5s is rounded up to 2s (Kubernetes counts whole seconds)", at("monitor: 1500ms")),
        format!("{}warning: {p}.update_config.delay: delay 10s: Kubernetes does not wait between the batches of an update: ignored\n    fix: use monitor: each batch then counts as done only after its new pods have been ready that long (minReadySeconds), which spaces the batches", at("delay: 10s")),
        format!("{}warning: {p}.update_config.failure_action: Kubernetes never rolls back by itself: a rollout whose new pods do not become ready stops where it is (the old pods keep serving) and is marked failed after progressDeadlineSeconds (600 s)\n    fix: roll back with `kubectl rollout undo deployment/api`, or `helm rollback RELEASE` for a chart", at("failure_action: rollback")),
        format!("{}warning: {p}.update_config.max_failure_ratio: 0.25: Kubernetes tolerates no failed pods in a rollout", at("max_failure_ratio")),
        format!("{}warning: {p}.rollback_config: Kubernetes has no rollback settings: a rollback is a rollout back to an earlier revision, done with the update strategy (update_config); the last 10 revisions are kept (revisionHistoryLimit): ignored\n    fix: roll back with `kubectl rollout undo deployment/api` (`--to-revision=N`; `kubectl rollout history` lists them), or `helm rollback RELEASE` for a chart", at("rollback_config:")),
        format!("compose.yaml:{}: warning: services.db.deploy.update_config.order: a StatefulSet stops each pod before it starts the replacement", line_after(UPDATES, "  db:", "order: start-first")),
    ] {
        assert!(err.contains(&want), "missing:\n{want}\nin:\n{err}");
    }
    assert_eq!(
        err.matches("rollback_config").count(),
        1,
        "one warning: {err}"
    );

    // Valid for 1.29 to 1.32, as a stream and a file per object; the chart renders the same.
    let out_dir = tempfile::tempdir().expect("tempdir");
    let yaml = plain_yaml(d, &[], &out_dir.path().join("plain.yaml"));
    let files = out_dir.path().join("files");
    let f = files.display().to_string();
    ok(berth(&["convert", "-q", "-o", &f], d), "convert -o");
    validate(&[&yaml, &files]);
    let chart_dir = out_dir.path().join("chart");
    let c = chart_dir.display().to_string();
    ok(
        berth(&["convert", "-q", "--chart", &c], d),
        "convert --chart",
    );
    chart(&chart_dir, Some(&yaml), "shop", None);
}

fn jobs_compose() -> String {
    "\
name: shop
services:
  db:
    image: postgres:16.2
    expose: [\"5432\"]
    healthcheck:
      test: [\"CMD\", \"pg_isready\"]
  migrate:
    image: shop/web:${TAG}
    command: [\"flask\", \"db\", \"upgrade\"]
    restart: \"no\"
    depends_on:
      db: {condition: service_healthy}
  kong-migrations:
    image: kong:3.9.1
    command: kong migrations bootstrap
    restart: on-failure
    depends_on: [db]
  web:
    image: shop/web:${TAG}
    expose: [\"5000\"]
    depends_on:
      migrate: {condition: service_completed_successfully}
"
    .to_string()
}

/// A Job's pod template is immutable, so a changed task must be a new Job: its name is a hash
/// of its spec, and the pods (and the Role) that wait for it follow that name. A Job nothing
/// waits for is deleted a day after it finished; one that pods wait for stays, for pods that
/// start later. Kong-style one-shots (`restart: on-failure`, nothing of a server) are Jobs.
#[test]
fn jobs_are_named_after_their_spec_and_waiters_follow() {
    let compose = jobs_compose();
    let tmp = project(&[("compose.yaml", &compose)]);
    let d = tmp.path();
    let v1 = convert_json(d, &[("TAG", "1.0")]);
    let again = convert_json(d, &[("TAG", "1.0")]);
    let v2 = convert_json(d, &[("TAG", "1.1")]);
    let name = |o: &[Value]| {
        find_job(o, "migrate")["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let (n1, n2) = (name(&v1), name(&v2));
    assert_eq!(n1, name(&again), "the same task keeps its name");
    assert_ne!(n1, n2, "a new image is a new Job");
    for (o, job) in [(&v1, &n1), (&v2, &n2)] {
        let migrate = find_job(o, "migrate");
        assert!(
            migrate["spec"].get("ttlSecondsAfterFinished").is_none(),
            "web waits for it: kept"
        );
        let web = pod_spec(find(o, "Deployment", "web"));
        let script = web["initContainers"][0]["command"][2]
            .as_str()
            .unwrap_or_default();
        assert!(script.contains(&format!("/jobs/{job}\"")), "{script}");
        assert_eq!(
            find(o, "Role", "web-wait")["rules"][0]["resourceNames"],
            json!([job])
        );
    }
    let kong = find_job(&v1, "kong-migrations");
    assert_eq!(pod_spec(kong)["restartPolicy"], "OnFailure");
    assert_eq!(kong["spec"]["ttlSecondsAfterFinished"], 86400);
    assert!(!v1
        .iter()
        .any(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "kong-migrations"));

    let out = berth_env(&["convert"], d, &[("TAG", "1.0")]);
    let err = stderr(&out);
    let want = format!(
        "compose.yaml:{}: warning: services.kong-migrations.restart: restart on-failure, no ports, no healthcheck, and no service waits for it to start: a one-shot task, converted to a Job (it runs until it succeeds, as with Compose)\n    fix: if it is a long-running worker, set x-berth.kind: deployment",
        line_of(&compose, "restart: on-failure")
    );
    assert!(err.contains(&want), "{err}");

    // -o DIR: the new Job is a new file; the old one is named as left over.
    let out_dir = tempfile::tempdir().expect("tempdir");
    let files = out_dir.path().join("k8s");
    let f = files.display().to_string();
    ok(
        berth_env(&["convert", "-q", "-o", &f], d, &[("TAG", "1.0")]),
        "-o",
    );
    let out = berth_env(&["convert", "-o", &f], d, &[("TAG", "1.1")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(files.join(format!("11-job-{n2}.yaml")).is_file());
    assert!(
        stderr(&out).contains(&format!("11-job-{n1}.yaml was not written by this run")),
        "{}",
        stderr(&out)
    );
    let yaml = plain_yaml(d, &[("TAG", "1.0")], &out_dir.path().join("plain.yaml"));
    validate(&[&yaml]);
}

/// In a chart, every Job is a Helm hook, made again on each install and upgrade (so `helm
/// upgrade` with a new tag runs it instead of failing on an immutable field): after the install
/// (what it waits for is part of the release), before an upgrade (the new pods that wait for it
/// start after it ran). A Job that pods wait for is kept until the next upgrade; another one is
/// deleted once it succeeded. Apart from these annotations the rendering is the plain output.
#[test]
fn chart_jobs_are_hooks_that_upgrades_run_again() {
    let compose = jobs_compose();
    let tmp = project(&[("compose.yaml", &compose)]);
    let d = tmp.path();
    let env = [("TAG", "1.0")];
    let out_dir = tempfile::tempdir().expect("tempdir");
    let plain = plain_yaml(d, &env, &out_dir.path().join("plain.yaml"));
    let chart_dir = out_dir.path().join("chart");
    let c = chart_dir.display().to_string();
    ok(
        berth_env(&["convert", "-q", "--chart", &c], d, &env),
        "--chart",
    );
    let report = chart(&chart_dir, Some(&plain), "customer-a", None);
    let docs = report["documents"].as_array().cloned().unwrap_or_default();
    let migrate = find_job(&docs, "migrate")["metadata"]["name"].clone();
    let kong = find_job(&docs, "kong-migrations")["metadata"]["name"].clone();
    let hooks = &report["hooks"];
    assert_eq!(
        hooks[migrate.as_str().unwrap_or_default()],
        json!({"helm.sh/hook": "post-install,pre-upgrade", "helm.sh/hook-weight": "0", "helm.sh/hook-delete-policy": "before-hook-creation"})
    );
    assert_eq!(
        hooks[kong.as_str().unwrap_or_default()],
        json!({"helm.sh/hook": "post-install,pre-upgrade", "helm.sh/hook-weight": "0", "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded"})
    );
    assert_eq!(
        hooks.as_object().map(|h| h.len()),
        Some(2),
        "only Jobs: {hooks}"
    );
    // `helm upgrade --set services.migrate.image.tag=1.1`: the Job renders with the new image
    // and is still a hook, which Helm deletes and creates again.
    let values = json!({"services": {"migrate": {"image": {"tag": "1.1"}}}});
    let report = chart(&chart_dir, None, "customer-a", Some(&values));
    let docs = report["documents"].as_array().cloned().unwrap_or_default();
    let job = find_job(&docs, "migrate");
    assert_eq!(pod_spec(job)["containers"][0]["image"], "shop/web:1.1");
    assert!(
        report["hooks"][job["metadata"]["name"].as_str().unwrap_or_default()]["helm.sh/hook"]
            .is_string(),
        "{}",
        report["hooks"]
    );
}

/// A directory of stand-in tools for the wait scripts: the host's `sed`, `grep` and `cat`, a
/// `sleep` that returns at once, a `date` that jumps past the deadline after its first call,
/// and each of `fakes` (name, shell body).
fn tools(fakes: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let bin = dir.path();
    for t in ["sed", "grep", "cat"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(t))
            .find(|p| p.is_file())
            .unwrap_or_else(|| panic!("no {t} on this machine"));
        std::os::unix::fs::symlink(found, bin.join(t)).expect("symlink");
    }
    let clock = bin.join("clock");
    let date = format!(
        "if [ -e {c} ]; then echo 2000000000; else : > {c}; echo 1000000000; fi",
        c = clock.display()
    );
    for (name, body) in [("sleep", ":"), ("date", date.as_str())]
        .into_iter()
        .chain(fakes.iter().copied())
    {
        let p = bin.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write tool");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    dir
}

/// Runs an init container's script as the kubelet starts it (`$$` is the kubelet's escape of
/// `$`) with only `bin` on the PATH: exit code and stderr.
fn run_script(script: &str, bin: &Path) -> (i32, String) {
    let o = Command::new("/bin/sh")
        .args(["-c", &script.replace("$$", "$")])
        .env_clear()
        .env("PATH", bin)
        .output()
        .expect("run sh");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The wait scripts never loop forever: an image without the tool (or with an `nc` that has no
/// `-z`, as Debian's busybox) fails at once with a message naming `--wait-image`; a dependency
/// that never answers fails after 600 s with the last error; a Job that failed fails the wait.
#[test]
fn wait_scripts_fail_with_a_message_instead_of_waiting_forever() {
    let compose = jobs_compose();
    let tmp = project(&[("compose.yaml", &compose)]);
    let o = convert_json(tmp.path(), &[("TAG", "1.0")]);
    let job = find_job(&o, "migrate");
    let job_name = job["metadata"]["name"].as_str().unwrap_or_default();
    let wait_db = pod_spec(job)["initContainers"][0]["command"][2]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wait_job = pod_spec(find(&o, "Deployment", "web"))["initContainers"][0]["command"][2]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let hint =
        "use an image with nc, nslookup and sed (busybox) with --wait-image or x-berth.wait_image";

    let bin = tools(&[]);
    let (code, err) = run_script(&wait_db, bin.path());
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.trim(),
        format!("wait-for-db: this image has no nc, so it cannot wait for db:5432: {hint}")
    );

    let bin = tools(&[(
        "nc",
        "echo \"nc: invalid option -- 'z'\" >&2; echo 'Usage: nc [-iN] [-wN] [-l] [-p PORT]' >&2; exit 1",
    )]);
    let (code, err) = run_script(&wait_db, bin.path());
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err.trim(),
        format!("wait-for-db: this image's nc has no -z (a port check), so it cannot wait for db:5432: {hint}")
    );

    let bin = tools(&[("nc", "echo \"nc: bad address '$4'\" >&2; exit 1")]);
    let (code, err) = run_script(&wait_db, bin.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "wait-for-db: db:5432 did not accept connections within 600 s (nc: bad address 'db"
        ),
        "{err}"
    );
    assert!(
        err.contains("is it ready? kubectl get pods -l app.kubernetes.io/name=db"),
        "{err}"
    );

    let bin = tools(&[("nc", "exit 0")]);
    assert_eq!(run_script(&wait_db, bin.path()), (0, String::new()));

    // Waiting for the Job through the API.
    let bin = tools(&[]);
    let (code, err) = run_script(&wait_job, bin.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("wait-for-migrate: this image has no curl, so it cannot wait for job {job_name}: use an image with curl and grep (curlimages/curl) with --job-wait-image or x-berth.job_wait_image")),
        "{err}"
    );
    let bin = tools(&[(
        "curl",
        "echo '{\"kind\":\"Job\",\"status\":{\"succeeded\":1}}'",
    )]);
    let (code, err) = run_script(&wait_job, bin.path());
    assert_eq!(code, 0, "{err}");
    let bin = tools(&[(
        "curl",
        "echo '{\"kind\":\"Job\",\"status\":{\"conditions\":[{\"type\":\"Failed\",\"status\":\"True\"}],\"failed\":1}}'",
    )]);
    let (code, err) = run_script(&wait_job, bin.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "wait-for-migrate: job {job_name} failed: kubectl logs job/{job_name}"
        )),
        "{err}"
    );
    let bin = tools(&[(
        "curl",
        "echo 'curl: (22) The requested URL returned error: 404' >&2; exit 22",
    )]);
    let (code, err) = run_script(&wait_job, bin.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("wait-for-migrate: job {job_name} did not complete within 600 s (curl: (22) The requested URL returned error: 404): kubectl describe job/{job_name}")),
        "{err}"
    );
}
