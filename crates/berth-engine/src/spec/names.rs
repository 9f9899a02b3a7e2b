//! The engine names of a project's networks, volumes, containers and images, as Compose v2
//! names them.

use berth_compose::model::ServiceNetworkConfig;

use super::*;

/// The engine name of a network key of the project.
pub fn network_name(project: &Project, project_name: &str, key: &str) -> String {
    project
        .networks
        .get(key)
        .and_then(|n| n.name.clone())
        .unwrap_or_else(|| format!("{project_name}_{key}"))
}

/// The engine name of a volume key of the project.
pub fn volume_name(project: &Project, project_name: &str, key: &str) -> String {
    project
        .volumes
        .get(key)
        .and_then(|n| n.name.clone())
        .unwrap_or_else(|| format!("{project_name}_{key}"))
}

/// The container name: `container_name`, else `<project>-<service>-<n>`.
pub fn container_name(
    project_name: &str,
    service_name: &str,
    service: &Service,
    number: u32,
) -> String {
    match &service.container_name {
        Some(n) => n.clone(),
        None => format!("{project_name}-{service_name}-{number}"),
    }
}

/// The image a service runs: `image`, else `<project>-<service>` (built).
pub fn image_name(project_name: &str, service_name: &str, service: &Service) -> String {
    match &service.image {
        Some(i) => i.clone(),
        None => format!("{project_name}-{service_name}"),
    }
}

/// Networks in the order Compose attaches them: by `priority` (highest first), then name.
pub fn ordered_networks(service: &Service) -> Vec<(&String, Option<&ServiceNetworkConfig>)> {
    let mut nets: Vec<_> = service
        .networks
        .iter()
        .map(|(k, v)| (k, v.as_ref()))
        .collect();
    nets.sort_by(|a, b| {
        let pa = a.1.and_then(|c| c.priority).unwrap_or(0);
        let pb = b.1.and_then(|c| c.priority).unwrap_or(0);
        pb.cmp(&pa).then(a.0.cmp(b.0))
    });
    nets
}
