//! `berth convert` writes no secret value unless `--embed-secrets`: compose `secrets:` (from a
//! file or the environment) and the environment values `lint` calls secrets become Secrets the
//! pods reference by name, created with the commands of `secrets.sh`. Checked on every output:
//! stdout, `-o DIR` (YAML, JSON, single file), the chart's files and its `helm template`
//! rendering, all still valid for Kubernetes 1.29 to 1.32 and `helm lint --strict`.

mod k8s_common;

use std::path::Path;
use std::process::Command;

use k8s_common::*;
use serde_json::json;

const COMPOSE: &str = r#"name: vault
services:
  api:
    image: shop/api:1.0
    environment:
      API_TOKEN: token-value-5d0e
      DATABASE_URL: postgres://app:pw-in-url-88ab@db:5432/app
      LOG_LEVEL: info
    env_file: [api.env]
    secrets: [db_password, signing_key]
    ports: ["8080:8080"]
    depends_on: [db]
  db:
    image: postgres:16.2
    user: "999:999"
    secrets:
      - source: db_password
        target: /etc/pg/password
    expose: ["5432"]
secrets:
  db_password:
    file: ./db_password.txt
  signing_key:
    environment: SIGNING_KEY
"#;

/// Every secret value of the project, as written and as base64 (how a Secret's `data` holds it).
const VALUES: &[&str] = &[
    "file-value-7f3a",
    "ZmlsZS12YWx1ZS03ZjNh",
    "env-value-91c2",
    "ZW52LXZhbHVlLTkxYzI=",
    "token-value-5d0e",
    "dG9rZW4tdmFsdWUtNWQwZQ==",
    "pw-in-url-88ab",
    "cG9zdGdyZXM6Ly9hcHA6cHctaW4tdXJsLTg4YWJAZGI6NTQzMi9hcHA=",
    "envfile-value-3c4d",
    "ZW52ZmlsZS12YWx1ZS0zYzRk",
];

fn stack() -> tempfile::TempDir {
    project(&[
        ("compose.yaml", COMPOSE),
        ("db_password.txt", "file-value-7f3a"),
        ("api.env", "SMTP_PASSWORD=envfile-value-3c4d\n"),
        (".env", "SIGNING_KEY=env-value-91c2\n"),
    ])
}

/// The secret values `text` (what `what` names) contains.
fn leaked(text: &str) -> Vec<&'static str> {
    VALUES
        .iter()
        .copied()
        .filter(|v| text.contains(v))
        .collect()
}

/// Every file under `dir`, with its text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            let text = std::fs::read_to_string(&p).expect("read file");
            out.push((p.display().to_string(), text));
        }
    }
    out
}

/// The commands of secrets.sh: exact, with placeholders.
const COMMANDS: &str = r#"kubectl create secret generic api-env ${ns:+--namespace="$ns"} \
  --from-literal=API_TOKEN="${API_API_TOKEN:?set API_API_TOKEN to the value of API_TOKEN for service api}" \
  --from-literal=DATABASE_URL="${API_DATABASE_URL:?set API_DATABASE_URL to the value of DATABASE_URL for service api}" \
  --from-literal=SMTP_PASSWORD="${API_SMTP_PASSWORD:?set API_SMTP_PASSWORD to the value of SMTP_PASSWORD for service api}"

# secrets.db_password (file ./db_password.txt in compose)
# read by: api, db
kubectl create secret generic db-password ${ns:+--namespace="$ns"} \
  --from-file=db_password="${DB_PASSWORD_FILE:?set DB_PASSWORD_FILE to the path of a file that holds secret db_password}"

# secrets.signing_key (environment variable SIGNING_KEY in compose)
# read by: api
kubectl create secret generic signing-key ${ns:+--namespace="$ns"} \
  --from-literal=signing_key="${SIGNING_KEY:?set SIGNING_KEY to the value of secret signing_key}"
"#;

#[test]
fn no_output_holds_a_secret_value_unless_embedded() {
    let dir = stack();
    let out = tempfile::tempdir().expect("tempdir");
    let at = |name: &str| out.path().join(name).display().to_string();

    // Standard output: only the manifests; stderr points at --secrets-script.
    let r = berth(&["convert"], dir.path());
    let plain = ok(r.clone(), "convert");
    assert!(plain.starts_with("apiVersion: "), "{plain}");
    assert_eq!(leaked(&plain), Vec::<&str>::new(), "stdout:\n{plain}");
    assert!(
        stderr(&r).contains("berth convert: the objects reference 3 Secret(s) that the output does not hold (api-env, db-password, signing-key): --secrets-script FILE writes the kubectl commands that create them"),
        "{}",
        stderr(&r)
    );
    assert!(!dir.path().join("secrets.sh").exists());
    std::fs::write(out.path().join("plain.yaml"), &plain).expect("write");
    let json = ok(
        berth(&["convert", "-q", "--format", "json"], dir.path()),
        "json",
    );
    assert_eq!(leaked(&json), Vec::<&str>::new());
    std::fs::write(out.path().join("list.json"), &json).expect("write");

    // -o DIR (a file per object, JSON, one file): secrets.sh next to the manifests.
    for (sub, more) in [
        ("k8s", &[][..]),
        ("k8s-json", &["--format", "json"][..]),
        ("k8s-single", &["--single-file"][..]),
    ] {
        let d = at(sub);
        let mut args = vec!["convert", "-o", d.as_str(), "-n", "shop"];
        args.extend_from_slice(more);
        let r = berth(&args, dir.path());
        let err = stderr(&r);
        ok(r, sub);
        let script = out.path().join(sub).join("secrets.sh");
        assert!(
            err.contains(&format!(
                "berth convert: the objects reference 3 Secret(s) and hold no secret value: create them with {} (it names each value as a variable to set)",
                script.display()
            )),
            "{err}"
        );
        for (path, text) in files_under(&out.path().join(sub)) {
            assert_eq!(leaked(&text), Vec::<&str>::new(), "{path}:\n{text}");
        }
        let text = std::fs::read_to_string(&script).expect("secrets.sh");
        assert!(text.contains("\nns=${NAMESPACE:-shop}\n"), "{text}");
        assert!(text.contains(COMMANDS), "{sub}/secrets.sh:\n{text}");
    }

    // The chart: its files, and its rendering through `helm template`, which equals the plain
    // output, lints strictly and validates.
    let chart_dir = out.path().join("chart");
    let c = chart_dir.display().to_string();
    ok(
        berth(&["convert", "-q", "--chart", &c], dir.path()),
        "chart",
    );
    for (path, text) in files_under(&chart_dir) {
        assert_eq!(leaked(&text), Vec::<&str>::new(), "{path}:\n{text}");
    }
    let script = std::fs::read_to_string(chart_dir.join("secrets.sh")).expect("secrets.sh");
    assert!(script.contains("\nns=${NAMESPACE:-}\n"), "{script}");
    assert!(script.contains(COMMANDS), "{script}");
    let report = chart(
        &chart_dir,
        Some(&out.path().join("plain.yaml")),
        "customer-a",
        None,
    );
    let rendered = report["documents"].to_string();
    assert_eq!(leaked(&rendered), Vec::<&str>::new(), "{rendered}");
    assert!(
        report["notes"].as_str().unwrap_or_default().contains(
            "The pods read these Secrets, which the chart does not hold (secrets.sh has the commands):\n  api-env\n  db-password\n  signing-key\n"
        ),
        "{}",
        report["notes"]
    );
    let manifests: Vec<std::path::PathBuf> =
        ["plain.yaml", "list.json", "k8s", "k8s-json", "k8s-single"]
            .iter()
            .map(|n| out.path().join(n))
            .collect();
    validate(&manifests.iter().map(|p| p.as_path()).collect::<Vec<_>>());

    // --embed-secrets: today's output, with the values (so the checks above can fail).
    let embedded = ok(
        berth(&["convert", "-q", "--embed-secrets"], dir.path()),
        "embed",
    );
    for v in [
        "ZmlsZS12YWx1ZS03ZjNh",
        "ZW52LXZhbHVlLTkxYzI=",
        "dG9rZW4tdmFsdWUtNWQwZQ==",
        "ZW52ZmlsZS12YWx1ZS0zYzRk",
    ] {
        assert!(embedded.contains(v), "{v} not embedded:\n{embedded}");
    }
    let d = at("embedded");
    ok(
        berth(&["convert", "-q", "--embed-secrets", "-o", &d], dir.path()),
        "embed -o",
    );
    assert!(!out.path().join("embedded/secrets.sh").exists());
    let embedded_chart = out.path().join("embedded-chart");
    let ec = embedded_chart.display().to_string();
    ok(
        berth(
            &["convert", "-q", "--embed-secrets", "--chart", &ec],
            dir.path(),
        ),
        "embed chart",
    );
    std::fs::write(out.path().join("embedded.yaml"), &embedded).expect("write");
    let report = chart(
        &embedded_chart,
        Some(&out.path().join("embedded.yaml")),
        "customer-a",
        None,
    );
    assert!(!leaked(&report["documents"].to_string()).is_empty());
}

#[test]
fn chart_values_name_the_secrets_and_the_schema_checks_them() {
    let dir = stack();
    let out = tempfile::tempdir().expect("tempdir");
    let chart_dir = out.path().join("chart");
    let c = chart_dir.display().to_string();
    ok(
        berth(&["convert", "-q", "--chart", &c], dir.path()),
        "chart",
    );
    let values = json!({
        "secrets": {"db_password": {"existingSecret": "db-from-vault"}},
        "services": {"api": {"existingSecret": "api-from-vault"}}
    });
    let report = chart(&chart_dir, None, "acme", Some(&values));
    let docs = report["documents"].as_array().expect("documents").clone();
    let api = pod_spec(find(&docs, "Deployment", "api"));
    assert_eq!(
        api["containers"][0]["envFrom"],
        json!([{"configMapRef": {"name": "api-env"}}, {"secretRef": {"name": "api-from-vault"}}])
    );
    let sources = &api["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "secrets")
        .expect("the /run/secrets volume")["projected"]["sources"];
    let names: Vec<&str> = sources
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["secret"]["name"].as_str())
        .collect();
    assert_eq!(names, ["db-from-vault", "signing-key"]);
    let db = pod_spec(find(&docs, "Deployment", "db"));
    let db_secret = db["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find_map(|v| v["secret"]["secretName"].as_str());
    assert_eq!(db_secret, Some("db-from-vault"));
    for bad in [
        json!({"secrets": {"nosuch": {"existingSecret": "x"}}}),
        json!({"secrets": {"db_password": {"existingSecret": "Not_A_Name"}}}),
        json!({"secrets": {"db_password": {"name": "x"}}}),
        json!({"services": {"api": {"existingSecret": ""}}}),
    ] {
        let err = chart_rejects(&chart_dir, &bad);
        assert!(err.contains("schema"), "{bad}: {err}");
    }
}

/// secrets.sh runs: with the variables set it creates each Secret with kubectl (a stand-in that
/// records its arguments here); without them it stops at the first one, naming it.
#[test]
fn the_secrets_script_runs_and_refuses_unset_values() {
    let dir = stack();
    let out = tempfile::tempdir().expect("tempdir");
    let k8s = out.path().join("k8s");
    let k = k8s.display().to_string();
    ok(
        berth(&["convert", "-q", "-o", &k], dir.path()),
        "convert -o",
    );
    let bin = out.path().join("bin");
    std::fs::create_dir(&bin).expect("mkdir");
    let log = out.path().join("kubectl.log");
    std::fs::write(
        bin.join("kubectl"),
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s|' \"$a\" >> {}; done\necho >> {}\n",
            log.display(),
            log.display()
        ),
    )
    .expect("write");
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("kubectl"))
        .status()
        .expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |vars: &[(&str, &str)]| {
        let mut c = Command::new("sh");
        c.arg(k8s.join("secrets.sh"))
            .env_clear()
            .env("PATH", &path)
            .envs(vars.iter().copied());
        c.output().expect("sh runs")
    };
    let r = run(&[]);
    assert!(!r.status.success());
    assert!(
        stderr(&r)
            .contains("API_API_TOKEN: set API_API_TOKEN to the value of API_TOKEN for service api"),
        "{}",
        stderr(&r)
    );
    assert!(!log.exists(), "kubectl ran without values");
    let r = run(&[
        ("NAMESPACE", "acme"),
        ("API_API_TOKEN", "t"),
        ("API_DATABASE_URL", "u"),
        ("API_SMTP_PASSWORD", "p"),
        ("DB_PASSWORD_FILE", "/secure/db.txt"),
        ("SIGNING_KEY", "k"),
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    assert_eq!(
        std::fs::read_to_string(&log).expect("log"),
        "create|secret|generic|api-env|--namespace=acme|--from-literal=API_TOKEN=t|--from-literal=DATABASE_URL=u|--from-literal=SMTP_PASSWORD=p|\n\
         create|secret|generic|db-password|--namespace=acme|--from-file=db_password=/secure/db.txt|\n\
         create|secret|generic|signing-key|--namespace=acme|--from-literal=signing_key=k|\n"
    );
}

#[test]
fn a_file_berth_did_not_write_is_never_replaced() {
    let dir = stack();
    let out = tempfile::tempdir().expect("tempdir");
    let mine = out.path().join("mine.sh");
    std::fs::write(&mine, "#!/bin/sh\necho my own script\n").expect("write");
    let k8s = out.path().join("k8s");
    let (m, k) = (mine.display().to_string(), k8s.display().to_string());
    let r = berth(&["convert", "-o", &k, "--secrets-script", &m], dir.path());
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(
        stderr(&r).contains(&format!(
            "{m} exists and was not written by berth: choose another file with --secrets-script FILE"
        )),
        "{}",
        stderr(&r)
    );
    assert!(!k8s.exists(), "the manifests were written anyway");
    assert_eq!(
        std::fs::read_to_string(&mine).expect("kept"),
        "#!/bin/sh\necho my own script\n"
    );
    // A script it wrote is replaced; --embed-secrets needs none.
    let own = out.path().join("own.sh");
    let o = own.display().to_string();
    for _ in 0..2 {
        ok(
            berth(&["convert", "-q", "--secrets-script", &o], dir.path()),
            "own script",
        );
    }
    assert!(std::fs::read_to_string(&own)
        .expect("written")
        .contains(COMMANDS));
    let r = berth(
        &["convert", "--embed-secrets", "--secrets-script", &o],
        dir.path(),
    );
    assert_eq!(r.status.code(), Some(16), "{}", stderr(&r));
}
