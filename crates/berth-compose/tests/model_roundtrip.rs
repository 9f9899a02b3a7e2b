//! Round trip of the conformance corpus through the typed model and the printers.
//!
//! For every accepted case: `expected.json` -> [`Project`] -> JSON must equal `expected.json`
//! (structurally), `to_json` must reproduce it byte for byte (plus the final newline the corpus
//! adds), and `to_yaml` must reproduce `expected.yaml` byte for byte. The corpus lives outside
//! the repository, in `../shared/conformance/compose` relative to the workspace root.

use berth_compose::model::Project;
use berth_compose::render::{print_json, print_yaml, to_json, to_yaml};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

/// Cases whose YAML cannot be reproduced from `expected.json` alone, and why. For these the
/// service-level `x-*` keys are read from `expected.yaml` (with berth's YAML parser), put into
/// the model, and then both outputs must match exactly.
const YAML_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "cg-full-example-no-consistency",
        "service-level x-* keys are in expected.yaml but Compose drops them from JSON",
    ),
    (
        "p-merge-override",
        "service-level x-* keys are in expected.yaml but Compose drops them from JSON",
    ),
    (
        "p-yaml-anchors-merge-keys",
        "service-level x-* keys are in expected.yaml but Compose drops them from JSON",
    ),
];

/// Cases whose JSON is not a canonical project, and why.
const MODEL_EXCEPTIONS: &[(&str, &str)] = &[(
    "e2e-config-no-interpolate",
    "--no-interpolate prints the raw merged tree (ports stay short-syntax strings), not the model",
)];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/compose")
}

/// Puts the service-level `x-*` keys of `yaml` into `project`.
fn add_service_extensions(project: &mut Project, yaml: &str) {
    let docs = berth_compose::yaml::parse_documents(yaml, &Arc::from("expected.yaml")).unwrap();
    let tree = docs[0].to_json();
    for (name, service) in tree["services"].as_object().unwrap() {
        for (k, v) in service.as_object().unwrap() {
            if k.starts_with("x-") {
                let svc = project.services.get_mut(name).unwrap();
                svc.extensions.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `yaml` without the `x-*` blocks of services (4-space-indented `x-` keys under `services:`).
fn strip_service_extensions(yaml: &str) -> String {
    let mut out = String::new();
    let mut in_services = false;
    let mut skipping = false;
    for line in yaml.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_services = line.starts_with("services:");
        }
        if skipping && indent > 4 {
            continue;
        }
        skipping = in_services && indent == 4 && line[4..].starts_with("x-");
        if !skipping {
            out.push_str(line);
        }
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    format!(
        "line {}: got {:?}, want {:?}",
        line + 1,
        a.lines().nth(line).unwrap_or("<eof>"),
        b.lines().nth(line).unwrap_or("<eof>")
    )
}

#[test]
fn corpus_round_trip() {
    let root = corpus();
    let cases_json = std::fs::read_to_string(root.join("cases.json"))
        .expect("conformance corpus at ../shared/conformance/compose");
    let cases: Vec<Value> = serde_json::from_str(&cases_json).unwrap();

    let mut total = 0;
    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &cases {
        if case["result"] != "accepted" {
            continue;
        }
        let id = case["id"].as_str().unwrap();
        let dir = root.join(case["dir"].as_str().unwrap());
        total += 1;
        let json_text = std::fs::read_to_string(dir.join("expected.json")).unwrap();
        let yaml_text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        let expected: Value = serde_json::from_str(&json_text).unwrap();
        if MODEL_EXCEPTIONS.iter().any(|(c, _)| *c == id) {
            // Not a model, but the plain printers must still reproduce Compose's output.
            if print_json(&expected) + "\n" != json_text || print_yaml(&expected) != yaml_text {
                failures.push(format!("{id}: plain printers differ"));
            }
            continue;
        }

        let project: Project = match serde_json::from_value(expected.clone()) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{id}: deserialise: {e}"));
                continue;
            }
        };
        let value = serde_json::to_value(&project).unwrap();
        let mut ok = true;
        if value != expected {
            failures.push(format!(
                "{id}: JSON differs\n got: {}\nwant: {}",
                serde_json::to_string(&value).unwrap(),
                serde_json::to_string(&expected).unwrap()
            ));
            ok = false;
        }
        let json_out = to_json(&value) + "\n";
        if json_out != json_text {
            failures.push(format!(
                "{id}: to_json differs: {}",
                first_difference(&json_out, &json_text)
            ));
            ok = false;
        }
        let mut yaml_out = to_yaml(&value);
        let yaml_exception = YAML_EXCEPTIONS.iter().any(|(c, _)| *c == id);
        if yaml_out != yaml_text && !yaml_exception {
            failures.push(format!(
                "{id}: to_yaml differs: {}",
                first_difference(&yaml_out, &yaml_text)
            ));
            ok = false;
        }
        if yaml_exception {
            if yaml_out == yaml_text {
                failures.push(format!("{id}: listed as a YAML exception but now matches"));
                ok = false;
            } else if yaml_out != strip_service_extensions(&yaml_text) {
                failures.push(format!(
                    "{id}: to_yaml differs beyond service x-* keys: {}",
                    first_difference(&yaml_out, &strip_service_extensions(&yaml_text))
                ));
                ok = false;
            }
            // With the keys JSON dropped put back, YAML must match and JSON must not change.
            let mut full = project.clone();
            add_service_extensions(&mut full, &yaml_text);
            let full_value = serde_json::to_value(&full).unwrap();
            yaml_out = to_yaml(&full_value);
            if yaml_out != yaml_text {
                failures.push(format!(
                    "{id}: to_yaml with service x-* keys differs: {}",
                    first_difference(&yaml_out, &yaml_text)
                ));
                ok = false;
            }
            if to_json(&full_value) + "\n" != json_text {
                failures.push(format!("{id}: to_json does not drop service x-* keys"));
                ok = false;
            }
        }
        if ok {
            passed += 1;
        }
    }
    println!(
        "model round trip: {passed}/{total} accepted cases pass ({} not a model: printers only; {} need service-level x-* keys from expected.yaml)",
        MODEL_EXCEPTIONS.len(),
        YAML_EXCEPTIONS.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} case(s) failed", failures.len());
    assert_eq!(passed + MODEL_EXCEPTIONS.len(), total);
}

/// The YAML form reads back into the model too: `expected.yaml` -> berth's YAML parser ->
/// [`Project`] -> `to_yaml` must give `expected.yaml` again. This also covers
/// `e2e-build-ssh`, whose JSON output fails in Compose 2.26.1 (`build.ssh` with a key path).
#[test]
fn corpus_yaml_round_trip() {
    let root = corpus();
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root.join("cases.json")).unwrap()).unwrap();
    let mut total = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        if case["result"] == "rejected" || MODEL_EXCEPTIONS.iter().any(|(c, _)| *c == id) {
            continue;
        }
        total += 1;
        let dir = root.join(case["dir"].as_str().unwrap());
        let yaml_text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        let docs =
            berth_compose::yaml::parse_documents(&yaml_text, &Arc::from("expected.yaml")).unwrap();
        let project: Project = match serde_json::from_value(docs[0].to_json()) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{id}: deserialise YAML form: {e}"));
                continue;
            }
        };
        let out = to_yaml(&serde_json::to_value(&project).unwrap());
        if out != yaml_text {
            failures.push(format!("{id}: {}", first_difference(&out, &yaml_text)));
        }
    }
    println!(
        "YAML round trip: {}/{total} cases pass",
        total - failures.len()
    );
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} case(s) failed", failures.len());
}
