//! The kompose corpus (../shared/conformance/kompose): berth converts every case, every output
//! validates for Kubernetes 1.29 to 1.32, and where kompose's expected output has a known defect
//! (kompose.md §6, the corpus MANIFEST) berth's output is checked to be the better one. The
//! differences are tabled in docs/convert.md.

mod k8s_common;

use std::collections::BTreeSet;

use k8s_common::*;
use serde_json::Value;

struct Case {
    id: String,
    files: Vec<String>,
    flags: Vec<String>,
}

/// kompose flags that have a berth equivalent; the others (`--controller`, `--volumes`,
/// `--service-group-*`, `--emptyvols`, `--no-interpolate`) choose things berth decides itself.
fn map_flags(kargs: &[Value]) -> Vec<String> {
    let a: Vec<&str> = kargs.iter().filter_map(Value::as_str).collect();
    let mut out = Vec::new();
    for (i, f) in a.iter().enumerate() {
        match *f {
            "--generate-network-policies" => out.push("--network-policies".to_string()),
            "-n" | "--namespace" => {
                out.push("--namespace".into());
                out.push(a.get(i + 1).copied().unwrap_or_default().to_string());
            }
            _ => {}
        }
    }
    out
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(kompose().join("cases.json")).expect("cases.json");
    let v: Value = serde_json::from_str(&text).expect("cases.json is JSON");
    let mut out = Vec::new();
    for list in ["verified_cases", "inputs_only_cases"] {
        for c in v[list].as_array().expect("case list") {
            let kargs = c
                .get("kompose_args")
                .or_else(|| c.get("kompose_args_legacy"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            out.push(Case {
                id: c["id"].as_str().unwrap_or_default().to_string(),
                files: c["compose_files"]
                    .as_array()
                    .expect("compose_files")
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                flags: map_flags(&kargs),
            });
        }
    }
    assert!(
        out.len() >= 56,
        "expected the 44 verified and 12 inputs-only cases"
    );
    out
}

fn args(c: &Case, extra: &[&str]) -> Vec<String> {
    let mut a = Vec::new();
    for f in &c.files {
        a.push("-f".to_string());
        a.push(f.clone());
    }
    a.push("convert".into());
    a.push("-q".into());
    a.extend(c.flags.iter().cloned());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

fn run(c: &Case, extra: &[&str]) -> std::process::Output {
    let a = args(c, extra);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    berth(&refs, &kompose())
}

/// Cases berth refuses without --allow-lossy, and why.
const REFUSED: &[(&str, &str)] = &[
    ("volume-mounts-windows", "bind mount of a Windows host path"),
    (
        "configmap-file-configs-3",
        "bind mount of /tmp, outside the project",
    ),
    ("network-mode-service", "network_mode: service:client"),
];

#[test]
fn every_kompose_case_converts_to_valid_deterministic_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut refused = BTreeSet::new();
    for c in cases() {
        let strict = run(&c, &[]);
        if !strict.status.success() {
            assert_eq!(
                strict.status.code(),
                Some(1),
                "{}: {}",
                c.id,
                stderr(&strict)
            );
            assert!(
                stderr(&strict).contains("--allow-lossy"),
                "{}: a refusal must say how to go on: {}",
                c.id,
                stderr(&strict)
            );
            refused.insert(c.id.clone());
        }
        let a = ok(run(&c, &["--allow-lossy"]), &c.id);
        let b = ok(run(&c, &["--allow-lossy"]), &c.id);
        assert_eq!(a, b, "{}: output differs between two runs", c.id);
        assert!(
            !a.contains(&kompose().display().to_string()),
            "{}: host path in output",
            c.id
        );
        std::fs::write(tmp.path().join(format!("{}.yaml", c.id)), &a).expect("write");
        let mut extra = vec!["--allow-lossy", "--format", "json"];
        if !c.flags.iter().any(|f| f == "--network-policies") {
            extra.push("--network-policies");
        }
        let j = ok(run(&c, &extra), &c.id);
        std::fs::write(tmp.path().join(format!("{}.json", c.id)), &j).expect("write");
    }
    let want: BTreeSet<String> = REFUSED.iter().map(|(id, _)| id.to_string()).collect();
    assert_eq!(refused, want, "the cases berth refuses changed");
    let report = validate(&[tmp.path()]);
    assert!(report["documents"].as_u64().unwrap_or(0) > 300, "{report}");
}

#[test]
fn kompose_cases_render_as_charts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // One chart per kind of content: ports and Ingress, volumes, secrets, configs, jobs.
    for id in [
        "expose",
        "statefulset",
        "secrets-long",
        "configs-long",
        "cronjob",
        "configmap-volume-flag",
        "healthcheck",
        "hpa",
    ] {
        let c = cases().into_iter().find(|c| c.id == id).expect("case");
        let chart_dir = tmp.path().join(id);
        let cd = chart_dir.display().to_string();
        ok(run(&c, &["--allow-lossy", "--chart", &cd]), id);
        let plain = tmp.path().join(format!("{id}.yaml"));
        std::fs::write(&plain, ok(run(&c, &["--allow-lossy"]), id)).expect("write");
        chart(&chart_dir, Some(&plain), "rel", None);
    }
}

fn objs(id: &str, extra: &[&str]) -> Vec<Value> {
    let c = cases().into_iter().find(|c| c.id == id).expect("case");
    let mut e = vec!["--allow-lossy", "--format", "json"];
    e.extend_from_slice(extra);
    objects(&ok(run(&c, &e), id))
}

#[test]
fn service_names_are_normalised_everywhere() {
    // kompose #1897: Service `front_end`, Ingress backend `front-end`.
    let o = objs("single-file-output", &[]);
    find(&o, "Service", "front-end");
    find(&o, "Deployment", "front-end");
    let ing = find(&o, "Ingress", "front-end");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        "front-end"
    );
    assert!(!serde_json::to_string(&o)
        .unwrap_or_default()
        .contains("front_end\""));
}

#[test]
fn cmd_shell_healthchecks_run_in_a_shell() {
    let o = objs("healthcheck", &[]);
    let redis = &pod_spec(find(&o, "Deployment", "redis"))["containers"][0];
    assert_eq!(
        redis["livenessProbe"]["exec"]["command"],
        serde_json::json!(["/bin/sh", "-c", "echo \"liveness\""])
    );
    assert_eq!(
        redis["readinessProbe"]["exec"]["command"],
        serde_json::json!(["/bin/sh", "-c", "echo \"liveness\""])
    );
    assert_eq!(redis["readinessProbe"]["periodSeconds"], 10);
    assert_eq!(redis["readinessProbe"]["timeoutSeconds"], 1);
    assert_eq!(redis["readinessProbe"]["failureThreshold"], 5);
    let pg = &pod_spec(find(&o, "Deployment", "postgresql"))["containers"][0];
    assert_eq!(pg["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(pg["readinessProbe"]["httpGet"]["path"], "/ready");
    let mongo = &pod_spec(find(&o, "Deployment", "mongo"))["containers"][0];
    assert_eq!(mongo["livenessProbe"]["tcpSocket"]["port"], 8080);
    assert_eq!(mongo["readinessProbe"]["tcpSocket"]["port"], 9090);
    let v3 = objs("v3.0", &[]);
    let redis = &pod_spec(find(&v3, "Deployment", "redis"))["containers"][0];
    assert_eq!(redis["livenessProbe"]["exec"]["command"][0], "/bin/sh");
}

#[test]
fn environment_wins_over_env_file() {
    // kompose lets the env_file override `environment` (fixture configmap-pod).
    let o = objs("configmap-pod", &[]);
    let cm = find(&o, "ConfigMap", "redis-env");
    assert_eq!(cm["data"]["ALLOW_EMPTY_PASSWORD"], "no");
    assert_eq!(cm["data"]["FOO"], "BAR");
    // restart: "no" is not a bare Pod: a Deployment (with a warning).
    find(&o, "Deployment", "redis");
    assert_eq!(find(&o, "Service", "redis")["spec"]["type"], "NodePort");
}

#[test]
fn memory_is_a_readable_quantity() {
    // kompose #2042: "10e3", "10485760e3".
    let o = objs("v2", &[]);
    let foo = &pod_spec(find(&o, "Deployment", "foo"))["containers"][0];
    assert_eq!(foo["resources"]["limits"]["memory"], "10000");
    let redis = &pod_spec(find(&o, "Deployment", "redis"))["containers"][0];
    assert_eq!(redis["resources"]["limits"]["memory"], "10000Mi");
    // A LoadBalancer with TCP and UDP is one Service (mixed protocols are GA since 1.26).
    let svc = find(&o, "Service", "redis");
    assert_eq!(svc["spec"]["type"], "LoadBalancer");
    let protos: BTreeSet<String> = svc["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .map(|p| p["protocol"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(protos.len(), 2);
}

#[test]
fn stateful_services_get_a_governing_and_a_normal_service() {
    // kompose --controller statefulset makes every Service headless.
    let o = objs("statefulset", &[]);
    let db = find(&o, "StatefulSet", "db");
    assert_eq!(db["spec"]["serviceName"], "db-headless");
    assert_eq!(
        db["spec"]["volumeClaimTemplates"][0]["metadata"]["name"],
        "db-data"
    );
    assert!(find(&o, "Service", "db")["spec"].get("clusterIP").is_none());
    assert_eq!(
        find(&o, "Service", "db-headless")["spec"]["clusterIP"],
        "None"
    );
    // No standalone PVC next to the claim template (kompose #2090).
    assert!(!o.iter().any(|x| x["kind"] == "PersistentVolumeClaim"));
    // depends_on: wordpress waits for db's port.
    let wp = pod_spec(find(&o, "StatefulSet", "wordpress"));
    let init = &wp["initContainers"][0];
    assert_eq!(init["name"], "wait-for-db");
    assert!(init["command"][2]
        .as_str()
        .unwrap_or_default()
        .contains("nc -z -w 2 \"$h\" 3306"));
}

#[test]
fn namespace_comes_first() {
    let o = objs("namespace", &[]);
    assert_eq!(o[0]["kind"], "Namespace");
    assert_eq!(o[0]["metadata"]["name"], "web");
    assert!(o[1..].iter().all(|x| x["metadata"]["namespace"] == "web"));
}

#[test]
fn placement_never_asks_for_an_impossible_os() {
    let o = objs("deploy-placement", &[]);
    let ps = pod_spec(find(&o, "Deployment", "redis"));
    let exprs = ps["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"][0]["matchExpressions"]
        .as_array()
        .expect("expressions")
        .clone();
    let keys: Vec<&str> = exprs.iter().filter_map(|e| e["key"].as_str()).collect();
    assert_eq!(keys, ["foo", "kubernetes.io/hostname"]);
    assert!(!serde_json::to_string(ps)
        .unwrap_or_default()
        .contains("ubuntu"));
    let spread = ps["topologySpreadConstraints"].as_array().expect("spread");
    assert_eq!(spread.len(), 3);
}

#[test]
fn network_policies_isolate_like_compose_networks() {
    let o = objs("network-policies", &[]);
    let deny = find(&o, "NetworkPolicy", "network-policies-default-deny");
    assert_eq!(deny["spec"]["policyTypes"], serde_json::json!(["Ingress"]));
    let net = find(&o, "NetworkPolicy", "network-policies-net-web");
    let key = "berth/network-web";
    assert_eq!(net["spec"]["podSelector"]["matchLabels"][key], "true");
    let pod_labels = &find(&o, "Deployment", "nginx")["spec"]["template"]["metadata"]["labels"];
    assert_eq!(pod_labels[key], "true");
}

#[test]
fn kinds_follow_what_the_service_is() {
    assert!(objs("cronjob", &[]).iter().any(|o| o["kind"] == "CronJob"));
    assert!(objs("controller-global", &[])
        .iter()
        .any(|o| o["kind"] == "DaemonSet"));
    let hpa = objs("hpa", &[]);
    let h = hpa
        .iter()
        .find(|o| o["kind"] == "HorizontalPodAutoscaler")
        .expect("hpa");
    assert_eq!(h["spec"]["scaleTargetRef"]["kind"], "Deployment");
    // No kind ever gets a restart policy it does not allow.
    for id in ["v2", "configmap-pod", "envfile-interpolation", "cronjob"] {
        for o in objs(id, &[]) {
            let rp = pod_spec(&o)["restartPolicy"].as_str().map(str::to_string);
            match o["kind"].as_str() {
                Some("Deployment" | "StatefulSet" | "DaemonSet") => {
                    assert_eq!(rp.as_deref(), Some("Always"), "{id}")
                }
                Some("Job" | "CronJob") => {
                    assert!(matches!(rp.as_deref(), Some("Never" | "OnFailure")), "{id}")
                }
                _ => {}
            }
        }
    }
}

/// The volume mount of a pod spec's first container at `path`.
fn mount_at<'a>(pod_spec: &'a Value, path: &str) -> &'a Value {
    pod_spec["containers"][0]["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["mountPath"] == path)
        .unwrap_or_else(|| panic!("no mount at {path}"))
}

#[test]
fn secrets_and_configs_are_mounted_where_compose_puts_them() {
    // The value is in the output only with --embed-secrets; else the Secret is referenced.
    let embedded = objs("secrets-long", &["--embed-secrets"]);
    assert!(find(&embedded, "Secret", "my-secret")["data"]["my_secret"].is_string());
    let o = objs("secrets-long", &[]);
    assert!(!o.iter().any(|x| x["kind"] == "Secret"), "{o:?}");
    let ps = pod_spec(find(&o, "Deployment", "redis"));
    let mount = mount_at(ps, "/run/secrets");
    let vol = ps["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("volume")
        .clone();
    let item = &vol["projected"]["sources"][0]["secret"]["items"][0];
    assert_eq!(item["path"], "redis_secret");
    assert_eq!(item["mode"], 288);
    let c = objs("configs-long", &[]);
    let ps = pod_spec(find(&c, "Deployment", "redis"));
    let m = mount_at(ps, "/redis_config");
    assert_eq!(m["subPath"], "redis_config");
}

#[test]
fn project_files_become_configmaps_and_data_dirs_claims() {
    let o = objs("configmap-volume-flag", &[]);
    let tls = find(&o, "ConfigMap", "tls");
    assert!(tls["data"].as_object().is_some_and(|d| !d.is_empty()));
    let tar = find(&o, "ConfigMap", "configs-tar");
    assert!(tar["binaryData"]["configs.tar"].is_string());
    let o = objs("volumes-from", &[]);
    let web = pod_spec(find(&o, "Deployment", "web"));
    let nginx = pod_spec(find(&o, "Deployment", "nginx"));
    let claim = |ps: &Value| -> Vec<String> {
        ps["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| {
                v["persistentVolumeClaim"]["claimName"]
                    .as_str()
                    .map(str::to_string)
            })
            .collect()
    };
    assert_eq!(claim(web), claim(nginx), "volumes_from shares the claim");
}

#[test]
fn unset_variables_are_blank_as_in_compose_and_reported() {
    // `TZ=${TZ}` with TZ unset is "" in Compose (kompose's output has a bare `TZ`); berth
    // keeps Compose's value and says so on stderr.
    let c = cases()
        .into_iter()
        .find(|c| c.id == "service-group-volume")
        .expect("case");
    let out = run(&c, &["--allow-lossy", "--format", "json"]);
    assert!(
        stderr(&out).contains("\"TZ\" variable is not set"),
        "{}",
        stderr(&out)
    );
    let o = objects(&stdout(&out));
    assert_eq!(find(&o, "ConfigMap", "librenms-env")["data"]["TZ"], "");
    // Both services bind-mount ./librenms: one shared claim, ReadWriteMany.
    let pvc = find(&o, "PersistentVolumeClaim", "librenms");
    assert_eq!(
        pvc["spec"]["accessModes"],
        serde_json::json!(["ReadWriteMany"])
    );
}
