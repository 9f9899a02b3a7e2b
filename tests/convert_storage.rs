//! Storage on bare-metal clusters, on real `berth convert` output: `--storage-class` on every
//! claim (standalone, data directory, StatefulSet template) and the one warning without it,
//! `fsGroup` from `user:` or `x-berth.fs_group` (and the warning when neither is known), the
//! data directories of postgres (PGDATA below the mount) and mysql (subPath), and the chart's
//! `global.storageClass` and per-claim size rendered by Helm. Every output validates for
//! Kubernetes 1.29 to 1.32 and charts pass `helm lint --strict` (needs `bash
//! scripts/k8s-tools.sh`; the tests fail without it).

mod k8s_common;

use std::path::Path;

use k8s_common::*;
use serde_json::{json, Value};

const STACK: &str = "\
name: shop
services:
  db:
    image: postgres:16.2
    user: \"999:999\"
    volumes: [pgdata:/var/lib/postgresql/data]
  mysql:
    image: mysql:8.4
    volumes: [mydata:/var/lib/mysql/]
  web:
    image: shop/web:1.0
    user: \"1000\"
    volumes: [uploads:/srv/uploads, ./cache:/var/cache/web]
  worker:
    image: shop/worker:1.0
    volumes: [uploads:/srv/uploads]
    x-berth: {fs_group: 2000}
  logs:
    image: shop/logs:1.0
    user: \"0\"
    volumes: [archive:/archive]
  stateless:
    image: nginx:1.25
volumes:
  pgdata: {}
  mydata: {}
  uploads: {}
  archive:
    x-berth: {storage_class: nfs-archive}
";

/// The line of `STACK` (1-based) that contains `needle`.
fn line_of(needle: &str) -> usize {
    STACK
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in the compose file"))
        + 1
}

fn stack() -> tempfile::TempDir {
    let tmp = project(&[("compose.yaml", STACK)]);
    std::fs::create_dir(tmp.path().join("cache")).expect("mkdir cache");
    tmp
}

fn convert_json(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut a = vec!["convert", "-q", "--format", "json"];
    a.extend_from_slice(extra);
    objects(&ok(berth(&a, dir), "convert --format json"))
}

/// Every claim of the output: standalone PVCs by name, StatefulSet templates as
/// `<template>@<StatefulSet>`, with their spec.
fn claims(o: &[Value]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for x in o {
        let name = x["metadata"]["name"].as_str().unwrap_or_default();
        match x["kind"].as_str() {
            Some("PersistentVolumeClaim") => out.push((name.to_string(), x["spec"].clone())),
            Some("StatefulSet") => {
                for t in x["spec"]["volumeClaimTemplates"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    let t_name = t["metadata"]["name"].as_str().unwrap_or_default();
                    out.push((format!("{t_name}@{name}"), t["spec"].clone()));
                }
            }
            _ => {}
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn classes(o: &[Value]) -> Vec<(String, Value)> {
    claims(o)
        .into_iter()
        .map(|(n, s)| (n, s["storageClassName"].clone()))
        .collect()
}

fn workload<'a>(o: &'a [Value], name: &str) -> &'a Value {
    o.iter()
        .find(|x| {
            matches!(x["kind"].as_str(), Some("Deployment" | "StatefulSet"))
                && x["metadata"]["name"] == name
        })
        .unwrap_or_else(|| panic!("no workload {name}"))
}

/// `--storage-class` names the class of every claim but the one whose volume names its own;
/// without it, one warning names the claims that rely on the cluster's default class.
#[test]
fn storage_class_reaches_every_claim_or_is_warned_about_once() {
    let tmp = stack();
    let d = tmp.path();

    let out = berth(&["convert"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let top = STACK
        .lines()
        .position(|l| l == "volumes:")
        .expect("top-level volumes")
        + 1;
    let want = format!(
        "compose.yaml:{top}: warning: volumes: the PersistentVolumeClaims cache, mydata (StatefulSet mysql), pgdata (StatefulSet db), uploads name no storage class: they rely on the cluster's default StorageClass, which many bare-metal clusters do not have (the claims then stay Pending)\n    fix: pass --storage-class NAME (kubectl get storageclass), or set x-berth.storage_class on the project or the volume\n"
    );
    assert!(err.contains(&want), "missing:\n{want}\nin:\n{err}");
    assert_eq!(err.matches("default StorageClass").count(), 1, "{err}");
    let o = convert_json(d, &[]);
    assert_eq!(
        classes(&o),
        vec![
            ("archive@logs".to_string(), json!("nfs-archive")),
            ("cache".to_string(), Value::Null),
            ("mydata@mysql".to_string(), Value::Null),
            ("pgdata@db".to_string(), Value::Null),
            ("uploads".to_string(), Value::Null),
        ]
    );

    let out = berth(&["convert", "--storage-class", "local-path"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("StorageClass"),
        "no warning with --storage-class: {}",
        stderr(&out)
    );
    let o = convert_json(d, &["--storage-class", "local-path"]);
    assert_eq!(
        classes(&o),
        vec![
            ("archive@logs".to_string(), json!("nfs-archive")),
            ("cache".to_string(), json!("local-path")),
            ("mydata@mysql".to_string(), json!("local-path")),
            ("pgdata@db".to_string(), json!("local-path")),
            ("uploads".to_string(), json!("local-path")),
        ]
    );

    // Valid for 1.29 to 1.32.
    let out_dir = tempfile::tempdir().expect("tempdir");
    let yaml = out_dir.path().join("plain.yaml");
    let text = ok(
        berth(&["convert", "-q", "--storage-class", "local-path"], d),
        "convert",
    );
    std::fs::write(&yaml, text).expect("write");
    validate(&[&yaml]);

    // A class name that cannot exist is refused.
    let out = berth(&["convert", "-q", "--storage-class", "Local_Path"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("error: --storage-class: \"Local_Path\" is not a StorageClass name (a DNS-1123 subdomain)"),
        "{}",
        stderr(&out)
    );
}

/// A pod that mounts a claim gets fsGroup from `user:` (the gid, else the uid) or
/// `x-berth.fs_group`; without either, a warning names the service and the fix. Data
/// directories of postgres and mysql get a subdirectory, with a note.
#[test]
fn pods_with_claims_get_fs_group_and_data_directories_a_subdirectory() {
    let tmp = stack();
    let d = tmp.path();
    let o = convert_json(d, &["--storage-class", "local-path"]);
    let fs_group = |name: &str| {
        pod_spec(workload(&o, name))
            .pointer("/securityContext/fsGroup")
            .cloned()
    };
    assert_eq!(fs_group("db"), Some(json!(999)), "the gid of user 999:999");
    assert_eq!(fs_group("web"), Some(json!(1000)), "user 1000: the uid");
    assert_eq!(fs_group("worker"), Some(json!(2000)), "x-berth.fs_group");
    assert_eq!(fs_group("mysql"), None, "nothing known");
    assert_eq!(fs_group("logs"), None, "root writes any volume");
    assert_eq!(fs_group("stateless"), None, "mounts no claim");

    let db = &pod_spec(workload(&o, "db"))["containers"][0];
    assert_eq!(
        db["env"],
        json!([{"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}])
    );
    assert_eq!(
        db["volumeMounts"],
        json!([{"mountPath": "/var/lib/postgresql/data", "name": "pgdata"}])
    );
    let mysql = &pod_spec(workload(&o, "mysql"))["containers"][0];
    assert_eq!(
        mysql["volumeMounts"],
        json!([{"mountPath": "/var/lib/mysql", "name": "mydata", "subPath": "data"}])
    );
    assert!(mysql.get("env").is_none(), "{mysql}");

    let out = berth(&["convert", "-v", "--storage-class", "local-path"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    for want in [
        format!("compose.yaml:{}: warning: services.mysql.volumes: the pod mounts the claim(s) mydata but its fsGroup is unknown (no numeric user:, no x-berth.fs_group): a fresh volume belongs to root, and a process that runs as another user cannot write it\n    fix: set services.mysql.user to the image's numeric \"uid:gid\" (the gid becomes fsGroup), or services.mysql.x-berth.fs_group\n", line_of("[mydata:")),
        format!("compose.yaml:{}: note: services.db.volumes: the claim \"pgdata\" is mounted at /var/lib/postgresql/data, the data directory of the official postgres images, which refuse to initialise a non-empty directory (a fresh ext4 volume holds lost+found): PGDATA=/var/lib/postgresql/data/pgdata keeps the data one directory below the mount\n", line_of("[pgdata:")),
        format!("compose.yaml:{}: note: services.mysql.volumes: the claim \"mydata\" is mounted at /var/lib/mysql, the data directory of the official mysql and mariadb images, which refuse to initialise a non-empty directory (a fresh ext4 volume holds lost+found): the claim's subdirectory \"data\" is mounted there (subPath)\n", line_of("[mydata:")),
    ] {
        assert!(err.contains(&want), "missing:\n{want}\nin:\n{err}");
    }
    assert_eq!(
        err.matches("fsGroup is unknown").count(),
        1,
        "only mysql: {err}"
    );

    // A PGDATA of the compose file is kept as it is.
    let own = STACK.replace(
        "    user: \"999:999\"\n",
        "    user: \"999:999\"\n    environment: {PGDATA: /var/lib/postgresql/data/db}\n",
    );
    let tmp = project(&[("compose.yaml", &own)]);
    std::fs::create_dir(tmp.path().join("cache")).expect("mkdir cache");
    let o = convert_json(tmp.path(), &["--storage-class", "local-path"]);
    let db = &pod_spec(workload(&o, "db"))["containers"][0];
    assert!(db.get("env").is_none(), "{db}");
}

/// The chart: `global.storageClass` holds `--storage-class`, a claim's own class stays its
/// own; the default rendering equals the plain output; values set the class and sizes; the
/// schema refuses a class that is not a name.
#[test]
fn chart_values_set_storage_class_and_sizes() {
    let tmp = stack();
    let d = tmp.path();
    let out_dir = tempfile::tempdir().expect("tempdir");
    let yaml = out_dir.path().join("plain.yaml");
    let text = ok(
        berth(&["convert", "-q", "--storage-class", "local-path"], d),
        "convert",
    );
    std::fs::write(&yaml, text).expect("write");
    let chart_dir = out_dir.path().join("chart");
    let c = chart_dir.display().to_string();
    ok(
        berth(
            &[
                "convert",
                "-q",
                "--storage-class",
                "local-path",
                "--chart",
                &c,
            ],
            d,
        ),
        "convert --chart",
    );
    let values = std::fs::read_to_string(chart_dir.join("values.yaml")).expect("values.yaml");
    assert!(values.contains("  storageClass: local-path\n"), "{values}");
    assert!(values.contains("storageClass: nfs-archive"), "{values}");

    // Defaults: exactly the plain output.
    chart(&chart_dir, Some(&yaml), "customer-a", None);

    // Another cluster: its class for every claim without its own, bigger volumes.
    let v = json!({
        "global": {"storageClass": "ceph-rbd"},
        "services": {"db": {"persistence": {"pgdata": {"size": "50Gi", "storageClass": "", "accessModes": ["ReadWriteOnce"]}}}},
        "volumes": {"uploads": {"size": "20Gi", "storageClass": "cephfs", "accessModes": ["ReadWriteMany"]}}
    });
    let report = chart(&chart_dir, None, "customer-b", Some(&v));
    let docs = report["documents"].as_array().cloned().unwrap_or_default();
    let got: Vec<(String, Value, Value)> = claims(&docs)
        .into_iter()
        .map(|(n, s)| {
            (
                n,
                s["storageClassName"].clone(),
                s["resources"]["requests"]["storage"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("archive@logs".into(), json!("nfs-archive"), json!("1Gi")),
            ("cache".into(), json!("ceph-rbd"), json!("1Gi")),
            ("mydata@mysql".into(), json!("ceph-rbd"), json!("1Gi")),
            ("pgdata@db".into(), json!("ceph-rbd"), json!("50Gi")),
            ("uploads".into(), json!("cephfs"), json!("20Gi")),
        ]
    );

    let e = chart_rejects(&chart_dir, &json!({"global": {"storageClass": "Ceph_RBD"}}));
    assert!(e.contains("storageClass"), "{e}");
}
