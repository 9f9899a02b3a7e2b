//! Networking: network mode, the service's networks and their endpoints (aliases, addresses,
//! MAC), links, and `service:` / `container:` references.

use berth_compose::model::ServiceNetworkConfig;
use bollard::models::{EndpointIpamConfig, NetworkingConfig};

use super::*;

/// The links of a service, as Compose v2 writes them: each linked service's container under the
/// link alias, `<service>-<n>` and its full name; external links as `name:alias`.
fn links(ctx: &SpecContext, service: &Service, number: u32) -> Vec<String> {
    let mut out = Vec::new();
    for l in &service.links {
        let (svc, alias) = l.split_once(':').unwrap_or((l, l));
        let name = match ctx.project.services.get(svc) {
            Some(other) => container_name(ctx.project_name, svc, other, 1),
            None => continue,
        };
        out.push(format!("{name}:{alias}"));
        out.push(format!("{name}:{svc}-{number}"));
        out.push(format!("{name}:{}-{svc}-{number}", ctx.project_name));
    }
    for l in &service.external_links {
        let (c, alias) = l.split_once(':').unwrap_or((l, l));
        out.push(format!("{c}:{alias}"));
    }
    out
}

/// A service's endpoint on one network.
fn endpoint(
    name: &str,
    s: &str,
    cfg: Option<&ServiceNetworkConfig>,
    links: &[String],
) -> EndpointSettings {
    let mut aliases = vec![name.to_string(), s.to_string()];
    if let Some(c) = cfg {
        for a in &c.aliases {
            if !aliases.contains(a) {
                aliases.push(a.clone());
            }
        }
    }
    EndpointSettings {
        aliases: Some(aliases),
        links: non_empty(links),
        ipam_config: cfg.map(|c| EndpointIpamConfig {
            ipv4_address: c.ipv4_address.clone().filter(|x| !x.is_empty()),
            ipv6_address: c.ipv6_address.clone().filter(|x| !x.is_empty()),
            link_local_ips: non_empty(&c.link_local_ips),
        }),
        mac_address: cfg.and_then(|c| c.mac_address.clone()),
        driver_opts: cfg.and_then(|c| non_empty_map(&c.driver_opts)),
        gw_priority: cfg.and_then(|c| c.gw_priority),
        ..Default::default()
    }
}

/// `service:x` resolved to `container:<id>`, for `network_mode`, `ipc` and `pid`.
pub(super) fn container_ref(
    ctx: &SpecContext,
    s: &str,
    key: &str,
    value: &str,
) -> Result<String, SpecError> {
    match value.strip_prefix("service:") {
        Some(svc) => {
            let c = (ctx.resolve_container)(svc).ok_or_else(|| {
                err(
                    s,
                    key,
                    format!("service {svc} has no container to share its namespace"),
                )
            })?;
            Ok(format!("container:{c}"))
        }
        None => Ok(value.to_string()),
    }
}

/// Network mode or networks (the first at create, the others connected after it); returns
/// the networks to connect after create.
pub(super) fn networking(
    ctx: &SpecContext,
    d: &mut Draft<'_, '_>,
    number: u32,
    name: &str,
) -> Result<Vec<(String, EndpointSettings)>, SpecError> {
    let Draft {
        s,
        service,
        body,
        host,
        w,
        ..
    } = d;
    let project = ctx.project;
    // Networking.
    let links = links(ctx, service, number);
    let mut extra_networks = Vec::new();
    match service.network_mode.as_deref().filter(|m| !m.is_empty()) {
        Some(mode) => {
            host.network_mode = Some(container_ref(ctx, s, "network_mode", mode)?);
            if mode == "disabled" {
                body.network_disabled = Some(true);
            }
            if service.mac_address.is_some() {
                w.push(
                    "mac_address",
                    format_args!("the container has no network of its own with network_mode {mode}: not applied"),
                );
            }
            if !links.is_empty() {
                host.links = Some(links);
            }
        }
        None if service.networks.is_empty() => {
            // No network at all (Compose v2 does the same when the project has none).
            host.network_mode = Some("none".into());
            if service.mac_address.is_some() {
                w.push("mac_address", "the service joins no network: not applied");
            }
        }
        None => {
            let nets = ordered_networks(service);
            let old_api = ctx.api_version < (1, 44);
            for (i, (key, cfg)) in nets.iter().enumerate() {
                let net_name = network_name(project, ctx.project_name, key);
                let mut ep = endpoint(name, s, *cfg, &links);
                if i == 0 {
                    if let (Some(svc_mac), Some(ep_mac)) = (&service.mac_address, &ep.mac_address) {
                        if svc_mac != ep_mac {
                            return Err(err(
                                s,
                                "mac_address",
                                format!(
                                    "{svc_mac} differs from networks.{key}.mac_address {ep_mac}"
                                ),
                            ));
                        }
                    }
                    if ep.mac_address.is_none() {
                        ep.mac_address = service.mac_address.clone();
                    }
                } else if old_api && ep.mac_address.is_some() {
                    // Before API 1.44 the engine takes one, container-wide, MAC address.
                    let lack = lacks(ctx.api_version, (1, 44)).unwrap_or_default();
                    w.push(
                        &format!("networks.{key}.mac_address"),
                        format_args!("a MAC address on a second network {lack}: not applied"),
                    );
                    ep.mac_address = None;
                }
                if let Some(lack) = ep.gw_priority.and_then(|_| lacks(ctx.api_version, (1, 48))) {
                    w.push(
                        &format!("networks.{key}.gw_priority"),
                        format_args!("{lack}: not applied"),
                    );
                    ep.gw_priority = None;
                }
                if i == 0 {
                    host.network_mode = Some(net_name.clone());
                    let mut m = HashMap::new();
                    m.insert(net_name, ep);
                    body.networking_config = Some(NetworkingConfig {
                        endpoints_config: Some(m),
                    });
                } else {
                    extra_networks.push((net_name, ep));
                }
            }
        }
    }
    Ok(extra_networks)
}
