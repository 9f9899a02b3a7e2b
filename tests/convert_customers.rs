//! One chart, many customers: `berth convert --chart DIR --values NAME=FILE` writes
//! `DIR/values-NAME.yaml` with only what the compose override FILE changes in the chart's
//! values. Each values file is rendered by Helm (`helm lint --strict`, kubernetes-validate for
//! 1.29 to 1.32) and must give exactly the objects of the plain conversion of
//! `-f compose.yaml -f FILE`; what values cannot carry is a warning naming the customer, the key
//! and the file.

mod k8s_common;

use std::path::Path;

use k8s_common::*;
use serde_json::{json, Value};

const COMPOSE: &str = r#"name: shop
services:
  web:
    image: shop/web:1.4.2
    user: "101:101"
    ports: ["8080:8080"]
    environment:
      LOG_LEVEL: info
    depends_on: [db]
  db:
    image: postgres:16.2
    user: "999:999"
    expose: ["5432"]
    volumes: [data:/var/lib/postgresql/data]
volumes:
  data: {}
"#;

/// AWS: the images from ECR, three web replicas with resources.
const AWS: &str = r#"services:
  web:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2
    deploy:
      replicas: 3
      resources:
        limits: {cpus: "1", memory: 512M}
        reservations: {cpus: "0.25", memory: 256M}
"#;

/// On-prem: the database on a local storage class with more room, web behind an Ingress host.
const ONPREM: &str = r#"services:
  web:
    x-berth:
      ingress: {hosts: [shop.customer.lan], class: nginx}
volumes:
  data:
    x-berth: {storage_class: local-path, size: 20Gi}
"#;

/// What values cannot carry: a new service, a secret environment variable, a command.
const EXTRA: &str = r#"services:
  web:
    command: ["web", "--verbose"]
    environment:
      API_TOKEN: t0ken-value
      LOG_LEVEL: debug
  worker:
    image: shop/worker:1.0
    user: "101:101"
"#;

fn stack() -> tempfile::TempDir {
    project(&[
        ("compose.yaml", COMPOSE),
        ("compose.aws.yaml", AWS),
        ("compose.onprem.yaml", ONPREM),
        ("compose.extra.yaml", EXTRA),
    ])
}

/// A values file as JSON (read with PyYAML, as Helm's users would read it).
fn read_values(path: &Path) -> Value {
    assert!(path.is_file(), "{} was not written", path.display());
    let out = std::process::Command::new(python())
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(path)
        .output()
        .expect("run python");
    assert!(out.status.success(), "{} is not YAML", path.display());
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// The plain objects of the customer's project (`-f compose.yaml -f FILE`), one file.
fn plain(dir: &Path, file: &str, out: &str) -> std::path::PathBuf {
    ok(
        berth(
            &[
                "-f",
                "compose.yaml",
                "-f",
                file,
                "convert",
                "-q",
                "-o",
                out,
                "--single-file",
            ],
            dir,
        ),
        "plain convert",
    );
    dir.join(out).join("shop.yaml")
}

#[test]
fn each_customer_gets_exactly_its_differences_and_renders_its_plain_objects() {
    let tmp = stack();
    let dir = tmp.path();
    let out = berth(
        &[
            "convert",
            "--chart",
            "chart",
            "--values",
            "aws=compose.aws.yaml",
            "--values",
            "onprem=compose.onprem.yaml",
        ],
        dir,
    );
    let err = stderr(&out);
    assert!(out.status.success(), "convert failed:\n{err}");
    assert!(
        err.contains("wrote chart/values-aws.yaml (6 value(s) differ from values.yaml; 0 difference(s) it cannot carry)"),
        "{err}"
    );
    assert!(!err.contains("warning: values"), "{err}");

    let aws = read_values(&dir.join("chart/values-aws.yaml"));
    assert_eq!(
        aws,
        json!({"services": {"web": {
            "image": {"registry": "123456789012.dkr.ecr.eu-west-1.amazonaws.com"},
            "replicas": 3,
            "resources": {
                "limits": {"cpu": "1", "memory": "512Mi"},
                "requests": {"cpu": "250m", "memory": "256Mi"}
            }
        }}})
    );
    let onprem = read_values(&dir.join("chart/values-onprem.yaml"));
    assert_eq!(
        onprem,
        json!({"services": {
            "db": {"persistence": {"data": {"size": "20Gi", "storageClass": "local-path"}}},
            "web": {"ingress": {
                "enabled": true,
                "className": "nginx",
                "hosts": [{"host": "shop.customer.lan", "paths": ["/"]}]
            }}
        }})
    );
    let text = std::fs::read_to_string(dir.join("chart/values-aws.yaml")).unwrap_or_default();
    assert!(
        text.starts_with("# Values of customer aws: only what differs from values.yaml"),
        "{text}"
    );

    // Helm renders each values file into exactly the customer's plain objects, which validate.
    for (name, file, values) in [
        ("aws", "compose.aws.yaml", &aws),
        ("onprem", "compose.onprem.yaml", &onprem),
    ] {
        let want = plain(dir, file, &format!("plain-{name}"));
        let r = chart(&dir.join("chart"), Some(&want), name, Some(values));
        let docs = r["documents"].as_array().cloned().unwrap_or_default();
        let web = docs
            .iter()
            .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "web")
            .expect("a web Deployment");
        if name == "aws" {
            assert_eq!(web["spec"]["replicas"], json!(3));
            assert_eq!(
                web["spec"]["template"]["spec"]["containers"][0]["image"],
                json!("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:1.4.2")
            );
        } else {
            let ing = docs
                .iter()
                .find(|d| d["kind"] == "Ingress")
                .expect("an Ingress");
            assert_eq!(ing["spec"]["rules"][0]["host"], json!("shop.customer.lan"));
            let db = docs
                .iter()
                .find(|d| d["kind"] == "StatefulSet")
                .expect("the db StatefulSet");
            let claim = &db["spec"]["volumeClaimTemplates"][0]["spec"];
            assert_eq!(claim["storageClassName"], json!("local-path"));
            assert_eq!(claim["resources"]["requests"]["storage"], json!("20Gi"));
        }
    }
    // The default values still render the base project's plain objects.
    let base = dir.join("plain-base");
    ok(
        berth(&["convert", "-q", "-o", "plain-base", "--single-file"], dir),
        "plain convert",
    );
    chart(
        &dir.join("chart"),
        Some(&base.join("shop.yaml")),
        "shop",
        None,
    );
}

#[test]
fn what_values_cannot_carry_is_a_warning_naming_customer_key_and_file() {
    let tmp = stack();
    let dir = tmp.path();
    let out = berth(
        &[
            "convert",
            "--chart",
            "chart",
            "--values",
            "extra=compose.extra.yaml",
        ],
        dir,
    );
    let err = stderr(&out);
    assert!(out.status.success(), "convert failed:\n{err}");
    for want in [
        "warning: values extra (compose.extra.yaml): services.worker: service worker is not in the chart's values",
        "warning: values extra (compose.extra.yaml): services.web.existingSecret: secret environment variable(s) API_TOKEN of service web are not values (the chart's secrets.sh does not create them): put them into the Secret web-env yourself",
        "warning: values extra (compose.extra.yaml): templates/configmap-worker-env.yaml, templates/deployment-worker.yaml: objects (or files) the chart does not have",
        "warning: values extra (compose.extra.yaml): templates/deployment-web.yaml: the customer's object differs from the chart's template where values cannot set it: it adds \"--verbose\", \"args:\", \"web\"\n",
        "fix: values-extra.yaml leaves this out",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // What values can carry is still written: the plain setting, and the Secret's name.
    let v = read_values(&dir.join("chart/values-extra.yaml"));
    assert_eq!(
        v,
        json!({"services": {"web": {
            "env": {"LOG_LEVEL": "debug"},
            "existingSecret": "web-env"
        }}})
    );
    // The secret value is nowhere in the chart.
    for entry in walk(&dir.join("chart")) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !text.contains("t0ken-value"),
            "{} holds the secret",
            entry.display()
        );
    }
    chart(&dir.join("chart"), None, "extra", Some(&v));
}

#[test]
fn bad_values_arguments_are_refused_before_anything_is_written() {
    let tmp = stack();
    let dir = tmp.path();
    for (args, code, want) in [
        (
            vec!["convert", "--chart", "chart", "--values", "aws"],
            16,
            "--values aws: expected NAME=FILE",
        ),
        (
            vec![
                "convert",
                "--chart",
                "chart",
                "--values",
                "a/b=compose.aws.yaml",
            ],
            16,
            "NAME \"a/b\" must be letters, digits",
        ),
        (
            vec![
                "convert",
                "--chart",
                "chart",
                "--values",
                "aws=compose.aws.yaml",
                "--values",
                "aws=compose.onprem.yaml",
            ],
            16,
            "--values aws=…: given twice",
        ),
        (
            vec![
                "convert",
                "--chart",
                "chart",
                "--values",
                "aws=missing.yaml",
            ],
            14,
            "--values aws=missing.yaml: no such file",
        ),
        (
            vec!["convert", "--values", "aws=compose.aws.yaml"],
            16,
            "--chart",
        ),
    ] {
        let out = berth(&args, dir);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{args:?}:\n{err}");
        assert!(err.contains(want), "{args:?}: missing {want:?} in:\n{err}");
        assert!(!dir.join("chart").exists(), "{args:?} wrote the chart");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
