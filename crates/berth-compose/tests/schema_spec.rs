//! The compose schema stage: drift against the reference JSON schema, exact messages and
//! positions per class of error, and the conformance corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use berth_compose::schema::{json_schema, validate, SchemaError};
use berth_compose::yaml;
use serde_json::Value as J;

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/compose")
}

// ----------------------------------------------------------------------------------------------
// Drift: the Rust description against the reference JSON Schema
// ----------------------------------------------------------------------------------------------

/// Drops annotations and keywords that cannot change what validates, so that the comparison is
/// about property names, type sets, enums, requirements, patterns and ranges.
fn normalize(v: &J) -> J {
    match v {
        J::Object(o) => {
            let is_array = o.get("type") == Some(&J::String("array".into()));
            let mut out = serde_json::Map::new();
            for (k, x) in o {
                let annotation = matches!(
                    k.as_str(),
                    "description"
                        | "$schema"
                        | "$id"
                        | "id"
                        | "title"
                        | "deprecated"
                        | "default"
                        | "$comment"
                        | "examples"
                );
                let noop = (k == "uniqueItems" && *x == J::Bool(false))
                    || (is_array
                        && matches!(
                            k.as_str(),
                            "additionalProperties" | "patternProperties" | "properties"
                        ));
                if annotation || noop {
                    continue;
                }
                out.insert(k.clone(), normalize(x));
            }
            J::Object(out)
        }
        J::Array(a) => J::Array(a.iter().map(normalize).collect()),
        x => x.clone(),
    }
}

/// `path → leaf` (type sets and required lists sorted).
fn flatten(v: &J, path: &str, out: &mut BTreeMap<String, String>) {
    match v {
        J::Object(o) => {
            if o.is_empty() {
                out.insert(path.to_string(), "{}".into());
            }
            for (k, x) in o {
                let p = format!("{path}/{k}");
                match (k.as_str(), x) {
                    ("type" | "required" | "enum", J::Array(a)) => {
                        let mut items: Vec<String> = a.iter().map(|i| i.to_string()).collect();
                        if k != "enum" {
                            items.sort();
                        }
                        out.insert(p, items.join(","));
                    }
                    _ => flatten(x, &p, out),
                }
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, &format!("{path}/{i}"), out);
            }
        }
        x => {
            out.insert(path.to_string(), x.to_string());
        }
    }
}

fn flat(v: &J) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten(&normalize(v), "", &mut out);
    out
}

/// Every difference as `path: reference -> ours` (`-` for absent).
fn diff(reference: &J, ours: &J) -> Vec<String> {
    let (a, b) = (flat(reference), flat(ours));
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let get = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or("-".into());
            format!("{k}: {} -> {}", get(&a), get(&b))
        })
        .collect()
}

fn read_json(p: &Path) -> J {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

/// The schema the reference binary enforces (compose-go v2.4.8's, embedded in the Debian build
/// of Compose 2.26.1), when a copy is available: it must match exactly.
#[test]
fn matches_enforced_schema_exactly() {
    let candidates = [
        std::env::var("BERTH_ENFORCED_SCHEMA")
            .ok()
            .map(PathBuf::from),
        Some(shared().join("schema/compose-spec.compose-go-v2.4.8.json")),
    ];
    let Some(p) = candidates.into_iter().flatten().find(|p| p.exists()) else {
        eprintln!("no copy of the compose-go v2.4.8 schema; only the v2.0.2 delta is checked");
        return;
    };
    let d: Vec<String> = diff(&read_json(&p), &json_schema())
        .into_iter()
        .filter(|l| !is_berth_extension(l))
        .collect();
    assert!(
        d.is_empty(),
        "differences from {}:\n{}",
        p.display(),
        d.join("\n")
    );
}

/// Against the compose-go v2.0.2 schema in the corpus: exactly the documented delta, which is
/// what compose-go v2.4.8 changed (and what `compose-v2` here really enforces).
#[test]
fn differs_from_v2_0_2_only_by_the_v2_4_8_delta() {
    let reference = read_json(&shared().join("schema/compose-spec.compose-go-v2.0.2.json"));
    let got: Vec<String> = diff(&reference, &json_schema())
        .into_iter()
        .filter(|l| !is_berth_extension(l))
        .collect();
    let want: Vec<String> = V2_4_8_DELTA
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let unexpected: Vec<&String> = got.iter().filter(|d| !want.contains(d)).collect();
    let missing: Vec<&String> = want.iter().filter(|d| !got.contains(d)).collect();
    assert!(
        unexpected.is_empty() && missing.is_empty(),
        "unexpected differences:\n{}\n\nexpected differences not found:\n{}",
        unexpected
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        missing
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Keys berth accepts beyond the enforced schema, each from a newer Compose (2.32+): the
/// `develop.watch` rule's `include` and `initial_sync`. Only these may differ.
const BERTH_EXTENSIONS: &[&str] = &[
    "/definitions/development/properties/watch/items/properties/include/",
    "/definitions/development/properties/watch/items/properties/initial_sync/",
];

fn is_berth_extension(diff_line: &str) -> bool {
    BERTH_EXTENSIONS.iter().any(|p| diff_line.starts_with(p)) && diff_line.contains(": - -> ")
}

/// `path: v2.0.2 -> enforced` (v2.4.8), one per line.
const V2_4_8_DELTA: &str = r##"
/definitions/blkio_weight/properties/weight/type: "integer" -> "integer","string"
/definitions/config/properties/external/type: "boolean","object" -> "boolean","object","string"
/definitions/constraints/service/anyOf/0/required: "build" -> -
/definitions/constraints/service/anyOf/1/required: "image" -> -
/definitions/constraints/service/properties/build/required: "context" -> -
/definitions/deployment/properties/placement/properties/max_replicas_per_node/type: "integer" -> "integer","string"
/definitions/deployment/properties/replicas/type: "integer" -> "integer","string"
/definitions/deployment/properties/resources/properties/limits/properties/pids/type: "integer" -> "integer","string"
/definitions/deployment/properties/restart_policy/properties/delay/format: "duration" -> -
/definitions/deployment/properties/restart_policy/properties/max_attempts/type: "integer" -> "integer","string"
/definitions/deployment/properties/restart_policy/properties/window/format: "duration" -> -
/definitions/deployment/properties/rollback_config/properties/delay/format: "duration" -> -
/definitions/deployment/properties/rollback_config/properties/max_failure_ratio/type: "number" -> "number","string"
/definitions/deployment/properties/rollback_config/properties/monitor/format: "duration" -> -
/definitions/deployment/properties/rollback_config/properties/parallelism/type: "integer" -> "integer","string"
/definitions/deployment/properties/update_config/properties/delay/format: "duration" -> -
/definitions/deployment/properties/update_config/properties/max_failure_ratio/type: "number" -> "number","string"
/definitions/deployment/properties/update_config/properties/monitor/format: "duration" -> -
/definitions/deployment/properties/update_config/properties/parallelism/type: "integer" -> "integer","string"
/definitions/development/additionalProperties: - -> false
/definitions/development/patternProperties/^x-: - -> {}
/definitions/development/properties/watch/items/additionalProperties: - -> false
/definitions/development/properties/watch/items/patternProperties/^x-: - -> {}
/definitions/development/properties/watch/items/properties/action/enum: "rebuild","sync","sync+restart" -> "rebuild","sync","restart","sync+restart","sync+exec"
/definitions/development/properties/watch/items/properties/exec/$ref: - -> "#/definitions/service_hook"
/definitions/devices/items/required: - -> "capabilities"
/definitions/env_file/oneOf/1/items/oneOf/1/properties/format/type: - -> "string"
/definitions/env_file/oneOf/1/items/oneOf/1/properties/required/type: "boolean" -> "boolean","string"
/definitions/extra_hosts/oneOf/0/additionalProperties: - -> false
/definitions/extra_hosts/oneOf/0/patternProperties/.+/oneOf/0/type: - -> "string"
/definitions/extra_hosts/oneOf/0/patternProperties/.+/oneOf/1/items/type: - -> "string"
/definitions/extra_hosts/oneOf/0/patternProperties/.+/oneOf/1/type: - -> "array"
/definitions/extra_hosts/oneOf/0/type: - -> "object"
/definitions/extra_hosts/oneOf/1/items/type: - -> "string"
/definitions/extra_hosts/oneOf/1/type: - -> "array"
/definitions/extra_hosts/oneOf/1/uniqueItems: - -> true
/definitions/generic_resources/items/properties/discrete_resource_spec/properties/value/type: "number" -> "number","string"
/definitions/gpus/oneOf/0/enum: - -> "all"
/definitions/gpus/oneOf/0/type: - -> "string"
/definitions/gpus/oneOf/1/items/properties/capabilities/$ref: - -> "#/definitions/list_of_strings"
/definitions/gpus/oneOf/1/items/properties/count/type: - -> "integer","string"
/definitions/gpus/oneOf/1/items/properties/device_ids/$ref: - -> "#/definitions/list_of_strings"
/definitions/gpus/oneOf/1/items/properties/driver/type: - -> "string"
/definitions/gpus/oneOf/1/items/properties/options/$ref: - -> "#/definitions/list_or_dict"
/definitions/gpus/oneOf/1/items/type: - -> "object"
/definitions/gpus/oneOf/1/type: - -> "array"
/definitions/healthcheck/properties/disable/type: "boolean" -> "boolean","string"
/definitions/healthcheck/properties/interval/format: "duration" -> -
/definitions/healthcheck/properties/retries/type: "number" -> "number","string"
/definitions/healthcheck/properties/start_interval/format: "duration" -> -
/definitions/healthcheck/properties/start_period/format: "duration" -> -
/definitions/healthcheck/properties/timeout/format: "duration" -> -
/definitions/label_file/oneOf/0/type: - -> "string"
/definitions/label_file/oneOf/1/items/type: - -> "string"
/definitions/label_file/oneOf/1/type: - -> "array"
/definitions/network/properties/attachable/type: "boolean" -> "boolean","string"
/definitions/network/properties/enable_ipv4/type: - -> "boolean","string"
/definitions/network/properties/enable_ipv6/type: "boolean" -> "boolean","string"
/definitions/network/properties/external/type: "boolean","object" -> "boolean","object","string"
/definitions/network/properties/internal/type: "boolean" -> "boolean","string"
/definitions/network/properties/ipam/properties/config/items/properties/subnet/format: "subnet_ip_address" -> -
/definitions/secret/properties/external/type: "boolean","object" -> "boolean","object","string"
/definitions/service/properties/attach/type: "boolean" -> "boolean","string"
/definitions/service/properties/blkio_config/properties/weight/type: "integer" -> "integer","string"
/definitions/service/properties/build/oneOf/1/properties/entitlements/items/type: - -> "string"
/definitions/service/properties/build/oneOf/1/properties/entitlements/type: - -> "array"
/definitions/service/properties/build/oneOf/1/properties/extra_hosts/$ref: "#/definitions/list_or_dict" -> "#/definitions/extra_hosts"
/definitions/service/properties/build/oneOf/1/properties/no_cache/type: "boolean" -> "boolean","string"
/definitions/service/properties/build/oneOf/1/properties/privileged/type: "boolean" -> "boolean","string"
/definitions/service/properties/build/oneOf/1/properties/pull/type: "boolean" -> "boolean","string"
/definitions/service/properties/cpu_count/minimum: 0 -> -
/definitions/service/properties/cpu_count/oneOf/0/type: - -> "string"
/definitions/service/properties/cpu_count/oneOf/1/minimum: - -> 0
/definitions/service/properties/cpu_count/oneOf/1/type: - -> "integer"
/definitions/service/properties/cpu_count/type: "integer" -> -
/definitions/service/properties/cpu_percent/maximum: 100 -> -
/definitions/service/properties/cpu_percent/minimum: 0 -> -
/definitions/service/properties/cpu_percent/oneOf/0/type: - -> "string"
/definitions/service/properties/cpu_percent/oneOf/1/maximum: - -> 100
/definitions/service/properties/cpu_percent/oneOf/1/minimum: - -> 0
/definitions/service/properties/cpu_percent/oneOf/1/type: - -> "integer"
/definitions/service/properties/cpu_percent/type: "integer" -> -
/definitions/service/properties/depends_on/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$/patternProperties/^x-: - -> {}
/definitions/service/properties/depends_on/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$/properties/restart/type: "boolean" -> "boolean","string"
/definitions/service/properties/devices/items/oneOf/0/type: - -> "string"
/definitions/service/properties/devices/items/oneOf/1/additionalProperties: - -> false
/definitions/service/properties/devices/items/oneOf/1/patternProperties/^x-: - -> {}
/definitions/service/properties/devices/items/oneOf/1/properties/permissions/type: - -> "string"
/definitions/service/properties/devices/items/oneOf/1/properties/source/type: - -> "string"
/definitions/service/properties/devices/items/oneOf/1/properties/target/type: - -> "string"
/definitions/service/properties/devices/items/oneOf/1/required: - -> "source"
/definitions/service/properties/devices/items/oneOf/1/type: - -> "object"
/definitions/service/properties/devices/items/type: "string" -> -
/definitions/service/properties/devices/uniqueItems: true -> -
/definitions/service/properties/expose/items/format: "expose" -> -
/definitions/service/properties/extra_hosts/$ref: "#/definitions/list_or_dict" -> "#/definitions/extra_hosts"
/definitions/service/properties/gpus/$ref: - -> "#/definitions/gpus"
/definitions/service/properties/init/type: "boolean" -> "boolean","string"
/definitions/service/properties/label_file/$ref: - -> "#/definitions/label_file"
/definitions/service/properties/mem_swappiness/type: "integer" -> "integer","string"
/definitions/service/properties/networks/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$/oneOf/0/properties/driver_opts/patternProperties/^.+$/type: - -> "number","string"
/definitions/service/properties/networks/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$/oneOf/0/properties/driver_opts/type: - -> "object"
/definitions/service/properties/networks/oneOf/1/patternProperties/^[a-zA-Z0-9._-]+$/oneOf/0/properties/gw_priority/type: - -> "number"
/definitions/service/properties/oom_kill_disable/type: "boolean" -> "boolean","string"
/definitions/service/properties/oom_score_adj/maximum: 1000 -> -
/definitions/service/properties/oom_score_adj/minimum: -1000 -> -
/definitions/service/properties/oom_score_adj/oneOf/0/type: - -> "string"
/definitions/service/properties/oom_score_adj/oneOf/1/maximum: - -> 1000
/definitions/service/properties/oom_score_adj/oneOf/1/minimum: - -> -1000
/definitions/service/properties/oom_score_adj/oneOf/1/type: - -> "integer"
/definitions/service/properties/oom_score_adj/type: "integer" -> -
/definitions/service/properties/ports/items/oneOf/0/format: "ports" -> -
/definitions/service/properties/ports/items/oneOf/1/format: "ports" -> -
/definitions/service/properties/ports/items/oneOf/2/properties/target/type: "integer" -> "integer","string"
/definitions/service/properties/post_start/items/$ref: - -> "#/definitions/service_hook"
/definitions/service/properties/post_start/type: - -> "array"
/definitions/service/properties/pre_stop/items/$ref: - -> "#/definitions/service_hook"
/definitions/service/properties/pre_stop/type: - -> "array"
/definitions/service/properties/privileged/type: "boolean" -> "boolean","string"
/definitions/service/properties/read_only/type: "boolean" -> "boolean","string"
/definitions/service/properties/scale/type: "integer" -> "integer","string"
/definitions/service/properties/stdin_open/type: "boolean" -> "boolean","string"
/definitions/service/properties/stop_grace_period/format: "duration" -> -
/definitions/service/properties/tty/type: "boolean" -> "boolean","string"
/definitions/service/properties/volumes/items/oneOf/1/properties/bind/properties/create_host_path/type: "boolean" -> "boolean","string"
/definitions/service/properties/volumes/items/oneOf/1/properties/bind/properties/recursive/enum: - -> "enabled","disabled","writable","readonly"
/definitions/service/properties/volumes/items/oneOf/1/properties/bind/properties/recursive/type: - -> "string"
/definitions/service/properties/volumes/items/oneOf/1/properties/read_only/type: "boolean" -> "boolean","string"
/definitions/service/properties/volumes/items/oneOf/1/properties/tmpfs/properties/mode/type: "number" -> "number","string"
/definitions/service/properties/volumes/items/oneOf/1/properties/volume/properties/nocopy/type: "boolean" -> "boolean","string"
/definitions/service_config_or_secret/items/oneOf/1/properties/mode/type: "number" -> "number","string"
/definitions/service_hook/additionalProperties: - -> false
/definitions/service_hook/patternProperties/^x-: - -> {}
/definitions/service_hook/properties/command/$ref: - -> "#/definitions/command"
/definitions/service_hook/properties/environment/$ref: - -> "#/definitions/list_or_dict"
/definitions/service_hook/properties/privileged/type: - -> "boolean","string"
/definitions/service_hook/properties/user/type: - -> "string"
/definitions/service_hook/properties/working_dir/type: - -> "string"
/definitions/service_hook/type: - -> "object"
/definitions/ulimits/patternProperties/^[a-z]+$/oneOf/0/type: "integer" -> "integer","string"
/definitions/ulimits/patternProperties/^[a-z]+$/oneOf/1/properties/hard/type: "integer" -> "integer","string"
/definitions/ulimits/patternProperties/^[a-z]+$/oneOf/1/properties/soft/type: "integer" -> "integer","string"
/definitions/volume/properties/external/type: "boolean","object" -> "boolean","object","string"
/properties/include/items/type: "object" -> -
/properties/name/pattern: "^[a-z0-9][a-z0-9_-]*$" -> -
"##;

// ----------------------------------------------------------------------------------------------
// Messages and positions
// ----------------------------------------------------------------------------------------------

fn parse(text: &str, file: &str) -> Vec<yaml::Node> {
    let file: Arc<str> = Arc::from(file);
    yaml::parse_documents(text, &file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn check(text: &str) -> Vec<SchemaError> {
    validate(&parse(text, "compose.yaml")[0])
}

/// `line:col path: message`, one per error.
fn errs(text: &str) -> Vec<String> {
    check(text)
        .iter()
        .map(|e| format!("{}:{} {}: {}", e.pos.line, e.pos.col, e.path, e.message))
        .collect()
}

/// One input per class of error: the exact `line:col path: message` lines.
const TABLE: &[(&str, &[&str])] = &[
    // unknown key: top level, service level, nested level
    (
        "service:\n  web:\n    image: a\n",
        &[r#"1:1 service: unknown key "service" (did you mean "services"?)"#],
    ),
    (
        "foo: 1\nservices: {}\n",
        &[r#"1:1 foo: unknown key "foo" (top-level keys are version, name, include, services, networks, volumes, secrets, configs, or extensions starting with "x-")"#],
    ),
    (
        "image: a\nservices: {}\n",
        &[r#"1:1 image: unknown key "image" (this is a service attribute: it belongs under services.<name>; check the indentation)"#],
    ),
    (
        "services:\n  s:\n    imagee: a\n",
        &[r#"3:5 services.s.imagee: unknown key "imagee" (did you mean "image"?)"#],
    ),
    (
        "services:\n  s:\n    image: a\n    dockerfile: x\n",
        &[r#"4:5 services.s.dockerfile: unknown key "dockerfile" (did you mean "build.dockerfile"? it belongs under build)"#],
    ),
    (
        "services:\n  s:\n    image: a\n    build:\n      contxt: .\n",
        &[r#"5:7 services.s.build.contxt: unknown key "contxt" (did you mean "context"?)"#],
    ),
    (
        "services:\n  s:\n    image: a\n    blkio_config:\n      x-a: 1\n",
        &[r#"5:7 services.s.blkio_config.x-a: unknown key "x-a" (extension keys "x-…" are not allowed here)"#],
    ),
    // wrong type
    (
        "services:\n  s:\n    image: a\n    ports: \"80:80\"\n",
        &[r#"4:12 services.s.ports: expected a list of ports, found the string "80:80" (write a list, e.g. ["80:80"])"#],
    ),
    (
        "services:\n  s:\n    image: a\n    ports:\n      - 80\n      - true\n",
        &[r#"6:9 services.s.ports[1]: expected a port number, a port string such as "8080:80", or a port mapping, found the boolean true"#],
    ),
    (
        "services:\n  s:\n    image: a\n    command: {a: 1}\n",
        &["4:14 services.s.command: expected null, a string or a list of strings, found a mapping"],
    ),
    (
        "services:\n  s:\n    image: a\n    deploy:\n      replicas: 1.5\n",
        &["5:17 services.s.deploy.replicas: expected an integer or a string, found the number 1.5"],
    ),
    (
        "services:\n  s:\n    image: a\n    healthcheck:\n      interval: 5\n",
        &[r#"5:17 services.s.healthcheck.interval: expected a string, found the number 5 (write a duration with a unit, e.g. "5s")"#],
    ),
    (
        "services:\n  nil:\n",
        &["2:6 services.nil: expected a mapping, found an empty value (a service needs at least an image or a build)"],
    ),
    (
        "version: 3\nservices: {}\n",
        &[r#"1:10 version: expected a string, found the number 3 (quote it, e.g. "3.8"; the version key is ignored anyway and can be removed)"#],
    ),
    // bad enum, missing required key
    (
        "services:\n  a:\n    image: a\n    depends_on:\n      b:\n        condition: service_startd\n  b:\n    image: b\n",
        &[r#"6:20 services.a.depends_on.b.condition: "service_startd" is not a valid condition (expected one of service_started, service_healthy, service_completed_successfully)"#],
    ),
    (
        "services:\n  s:\n    image: a\n    depends_on:\n      b: {}\n",
        &[r#"5:10 services.s.depends_on.b: missing required key "condition" (one of service_started, service_healthy, service_completed_successfully)"#],
    ),
    (
        "services:\n  s:\n    image: a\n    volumes:\n      - source: a\n        target: /b\n",
        &[r#"5:9 services.s.volumes[0]: missing required key "type" (e.g. volume, bind or tmpfs)"#],
    ),
    // bad names (patterns)
    (
        "services:\n  my service:\n    image: a\n",
        &[r#"2:3 services."my service": "my service" is not a valid service name: only letters, digits, ".", "_" and "-" are allowed, not a space"#],
    ),
    (
        "volumes:\n  \"data/x\": {}\nservices: {}\n",
        &[r#"2:3 volumes."data/x": "data/x" is not a valid volume name: only letters, digits, ".", "_" and "-" are allowed, not "/""#],
    ),
    (
        "services:\n  s:\n    image: a\n    environment:\n      \"\": x\n",
        &[r#"5:7 services.s.environment."": empty key: keys here must not be empty"#],
    ),
    // ranges (with compose-go's cast of interpolated strings), uniqueness
    (
        "services:\n  s:\n    image: a\n    cpu_count: \"-1\"\n    cpu_percent: 150\n",
        &[
            "4:16 services.s.cpu_count: -1 is out of range: cpu_count must be an integer of at least 0",
            "5:18 services.s.cpu_percent: 150 is out of range: cpu_percent must be an integer from 0 to 100",
        ],
    ),
    (
        "services:\n  s:\n    image: a\n    volumes_from: [a, a]\n",
        &[r#"4:23 services.s.volumes_from[1]: "a" is listed twice (same as [0]); entries of volumes_from must be unique"#],
    ),
    // all errors, in document order
    (
        "services:\n  s:\n    image: a\n    pull_policy: allways\n    cap_add: NET_ADMIN\n    ports:\n      - {target: 80, foo: 1}\nvolumz: {}\n",
        &[
            r#"4:18 services.s.pull_policy: "allways" is not a valid pull_policy (expected one of always, never, if_not_present, build, missing)"#,
            r#"5:14 services.s.cap_add: expected a list of strings, found the string "NET_ADMIN" (write a list, e.g. ["NET_ADMIN"])"#,
            r#"7:22 services.s.ports[0].foo: unknown key "foo""#,
            r#"8:1 volumz: unknown key "volumz" (did you mean "volumes"?)"#,
        ],
    ),
];

#[test]
fn messages_and_positions() {
    let mut failures = Vec::new();
    for (input, want) in TABLE {
        let got = errs(input);
        if got != *want {
            failures.push(format!(
                "--- input:\n{input}--- want:\n{}\n--- got:\n{}\n",
                want.join("\n"),
                got.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn display_has_file_line_col() {
    let e = &check("services:\n  s:\n    imagee: a\n")[0];
    assert_eq!(
        e.to_string(),
        r#"compose.yaml:3:5: services.s.imagee: unknown key "imagee" (did you mean "image"?)"#
    );
}

/// What the reference accepts that a naive reading of the schema might not.
#[test]
fn accepted_forms() {
    for ok in [
        // strings wherever compose-go's schema has ["boolean"|"integer"|"number", "string"]
        "services:\n  s:\n    image: a\n    privileged: \"true\"\n    scale: \"2\"\n    deploy: {replicas: \"3\"}\n",
        // an integral float is an integer
        "services:\n  s:\n    image: a\n    deploy: {replicas: 1.0}\n",
        // extensions where the schema has ^x-
        "x-common: &c {image: a}\nservices:\n  s:\n    <<: *c\n    x-note: 1\n    build: {context: ., x-b: 1}\n",
        // !reset: the value (and key) are skipped
        "services:\n  s:\n    image: a\n    ports: !reset null\n    imagee: !reset x\n",
        // null where the schema allows it
        "services:\n  s:\n    image: a\n    deploy:\n    develop:\n    command:\n    networks:\n      n:\nnetworks:\n  n:\nvolumes:\n  v:\n",
        // de-duplicated before validation by compose-go: no uniqueItems error
        "services:\n  s:\n    image: a\n    cap_add: [A, A]\n    ports: [\"80:80\", \"80:80\"]\n    profiles: [p, p]\n",
        // top-level networks are not name-checked (no additionalProperties: false)
        "networks:\n  \"my net\": {foo: 1}\nservices: {}\n",
        // ulimits names outside ^[a-z]+$ are not constrained
        "services:\n  s:\n    image: a\n    ulimits: {NOFILE: 1}\n",
        // newer compose-go keys that compose-v2 here accepts
        "services:\n  s:\n    image: a\n    gpus: all\n    post_start: [{command: ls}]\n    label_file: l.txt\n    develop: {watch: [{path: ., action: restart}]}\n",
    ] {
        let e = errs(ok);
        assert!(e.is_empty(), "input:\n{ok}\nerrors:\n{}", e.join("\n"));
    }
}

// ----------------------------------------------------------------------------------------------
// The conformance corpus
// ----------------------------------------------------------------------------------------------

fn cases() -> Vec<J> {
    match read_json(&shared().join("cases.json")) {
        J::Array(a) => a,
        _ => panic!("cases.json is not a list"),
    }
}

fn is_yaml(f: &str) -> bool {
    f.ends_with(".yaml") || f.ends_with(".yml")
}

/// Every yaml file of every accepted case validates without error. (The files are validated
/// before interpolation; no accepted case relies on interpolation to become valid.)
#[test]
fn accepted_corpus_cases_validate() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for c in cases() {
        let result = c["result"].as_str().unwrap();
        if !result.starts_with("accepted") {
            continue;
        }
        let dir = shared().join(c["dir"].as_str().unwrap());
        for f in c["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.as_str())
        {
            if !is_yaml(f) {
                continue;
            }
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            for doc in parse(&text, f) {
                checked += 1;
                for e in validate(&doc) {
                    failures.push(format!("{}: {e}", c["id"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(checked > 80, "only {checked} documents found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `validating <file>: <field> <description>` from compose-go to our path of the offending key.
fn reference_path(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("validating ")?;
    let (file, rest) = rest.split_once(": ")?;
    let file = file.rsplit('/').next()?.to_string();
    let (field, desc) = rest.split_once(' ')?;
    let mut path: Vec<String> = if field == "(root)" {
        vec![]
    } else {
        field.split('.').map(String::from).collect()
    };
    if let Some(key) = desc.strip_prefix("Additional property ") {
        path.push(key.strip_suffix(" is not allowed")?.to_string());
    }
    let rendered = path
        .iter()
        .map(|k| {
            if !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                k.clone()
            } else {
                format!("{k:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".");
    Some((file, rendered))
}

/// Every rejected case whose reference error is a schema error gets an error on the same key.
#[test]
fn rejected_schema_cases_point_at_the_key() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for c in cases() {
        if c["result"] != "rejected" {
            continue;
        }
        let dir = shared().join(c["dir"].as_str().unwrap());
        let Ok(expected) = std::fs::read_to_string(dir.join("expected-error.txt")) else {
            continue;
        };
        let Some((file, want)) = expected.lines().find_map(reference_path) else {
            continue;
        };
        checked += 1;
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        let got: Vec<SchemaError> = parse(&text, &file).iter().flat_map(validate).collect();
        if !got.iter().any(|e| e.path == want) {
            failures.push(format!(
                "{}: want an error at {want}, got:\n{}",
                c["id"].as_str().unwrap(),
                got.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        } else {
            for e in &got {
                eprintln!("{}: {e}", c["id"].as_str().unwrap());
            }
        }
    }
    assert!(checked >= 7, "only {checked} schema-error cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
