//! `berth convert`: every output the tests produce validates strictly against the Kubernetes
//! 1.29 to 1.32 schemas, the chart passes `helm lint --strict`, and its default rendering equals
//! the plain output. Needs `bash scripts/k8s-tools.sh` (the tests fail, not skip, without it).

mod k8s_common;

use std::path::Path;

use k8s_common::*;
use serde_json::json;

/// Our fixtures, with the flags each needs to convert at all.
const FIXTURES: &[(&str, &[&str])] = &[
    ("webapp", &[]),
    ("kitchen-sink", &[]),
    ("names", &[]),
    ("refused", &["--allow-lossy", "--host-path"]),
];

/// Flag sets every fixture is converted with.
const VARIANTS: &[&[&str]] = &[
    &[],
    &["--namespace", "team-a"],
    &["--registry", "local-registry:5000/mirror"],
    &["--network-policies"],
    &["--no-harden"],
    &["--kube-version", "1.32"],
    &["--image-pull-policy", "Always"],
];

fn convert_args<'a>(extra: &[&'a str], variant: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["-f", "compose.yaml", "convert", "-q"];
    a.extend_from_slice(extra);
    a.extend_from_slice(variant);
    a
}

#[test]
fn every_output_validates_for_kubernetes_1_29_to_1_32() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (fx, extra) in FIXTURES {
        let dir = fixture(fx);
        for (i, variant) in VARIANTS.iter().enumerate() {
            let args = convert_args(extra, variant);
            let out = ok(berth(&args, &dir), &format!("{fx} {variant:?}"));
            assert!(out.starts_with("apiVersion: "), "{fx}: {out}");
            std::fs::write(tmp.path().join(format!("{fx}-{i}.yaml")), out).expect("write");
        }
        // JSON on stdout: one List.
        let mut args = convert_args(extra, &["--format", "json"]);
        args.push("--network-policies");
        let out = ok(berth(&args, &dir), fx);
        assert!(!objects(&out).is_empty());
        std::fs::write(tmp.path().join(format!("{fx}-list.json")), out).expect("write");
        // A file per object, YAML and JSON, and a single file.
        for (sub, more) in [
            ("per-object-yaml", &[][..]),
            ("per-object-json", &["--format", "json"][..]),
            ("single", &["--single-file"][..]),
        ] {
            let target = tmp.path().join(format!("{fx}-{sub}"));
            let t = target.display().to_string();
            let mut args = convert_args(extra, more);
            args.extend(["-o", t.as_str()]);
            ok(berth(&args, &dir), &format!("{fx} -o"));
            let n = std::fs::read_dir(&target).expect("output dir").count();
            assert!(n >= 1, "{fx}/{sub}: no files");
        }
    }
    let report = validate(&[tmp.path()]);
    assert!(report["documents"].as_u64().unwrap_or(0) > 100, "{report}");
}

#[test]
fn output_is_deterministic_and_free_of_host_paths() {
    for (fx, extra) in FIXTURES {
        let dir = fixture(fx);
        let args = convert_args(extra, &["--network-policies"]);
        let a = ok(berth(&args, &dir), fx);
        let b = ok(berth(&args, &dir), fx);
        assert_eq!(a, b, "{fx}: two runs differ");
        let repo = repo().display().to_string();
        for needle in [repo.as_str(), "/home/", "/tmp/", "/work/"] {
            assert!(
                !a.contains(needle),
                "{fx}: output contains the host path {needle}"
            );
        }
        // Sorted by kind (apply order) then name.
        let objs = objects(&ok(
            berth(&convert_args(extra, &["--format", "json"]), &dir),
            fx,
        ));
        let order = [
            "Namespace",
            "ServiceAccount",
            "Role",
            "RoleBinding",
            "Secret",
            "ConfigMap",
            "PersistentVolumeClaim",
            "Service",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "Ingress",
            "NetworkPolicy",
            "HorizontalPodAutoscaler",
        ];
        let keys: Vec<(usize, String)> = objs
            .iter()
            .map(|o| {
                let k = o["kind"].as_str().unwrap_or_default();
                (
                    order.iter().position(|x| *x == k).unwrap_or(99),
                    o["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(
            keys, sorted,
            "{fx}: objects are not sorted by kind then name"
        );
    }
}

#[test]
fn files_per_object_sort_in_apply_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("k8s");
    let o = out.display().to_string();
    ok(
        berth(
            &[
                "-f",
                "compose.yaml",
                "convert",
                "-q",
                "--namespace",
                "shop",
                "-o",
                &o,
            ],
            &fixture("webapp"),
        ),
        "convert -o",
    );
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files[0], "00-namespace-shop.yaml", "{files:?}");
    assert!(
        files.iter().any(|f| f == "09-statefulset-db.yaml"),
        "{files:?}"
    );
    // The Job is named after its spec (see tests/convert_rollouts.rs).
    assert!(
        files.iter().any(|f| f.starts_with("11-job-migrate-")),
        "{files:?}"
    );
    // A second run into the same directory reports files it did not write.
    std::fs::write(out.join("99-stale.yaml"), "kind: Nothing\n").expect("write");
    let r = berth(
        &[
            "-f",
            "compose.yaml",
            "convert",
            "--namespace",
            "shop",
            "-o",
            &o,
        ],
        &fixture("webapp"),
    );
    assert!(r.status.success());
    assert!(
        stderr(&r).contains("99-stale.yaml was not written by this run"),
        "{}",
        stderr(&r)
    );
}

fn chart_and_plain(
    fx: &str,
    extra: &[&str],
    tmp: &Path,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = fixture(fx);
    let chart = tmp.join(format!("{fx}-chart"));
    let c = chart.display().to_string();
    let mut args = convert_args(extra, &["--chart", &c]);
    args.push("--network-policies");
    ok(berth(&args, &dir), &format!("{fx} --chart"));
    let plain = tmp.join(format!("{fx}-plain.yaml"));
    let mut args = convert_args(extra, &[]);
    args.push("--network-policies");
    std::fs::write(&plain, ok(berth(&args, &dir), fx)).expect("write");
    (chart, plain)
}

#[test]
fn chart_lints_strictly_and_renders_the_plain_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for (fx, extra) in FIXTURES {
        let (chart_dir, plain) = chart_and_plain(fx, extra, tmp.path());
        for f in [
            "Chart.yaml",
            "values.yaml",
            "values.schema.json",
            "templates/NOTES.txt",
            "templates/_helpers.tpl",
        ] {
            assert!(chart_dir.join(f).is_file(), "{fx}: no {f}");
        }
        // Any release name renders the same objects.
        let report = chart(&chart_dir, Some(&plain), "customer-a", None);
        assert!(!report["documents"]
            .as_array()
            .expect("documents")
            .is_empty());
        assert!(report["notes"]
            .as_str()
            .unwrap_or_default()
            .contains("customer-a"));
    }
}

#[test]
fn chart_values_reach_the_objects() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (chart_dir, _) = chart_and_plain("webapp", &[], tmp.path());
    let values = json!({
        "global": {"imageRegistry": "mirror.acme.local:5000/shop", "imagePullSecrets": ["acme-pull"]},
        "services": {
            "web": {
                "replicas": 5,
                "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}},
                "env": {"FLASK_ENV": "staging", "FEATURE_X": "on"},
                "service": {"type": "LoadBalancer"},
                "ingress": {"enabled": true, "className": "traefik", "port": 5000,
                            "hosts": [{"host": "shop.acme.local", "paths": ["/", "/api"]}], "tls": []}
            },
            "redis": {"ingress": {"enabled": true, "className": "", "port": 6379, "hosts": [{"host": "", "paths": ["/"]}], "tls": []}},
            "db": {"persistence": {"pgdata": {"size": "50Gi", "storageClass": "fast-ssd", "accessModes": ["ReadWriteOncePod"]}},
                   "existingSecret": "db-env-from-vault"}
        }
    });
    let report = chart(&chart_dir, None, "acme", Some(&values));
    let docs = report["documents"].as_array().expect("documents").clone();
    let web = find(&docs, "Deployment", "web");
    assert_eq!(web["spec"]["replicas"], 5);
    let ps = pod_spec(web);
    assert_eq!(
        ps["containers"][0]["image"],
        "mirror.acme.local:5000/shop/shop/web:1.4.2"
    );
    assert_eq!(ps["containers"][0]["resources"]["requests"]["cpu"], "1");
    assert_eq!(ps["imagePullSecrets"], json!([{"name": "acme-pull"}]));
    for ic in ps["initContainers"].as_array().expect("init containers") {
        let img = ic["image"].as_str().unwrap_or_default();
        assert!(img.starts_with("mirror.acme.local:5000/shop/"), "{img}");
    }
    assert_eq!(
        find(&docs, "ConfigMap", "web-env")["data"]["FEATURE_X"],
        "on"
    );
    assert_eq!(
        find(&docs, "Service", "web")["spec"]["type"],
        "LoadBalancer"
    );
    let ing = find(&docs, "Ingress", "web");
    assert_eq!(ing["spec"]["ingressClassName"], "traefik");
    assert_eq!(
        ing["spec"]["rules"][0]["http"]["paths"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    let redis_ing = find(&docs, "Ingress", "redis");
    assert!(redis_ing["spec"]["rules"][0].get("host").is_none());
    let db = find(&docs, "StatefulSet", "db");
    let tpl = &db["spec"]["volumeClaimTemplates"][0]["spec"];
    assert_eq!(tpl["resources"]["requests"]["storage"], "50Gi");
    assert_eq!(tpl["storageClassName"], "fast-ssd");
    assert_eq!(tpl["accessModes"], json!(["ReadWriteOncePod"]));
    // db has no secret environment of its own; existingSecret adds one.
    assert_eq!(
        pod_spec(db)["containers"][0]["envFrom"],
        json!([{"configMapRef": {"name": "db-env"}}, {"secretRef": {"name": "db-env-from-vault"}}])
    );
}

#[test]
fn chart_schema_rejects_bad_values() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (chart_dir, _) = chart_and_plain("webapp", &[], tmp.path());
    for bad in [
        json!({"services": {"web": {"replicas": "two"}}}),
        json!({"services": {"web": {"service": {"type": "Headless"}}}}),
        json!({"services": {"web": {"imagee": {}}}}),
        json!({"services": {"nosuch": {}}}),
        json!({"services": {"db": {"persistence": {"pgdata": {"size": "lots", "accessModes": ["ReadWriteOnce"]}}}}}),
        json!({"services": {"web": {"ingress": {"enabled": true, "port": 1234, "hosts": [], "tls": [], "className": ""}}}}),
        json!({"global": {"imageRegistry": "not a registry"}}),
    ] {
        let err = chart_rejects(&chart_dir, &bad);
        assert!(err.contains("schema"), "{bad}: {err}");
    }
}

/// Every project under compose-samples/ converts, validates, and renders as a chart.
#[test]
fn compose_samples_convert_validate_and_chart() {
    let samples = repo().join("compose-samples");
    let mut dirs: Vec<_> = std::fs::read_dir(&samples)
        .expect("compose-samples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("compose.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no samples in {}", samples.display());
    let tmp = tempfile::tempdir().expect("tempdir");
    for d in &dirs {
        let name = d
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args = [
            "convert",
            "-q",
            "--allow-lossy",
            "--host-path",
            "--network-policies",
        ];
        let plain = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&plain, ok(berth(&args, d), &name)).expect("write");
        let chart_dir = tmp.path().join(format!("{name}-chart"));
        let c = chart_dir.display().to_string();
        let mut a = args.to_vec();
        a.extend(["--chart", c.as_str()]);
        ok(berth(&a, d), &name);
        chart(&chart_dir, Some(&plain), &name, None);
    }
    let plain_files: Vec<std::path::PathBuf> = dirs
        .iter()
        .filter_map(|d| d.file_name())
        .map(|n| tmp.path().join(format!("{}.yaml", n.to_string_lossy())))
        .collect();
    let refs: Vec<&Path> = plain_files.iter().map(|p| p.as_path()).collect();
    validate(&refs);
}

#[test]
fn chart_directory_is_replaced_only_when_berth_wrote_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("chart");
    let d = dir.display().to_string();
    let fx = fixture("webapp");
    ok(berth(&["convert", "-q", "--chart", &d], &fx), "first chart");
    std::fs::write(dir.join("templates/deployment-gone.yaml"), "stale").expect("write");
    ok(
        berth(&["convert", "-q", "--chart", &d], &fx),
        "second chart",
    );
    assert!(
        !dir.join("templates/deployment-gone.yaml").exists(),
        "stale template kept"
    );
    let other = tmp.path().join("other");
    std::fs::create_dir(&other).expect("mkdir");
    std::fs::write(other.join("notes.txt"), "mine").expect("write");
    let o = other.display().to_string();
    let out = berth(&["convert", "--chart", &o], &fx);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("holds no chart berth wrote"),
        "{}",
        stderr(&out)
    );
    assert!(other.join("notes.txt").exists());
    let out = berth(&["convert", "--chart", &d, "--format", "json"], &fx);
    assert!(!out.status.success());
}

/// `convert --images` lists exactly the images the manifests' pods run, init containers and the
/// dependency-wait images included, as they will be pulled: the list an air-gapped registry
/// must hold.
#[test]
fn images_lists_every_image_the_manifests_pull() {
    let dir = project(&[(
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [\"CMD\", \"pg_isready\"]\n  migrate:\n    image: app/migrate:2\n    restart: \"no\"\n    depends_on:\n      db: {condition: service_healthy}\n  web:\n    build: .\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n      db: {condition: service_healthy}\n",
    )]);
    for variant in [
        &[][..],
        &["--registry", "mirror.local:5000/team"][..],
        &[
            "--wait-image",
            "tools/busybox:1",
            "--job-wait-image",
            "tools/curl:8",
        ][..],
    ] {
        let mut args = vec!["convert", "-q", "--images"];
        args.extend_from_slice(variant);
        let listed: Vec<String> = ok(berth(&args, dir.path()), "convert --images")
            .lines()
            .map(str::to_string)
            .collect();
        let mut args = vec!["convert", "-q", "--format", "json"];
        args.extend_from_slice(variant);
        let objs = objects(&ok(berth(&args, dir.path()), "convert --format json"));
        let mut pulled = std::collections::BTreeSet::new();
        for o in &objs {
            let spec = match o["kind"].as_str() {
                Some("Deployment" | "StatefulSet" | "DaemonSet" | "Job") => pod_spec(o),
                _ => continue,
            };
            for list in ["containers", "initContainers"] {
                for c in spec[list].as_array().into_iter().flatten() {
                    pulled.insert(c["image"].as_str().unwrap().to_string());
                }
            }
        }
        let pulled: Vec<String> = pulled.into_iter().collect();
        assert_eq!(listed, pulled, "{variant:?}");
        // Three services and at least one wait image: the waits are in the list.
        assert!(listed.len() >= 4, "{variant:?}: {listed:?}");
        if let Some(i) = variant.iter().position(|a| *a == "--wait-image") {
            assert!(listed.iter().any(|l| l == variant[i + 1]), "{listed:?}");
        }
        if variant.contains(&"--registry") {
            assert!(
                listed
                    .iter()
                    .all(|l| l.starts_with("mirror.local:5000/team/")),
                "{listed:?}"
            );
        }
    }
    let both = berth(&["convert", "--images", "-o", "out"], dir.path());
    assert!(
        !both.status.success() && stderr(&both).contains("'--images' cannot be used with"),
        "--images prints no manifests: {}",
        stderr(&both)
    );
}
