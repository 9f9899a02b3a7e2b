//! The two hashes of a service's configuration.
//!
//! - [`service_hash`], stored in `com.docker.compose.config-hash`: Compose v2's own (2.26.1),
//!   so each tool takes the other's containers as up to date: SHA-256 of Go's `json.Marshal` of
//!   the service (struct fields in their declared order, maps sorted, `<`, `>`, `&` escaped),
//!   without `build`, `pull_policy`, `scale` and `deploy.replicas`.
//! - [`hashed_config`], stored in `com.docker.compose.berth.config`: what decides whether `up`
//!   recreates a container berth made. It also leaves out `depends_on` (so `up --no-deps`
//!   recreates nothing, docker/compose#12069), `profiles` and `deploy.replicas` (scaling is not
//!   a change of configuration). A container without it (made by Compose v2) is judged by the
//!   v2 hash.

use sha2::{Digest, Sha256};

use super::model::Service;

/// Compose v2's `com.docker.compose.config-hash` of service `name`: its model as Compose
/// marshals it (the JSON `config --format json` prints, before `$` is written `$$`), but
/// with `env_file` as written (absolute paths) and `environment` without the files' values:
/// Compose v2 hashes the service before it folds the files in.
pub fn service_hash(name: &str, service: &Service) -> String {
    let value = match &service.env_file_origin {
        Some(origin) => serde_json::to_value(Service {
            environment: origin.environment.clone(),
            env_file: origin.files.clone(),
            ..service.clone()
        }),
        None => serde_json::to_value(service),
    }
    .unwrap_or(serde_json::Value::Null);
    let mut services = serde_json::Map::new();
    services.insert(name.to_string(), value);
    let mut project = serde_json::Map::new();
    project.insert("services".into(), serde_json::Value::Object(services));
    let view = super::render::json_view(&serde_json::Value::Object(project));
    let marshalled = view
        .get("services")
        .and_then(|s| s.get(name))
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    compose_hash(marshalled)
}

fn compose_hash(mut v: serde_json::Value) -> String {
    if let Some(m) = v.as_object_mut() {
        for k in ["build", "pull_policy", "scale"] {
            m.shift_remove(k);
        }
        if let Some(d) = m.get_mut("deploy").and_then(|d| d.as_object_mut()) {
            d.shift_remove("replicas");
        }
    }
    let json = serde_json::to_string(&v).unwrap_or_default();
    hex::encode(Sha256::digest(go_escaped(&json).as_bytes()))
}

/// JSON as Go's encoder writes it: `<`, `>`, `&` and the line and paragraph separators as
/// `\u` escapes (they can only occur inside strings, so a textual replacement is exact).
fn go_escaped(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The digest of a [`hashed_config`] value.
pub fn hash_of(config: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(config).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// What berth's recreate decision covers: the service's canonical JSON without the excluded
/// fields, keys sorted (stored compactly in the `com.docker.compose.berth.config` label, which
/// `up --dry-run` also reads to say what changed).
pub fn hashed_config(service: &Service) -> serde_json::Value {
    let mut v = serde_json::to_value(service).unwrap_or(serde_json::Value::Null);
    if let Some(m) = v.as_object_mut() {
        for k in ["build", "pull_policy", "scale", "depends_on", "profiles"] {
            m.shift_remove(k);
        }
        if let Some(d) = m.get_mut("deploy").and_then(|d| d.as_object_mut()) {
            d.shift_remove("replicas");
        }
    }
    sorted(v)
}

/// The fields that differ between two [`hashed_config`] values, flattened
/// (`environment.PORT`, `ports[0].published`), with the old and new values (None: absent).
pub fn config_diff(
    old: &serde_json::Value,
    new: &serde_json::Value,
) -> Vec<(String, Option<serde_json::Value>, Option<serde_json::Value>)> {
    let mut a = std::collections::BTreeMap::new();
    let mut b = std::collections::BTreeMap::new();
    flatten(old, String::new(), &mut a);
    flatten(new, String::new(), &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned()))
        .collect()
}

fn flatten(
    v: &serde_json::Value,
    prefix: String,
    out: &mut std::collections::BTreeMap<String, serde_json::Value>,
) {
    use serde_json::Value as J;
    match v {
        J::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(x, p, out);
            }
        }
        J::Array(a) if !a.is_empty() => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, format!("{prefix}[{i}]"), out);
            }
        }
        other => {
            out.insert(prefix, other.clone());
        }
    }
}

/// Objects with their keys sorted, so the digest depends on content only.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(o) => {
            let mut entries: Vec<(String, J)> =
                o.into_iter().map(|(k, x)| (k, sorted(x))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(entries.into_iter().collect())
        }
        J::Array(a) => J::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}
