//! The labels of a service's containers, as Compose v2 writes them, and its replica count.

use std::collections::BTreeMap;

use berth_compose::hash;
use berth_compose::load::LoadedProject;
use berth_compose::model::Service;
use berth_engine::labels as L;

/// The replica count of a service: `--scale`, else `deploy.replicas`, else `scale`, else 1.
pub fn replicas(name: &str, service: &Service, scale: &BTreeMap<String, u32>) -> u32 {
    if let Some(n) = scale.get(name) {
        return *n;
    }
    service
        .deploy
        .as_ref()
        .and_then(|d| d.replicas)
        .or(service.scale)
        .map(|n| n.max(0) as u32)
        .unwrap_or(1)
}

/// Paths as Compose writes them in a label: comma-separated.
fn join_paths(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels of a service container, as Compose v2 writes them.
pub fn container_labels(
    loaded: &LoadedProject,
    name: &str,
    service: &Service,
    number: u32,
    image_id: Option<&str>,
    oneoff: bool,
) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(L::PROJECT.into(), loaded.name.clone());
    l.insert(L::SERVICE.into(), name.into());
    l.insert(L::VERSION.into(), L::COMPOSE_VERSION.into());
    l.insert(
        L::WORKING_DIR.into(),
        loaded.working_dir.display().to_string(),
    );
    l.insert(L::CONFIG_FILES.into(), join_paths(&loaded.config_files));
    if !loaded.env_files.is_empty() {
        l.insert(L::ENVIRONMENT_FILE.into(), join_paths(&loaded.env_files));
    }
    l.insert(
        L::ONEOFF.into(),
        if oneoff { "True" } else { "False" }.into(),
    );
    l.insert(L::NUMBER.into(), number.to_string());
    l.insert(L::CONFIG_HASH.into(), hash::service_hash(name, service));
    l.insert(
        L::BERTH_CONFIG.into(),
        hash::hashed_config(service).to_string(),
    );
    if let Some(id) = image_id {
        l.insert(L::IMAGE.into(), id.to_string());
    }
    let deps: Vec<String> = service
        .depends_on
        .iter()
        .map(|(d, c)| {
            format!(
                "{d}:{}:{}",
                c.condition.as_deref().unwrap_or("service_started"),
                c.restart
            )
        })
        .collect();
    l.insert(L::DEPENDS_ON.into(), deps.join(","));
    l
}
