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
    let mut v = serde_json::to_value(service).unwrap_or(serde_json::Value::Null);
    if let Some(m) = v.as_object_mut() {
        for k in ["build", "pull_policy", "scale", "depends_on", "profiles"] {
            m.shift_remove(k);
        }
        if let Some(d) = m.get_mut("deploy").and_then(|d| d.as_object_mut()) {
            d.shift_remove("replicas");
        }
    }
    let bytes = serde_json::to_vec(&sorted(v)).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
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
