//! The compose → Kubernetes mapping on berth's own fixtures (tests/fixtures/convert), the
//! command line (refusals, --allow-lossy, --strict, versions), and the Rust-side checks.

mod k8s_common;

use std::collections::BTreeMap;

use k8s_common::*;
use serde_json::{json, Value};

fn convert_json(fx: &str, extra: &[&str]) -> Vec<Value> {
    let mut a = vec!["-f", "compose.yaml", "convert", "-q", "--format", "json"];
    a.extend_from_slice(extra);
    objects(&ok(berth(&a, &fixture(fx)), fx))
}

#[test]
fn webapp_maps_as_field_md_day_5_describes() {
    let o = convert_json("webapp", &["--registry", "local-registry:5000"]);
    // Kinds: a Deployment for the API, a StatefulSet for the database, a Job for the
    // migration others wait for, Services for what others reach.
    let web = find(&o, "Deployment", "web");
    assert_eq!(web["spec"]["replicas"], 2);
    let db = find(&o, "StatefulSet", "db");
    assert_eq!(
        db["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "10Gi"
    );
    assert_eq!(
        db["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"],
        "local-path"
    );
    let job = find_job(&o, "migrate");
    let job_name = job["metadata"]["name"].as_str().unwrap_or_default();
    assert_eq!(pod_spec(job)["restartPolicy"], "OnFailure");
    assert_eq!(job["spec"]["backoffLimit"], 3);
    assert_eq!(find(&o, "Service", "web")["spec"]["ports"][0]["port"], 5000);
    assert_eq!(find(&o, "Service", "db")["spec"]["ports"][0]["port"], 5432);
    assert!(!o
        .iter()
        .any(|x| x["kind"] == "Service" && x["metadata"]["name"] == "migrate"));
    // Every image moved to the registry, init containers too; IfNotPresent by default.
    for w in o
        .iter()
        .filter(|x| x["kind"] == "Deployment" || x["kind"] == "StatefulSet" || x["kind"] == "Job")
    {
        let ps = pod_spec(w);
        for c in ps["containers"]
            .as_array()
            .into_iter()
            .chain(ps["initContainers"].as_array())
            .flatten()
        {
            let img = c["image"].as_str().unwrap_or_default();
            assert!(img.starts_with("local-registry:5000/"), "{img}");
            assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        }
    }
    let ps = pod_spec(web);
    let c = &ps["containers"][0];
    assert_eq!(c["image"], "local-registry:5000/shop/web:1.4.2");
    // Healthcheck: CMD-SHELL in a shell, start_period as a startup probe.
    assert_eq!(c["readinessProbe"]["exec"]["command"][0], "/bin/sh");
    assert_eq!(c["readinessProbe"]["periodSeconds"], 10);
    assert_eq!(c["readinessProbe"]["timeoutSeconds"], 3);
    assert_eq!(c["startupProbe"]["failureThreshold"], 4 + 3);
    assert_eq!(c["startupProbe"]["periodSeconds"], 5);
    // Resources: limits and reservations as canonical quantities.
    assert_eq!(
        c["resources"],
        json!({"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "256Mi"}})
    );
    // Security: user, read_only, restricted defaults.
    assert_eq!(
        c["securityContext"],
        json!({
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": true, "runAsGroup": 10001, "runAsNonRoot": true, "runAsUser": 10001
        })
    );
    assert_eq!(
        ps["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(ps["automountServiceAccountToken"], false);
    assert_eq!(ps["enableServiceLinks"], false);
    // Secrets at /run/secrets/<name>, configs at their target.
    let mounts: BTreeMap<String, Value> = c["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap_or_default().to_string(),
                m.clone(),
            )
        })
        .collect();
    assert!(mounts.contains_key("/run/secrets"));
    assert_eq!(mounts["/etc/web/config.toml"]["subPath"], "config.toml");
    assert!(mounts.contains_key("/tmp"));
    // The secret is referenced by name; its value is not in the output (--embed-secrets).
    assert!(!o.iter().any(|x| x["kind"] == "Secret"));
    let run_secrets = ps["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mounts["/run/secrets"]["name"])
        .expect("the /run/secrets volume");
    assert_eq!(
        run_secrets["projected"]["sources"][0]["secret"]["name"],
        "db-password"
    );
    // depends_on: init containers in depends_on order (db, migrate, redis).
    let init: Vec<&str> = ps["initContainers"]
        .as_array()
        .expect("init")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(init, ["wait-for-db", "wait-for-migrate", "wait-for-redis"]);
    let wait_db = ps["initContainers"][0]["command"][2]
        .as_str()
        .unwrap_or_default();
    assert!(wait_db.contains("nc -z -w 2 \"$h\" 5432"), "{wait_db}");
    assert!(
        wait_db.contains("$$(sed"),
        "the kubelet must not expand $(…): {wait_db}"
    );
    // Waiting for the Job goes through the API with a token only the init container sees.
    let wait_job = &ps["initContainers"][1];
    assert!(wait_job["command"][2]
        .as_str()
        .unwrap_or_default()
        .contains(&format!("/jobs/{job_name}\"")));
    assert_eq!(ps["serviceAccountName"], "web-wait");
    let role = find(&o, "Role", "web-wait");
    assert_eq!(role["rules"][0]["resourceNames"], json!([job_name]));
    assert_eq!(role["rules"][0]["verbs"], json!(["get"]));
    find(&o, "RoleBinding", "web-wait");
    assert_eq!(
        find(&o, "ServiceAccount", "web-wait")["automountServiceAccountToken"],
        false
    );
    // Plain settings in a ConfigMap.
    assert_eq!(
        find(&o, "ConfigMap", "web-env")["data"]["FLASK_ENV"],
        "production"
    );
    // Ingress from x-berth.
    let ing = find(&o, "Ingress", "web");
    assert_eq!(ing["spec"]["ingressClassName"], "nginx");
    assert_eq!(ing["spec"]["tls"][0]["secretName"], "shop-tls");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"],
        5000
    );
    // Labels.
    assert_eq!(
        web["metadata"]["labels"],
        json!({"app.kubernetes.io/instance": "webapp", "app.kubernetes.io/name": "web"})
    );
}

#[test]
fn kitchen_sink_keys_are_converted_or_reported() {
    let dir = fixture("kitchen-sink");
    let out = berth(
        &["-f", "compose.yaml", "convert", "-v", "--format", "json"],
        &dir,
    );
    let err = stderr(&out);
    let o = objects(&ok(out, "kitchen-sink"));
    let api = find(&o, "Deployment", "api");
    let ps = pod_spec(api);
    let c = &ps["containers"][0];
    // $ survives the kubelet's $(VAR) expansion.
    assert_eq!(
        c["args"],
        json!([
            "serve",
            "--greeting",
            "price is $5 and $$(not a var)",
            "${HOME}"
        ])
    );
    assert_eq!(c["command"], json!(["/entrypoint.sh"]));
    assert_eq!(c["workingDir"], "/srv");
    assert_eq!(
        ps["hostAliases"],
        json!([{"ip": "10.0.0.5", "hostnames": ["legacy.internal", "legacy2.internal"]}])
    );
    assert_eq!(
        ps["nodeSelector"],
        json!({"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"})
    );
    assert_eq!(ps["terminationGracePeriodSeconds"], 45);
    assert_eq!(
        c["securityContext"]["capabilities"],
        json!({"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]})
    );
    assert_eq!(
        c["lifecycle"]["preStop"]["exec"]["command"],
        json!(["/bin/drain", "--wait"])
    );
    assert_eq!(api["spec"]["strategy"]["type"], "Recreate");
    // environment > env_file; secrets (by name, or a URL with a password) go to a Secret.
    let cm = find(&o, "ConfigMap", "api-env");
    assert_eq!(cm["data"]["PLAIN"], "value");
    assert_eq!(cm["data"]["YES_STRING"], "yes");
    assert_eq!(cm["data"]["LOG_LEVEL"], "debug");
    assert_eq!(
        c["envFrom"],
        json!([{"configMapRef": {"name": "api-env"}}, {"secretRef": {"name": "api-env"}}])
    );
    assert!(!o.iter().any(|x| x["kind"] == "Secret"));
    let embedded = convert_json("kitchen-sink", &["--embed-secrets"]);
    let s = find(&embedded, "Secret", "api-env");
    let keys: Vec<&String> = s["data"].as_object().expect("data").keys().collect();
    assert_eq!(keys, ["API_TOKEN", "DATABASE_URL", "SMTP_PASSWORD"]);
    // Ports: published → port, target → targetPort, the container port stays reachable too.
    let svc = find(&o, "Service", "api");
    assert_eq!(svc["spec"]["type"], "NodePort");
    assert_eq!(
        svc["spec"]["ports"][0],
        json!({"appProtocol": "http", "name": "http", "nodePort": 30080, "port": 80, "protocol": "TCP", "targetPort": 8080})
    );
    // Aliases and links are Services selecting the same pods.
    find(&o, "Service", "api-internal");
    find(&o, "Service", "api-link");
    // Shared volume: one RWX claim; external volume: referenced, not created.
    assert_eq!(
        find(&o, "PersistentVolumeClaim", "shared")["spec"]["accessModes"],
        json!(["ReadWriteMany"])
    );
    assert!(!o
        .iter()
        .any(|x| x["kind"] == "PersistentVolumeClaim" && x["metadata"]["name"] == "shared-cache"));
    // Project files: ConfigMaps; a missing data dir: a claim.
    find(&o, "ConfigMap", "conf-nginx-conf");
    find(&o, "ConfigMap", "conf");
    find(&o, "PersistentVolumeClaim", "data");
    // A secret from the environment (.env here), a config with template text.
    find(&embedded, "Secret", "env-secret");
    assert!(find(&o, "ConfigMap", "inline")["data"]["inline"]
        .as_str()
        .unwrap_or_default()
        .contains("{{ name }}"));
    // Kinds.
    assert_eq!(pod_spec(find(&o, "DaemonSet", "agent"))["hostPID"], true);
    assert_eq!(
        find(&o, "CronJob", "nightly")["spec"]["schedule"],
        "0 3 * * *"
    );
    let legacy = find(&o, "StatefulSet", "legacy");
    assert_eq!(pod_spec(legacy)["securityContext"]["fsGroup"], 2000);
    assert_eq!(
        pod_spec(legacy)["containers"][0]["imagePullPolicy"],
        "Always"
    );
    assert_eq!(
        find(&o, "Service", "legacy")["spec"]["type"],
        "LoadBalancer"
    );
    assert_eq!(
        find(&o, "HorizontalPodAutoscaler", "api")["spec"]["maxReplicas"],
        10
    );
    let gpu = &pod_spec(find(&o, "Deployment", "worker"))["containers"][0]["resources"]["limits"]
        ["nvidia.com/gpu"];
    assert_eq!(gpu, "1");
    // The profile-only service is not converted.
    assert!(!o.iter().any(|x| x["metadata"]["name"] == "debug"));
    // Nothing dropped silently: each of these is in the report.
    for key in [
        "services.api.stop_signal",
        "services.worker.logging",
        "services.worker.ulimits",
        "services.worker.init",
        "services.worker.container_name",
        "services.api.ports",
        "volumes.external-cache.external",
        "networks:",
        "services.api.dns",
    ] {
        assert!(err.contains(key), "no finding for {key}:\n{err}");
    }
}

#[test]
fn refusals_stop_the_conversion_unless_allowed() {
    let dir = fixture("refused");
    let out = berth(&["-f", "compose.yaml", "convert"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).is_empty(), "nothing is printed when refused");
    let err = stderr(&out);
    for want in [
        "compose.yaml:7: error: services.ci.volumes[0]: bind mount of /var/run/docker.sock, outside the project",
        "fix: pass --host-path",
        "compose.yaml:8: error: services.ci.devices",
        "compose.yaml:12: error: services.sidecar.network_mode",
        "pass --allow-lossy",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // --host-path takes the socket as a hostPath; the rest still needs --allow-lossy.
    let out = berth(&["-f", "compose.yaml", "convert", "--host-path"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr(&out).contains("docker.sock, outside"));
    let o = objects(&ok(
        berth(
            &[
                "-f",
                "compose.yaml",
                "convert",
                "--host-path",
                "--allow-lossy",
                "--format",
                "json",
            ],
            &dir,
        ),
        "lossy",
    ));
    let ps = pod_spec(find(&o, "Deployment", "ci"));
    assert_eq!(ps["volumes"][0]["hostPath"]["path"], "/var/run/docker.sock");
}

#[test]
fn strict_makes_lint_findings_errors() {
    let dir = fixture("lint");
    let out = berth(
        &[
            "-f",
            "compose.yaml",
            "convert",
            "--strict",
            "--allow-lossy",
            "--host-path",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("error [privileged]"), "{err}");
    assert!(err.contains("lint finding(s) with --strict"), "{err}");
    let out = berth(
        &[
            "-f",
            "compose.yaml",
            "convert",
            "--allow-lossy",
            "--host-path",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("warning [docker-socket]"));
}

#[test]
fn options_are_checked() {
    let dir = fixture("webapp");
    for (args, want) in [
        (
            &["--kube-version", "1.28"][..],
            "unsupported Kubernetes version",
        ),
        (
            &["--kube-version", "2.0"][..],
            "unsupported Kubernetes version",
        ),
        (&["--registry", "not a host"][..], "invalid registry"),
        (&["--namespace", "Bad_NS"][..], "not a valid namespace name"),
        (&["--single-file"][..], "--single-file needs -o DIR"),
    ] {
        let mut a = vec!["-f", "compose.yaml", "convert"];
        a.extend_from_slice(args);
        let out = berth(&a, &dir);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    for v in ["1.29", "v1.30", "1.31.4", "1.32"] {
        ok(
            berth(
                &["-f", "compose.yaml", "convert", "-q", "--kube-version", v],
                &dir,
            ),
            v,
        );
    }
}

#[test]
fn x_berth_errors_name_the_key() {
    let tmp = project(&[(
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27.0\n    x-berth:\n      kind: replicaset\n      servce: {}\n    volumes: [vol:/data]\nvolumes:\n  vol:\n    x-berth: {size: lots}\n",
    )]);
    let out = berth(&["-f", "compose.yaml", "convert"], tmp.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("compose.yaml:5: error: services.web.x-berth.kind: unknown workload kind \"replicaset\""), "{err}");
    assert!(
        err.contains("compose.yaml:6: error: services.web.x-berth.servce: unknown x-berth key"),
        "{err}"
    );
    assert!(
        err.contains("compose.yaml:10: error: volumes.vol.x-berth.size"),
        "{err}"
    );
}

#[test]
fn profiles_overrides_and_dotenv_apply_as_for_up() {
    let tmp = project(&[
        (
            "compose.yaml",
            "services:\n  web:\n    image: nginx:${TAG}\n  debug:\n    image: busybox:1.36.1\n    profiles: [debug]\n",
        ),
        (
            "compose.override.yaml",
            "services:\n  web:\n    deploy: {replicas: 4}\n",
        ),
        (".env", "TAG=1.27.1\n"),
    ]);
    let d = tmp.path();
    let o = objects(&ok(
        berth(&["convert", "-q", "--format", "json"], d),
        "default files",
    ));
    let web = find(&o, "Deployment", "web");
    assert_eq!(web["spec"]["replicas"], 4);
    assert_eq!(pod_spec(web)["containers"][0]["image"], "nginx:1.27.1");
    assert!(!o.iter().any(|x| x["metadata"]["name"] == "debug"));
    let o = objects(&ok(
        berth(
            &["--profile", "debug", "convert", "-q", "--format", "json"],
            d,
        ),
        "profile",
    ));
    find(&o, "Deployment", "debug");
    // Selecting services.
    let o = objects(&ok(
        berth(&["convert", "-q", "--format", "json", "web"], d),
        "select",
    ));
    assert!(o.iter().all(|x| x["metadata"]["name"] == "web"));
}
