//! The project's networks and volumes that the selected services use: found by name (Docker
//! 20.10 accepts duplicate names), adopted when this project made them, created otherwise.

use std::collections::{BTreeMap, HashMap};

use berth_compose::load::LoadedProject;
use berth_engine::labels as L;
use berth_engine::{api, spec, Engine, EngineError};

use super::ApplyError;
use crate::converge::report::{Reporter, Resource};

pub async fn ensure_networks(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let project = &loaded.project;
    let mut keys: Vec<&String> = Vec::new();
    for s in selected {
        let svc = &project.services[s];
        if svc.network_mode.is_some() {
            continue;
        }
        for k in svc.networks.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    for key in keys {
        let Some(cfg) = project.networks.get(key) else {
            return Err(ApplyError::Invalid(format!(
                "network {key} is not declared"
            )));
        };
        let name = spec::network_name(project, &loaded.name, key);
        // Looked up first: Docker 20.10 accepts a duplicate name and then fails on start.
        let found = engine.find_networks(&name).await?;
        if cfg.external {
            if found.is_empty() {
                return Err(ApplyError::Invalid(format!(
                    "network {name} declared as external, but could not be found (create it with `docker network create {name}`)"
                )));
            }
            continue;
        }
        let found = repair_duplicates(engine, &loaded.name, key, found, progress).await;
        if let Some(existing) = found.first() {
            match existing.labels.get(L::NETWORK) {
                Some(k) if k != key => {
                    return Err(ApplyError::Invalid(format!(
                        "network {name} was found but has incorrect label {}={k} (expected {key})",
                        L::NETWORK
                    )))
                }
                None => progress.warn(&format!(
                    "a network with name {name} exists but was not created by compose; berth uses it as it is"
                )),
                _ => {}
            }
            continue;
        }
        if cfg.enable_ipv4 == Some(false) {
            if let Some(lack) = api::lacks(engine.api_version(), api::DISABLE_IPV4) {
                progress.warn(&format!(
                    "networks.{key}.enable_ipv4: {lack}: IPv4 stays enabled"
                ));
            }
        }
        progress.update(Resource::Network, &name, "Creating", "");
        let labels = labels(&cfg.labels, loaded, L::NETWORK, key);
        match engine.create_network(&name, cfg, labels).await {
            Ok(_) => progress.update(Resource::Network, &name, "Created", ""),
            // Another `up` created it in between: use it.
            Err(EngineError::Conflict(_)) => {
                progress.update(Resource::Network, &name, "Created", "")
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

pub async fn ensure_volumes(
    engine: &Engine,
    loaded: &LoadedProject,
    selected: &[String],
    progress: &dyn Reporter,
) -> Result<(), ApplyError> {
    let project = &loaded.project;
    let mut keys: Vec<String> = Vec::new();
    for s in selected {
        for v in &project.services[s].volumes {
            if v.kind == "volume" {
                if let Some(src) = v.source.as_ref().filter(|x| !x.is_empty()) {
                    if !keys.contains(src) {
                        keys.push(src.clone());
                    }
                }
            }
        }
    }
    for key in keys {
        let Some(cfg) = project.volumes.get(&key) else {
            continue;
        };
        let name = spec::volume_name(project, &loaded.name, &key);
        let existing = engine.inspect_volume(&name).await?;
        if cfg.external {
            if existing.is_none() {
                return Err(ApplyError::Invalid(format!(
                    "external volume \"{name}\" not found (create it with `docker volume create {name}`)"
                )));
            }
            continue;
        }
        if let Some(v) = existing {
            if v.labels
                .get(L::PROJECT)
                .map(|p| p != &loaded.name)
                .unwrap_or(true)
            {
                progress.warn(&format!(
                    "volume \"{name}\" already exists but was not created by this project. Use `external: true` to use an existing volume"
                ));
            }
            continue;
        }
        progress.update(Resource::Volume, &name, "Creating", "");
        let labels = labels(&cfg.labels, loaded, L::VOLUME, key.as_str());
        engine.create_volume(&name, cfg, labels).await?;
        progress.update(Resource::Volume, &name, "Created", "");
    }
    Ok(())
}

/// A network's or volume's labels: the file's, and Compose's own (the project, `kind` naming
/// its key in the file, the version).
fn labels(
    own: &BTreeMap<String, String>,
    loaded: &LoadedProject,
    kind: &str,
    key: &str,
) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = own.clone().into_iter().collect();
    labels.insert(L::PROJECT.into(), loaded.name.clone());
    labels.insert(kind.into(), key.into());
    labels.insert(L::VERSION.into(), L::COMPOSE_VERSION.into());
    labels
}

/// Docker 20.10 lets two creations of one network name both succeed (two `up`s at once did
/// that before `up` took the project lock); every later `up` then fails with "network is
/// ambiguous". Duplicates that carry this project's labels for this network are removed
/// until one is left: one a container still uses cannot be removed, so it is the one kept.
async fn repair_duplicates(
    engine: &Engine,
    project: &str,
    key: &str,
    found: Vec<berth_engine::NetworkSummary>,
    progress: &dyn Reporter,
) -> Vec<berth_engine::NetworkSummary> {
    let ours = |n: &berth_engine::NetworkSummary| {
        n.labels.get(L::PROJECT).map(String::as_str) == Some(project)
            && n.labels.get(L::NETWORK).map(String::as_str) == Some(key)
    };
    if found.len() < 2 || !found.iter().all(ours) {
        return found;
    }
    let mut left = found.clone();
    for n in &found {
        if left.len() == 1 {
            break;
        }
        if engine.remove_network(&n.id).await.is_ok() {
            progress.warn(&format!(
                "network {} existed twice (an earlier concurrent `up`): removed the unused copy {}",
                n.name,
                &n.id[..n.id.len().min(12)]
            ));
            left.retain(|x| x.id != n.id);
        }
    }
    left
}
