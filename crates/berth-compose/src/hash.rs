//! berth's config hash: which changes to a service make `up` recreate its containers.
//!
//! SHA-256 of the service's canonical JSON, leaving out what does not affect a running
//! container: `build` (the image ID is compared separately), `pull_policy`, `scale` and
//! `deploy.replicas` (scaling is not a change of configuration), `depends_on` (so
//! `up --no-deps` recreates nothing, docker/compose#12069) and `profiles`.

use sha2::{Digest, Sha256};

use super::model::Service;

/// The hex digest stored in the `com.docker.compose.config-hash` label.
pub fn service_hash(service: &Service) -> String {
    hash_of(&hashed_config(service))
}

/// The digest of a [`hashed_config`] value.
pub fn hash_of(config: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(config).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// What the hash covers: the service's canonical JSON without the excluded fields, keys
/// sorted (stored compactly in the `com.docker.compose.berth.config` label for `up --dry-run`).
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
