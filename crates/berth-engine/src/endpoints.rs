//! A container's places on its networks (aliases, addresses, links) held back, published and
//! taken away: how an update keeps a replacement out of its service's DNS names until it is
//! ready, and takes the old container out of them before it stops. The engine cannot change
//! the aliases of an endpoint, so each change leaves the network and joins it again.

use std::collections::HashMap;

use bollard::models::{EndpointSettings, NetworkDisconnectRequest};
use bollard::query_parameters::InspectContainerOptions;

use crate::error::Result;
use crate::spec::ContainerSpec;
use crate::Engine;

/// A container's endpoints, one per network, with everything that is connected again
/// (aliases, static addresses, links, driver options), to join later.
#[derive(Clone, Debug, Default)]
pub struct Endpoints(Vec<(String, EndpointSettings)>);

impl Endpoints {
    /// The networks, in order.
    pub fn networks(&self) -> Vec<&str> {
        self.0.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The same places without the aliases: reachable by the container's own name only.
    pub fn without_aliases(&self) -> Endpoints {
        Endpoints(
            self.0
                .iter()
                .map(|(n, ep)| {
                    let mut ep = ep.clone();
                    ep.aliases = None;
                    (n.clone(), ep)
                })
                .collect(),
        )
    }
}

/// What of an inspected endpoint is connected again: the engine's own fields (its ID, the IP
/// it leased, the gateway) are not.
fn reusable(ep: &EndpointSettings) -> EndpointSettings {
    EndpointSettings {
        aliases: ep.aliases.clone(),
        links: ep.links.clone(),
        ipam_config: ep.ipam_config.clone(),
        driver_opts: ep.driver_opts.clone(),
        ..Default::default()
    }
}

impl ContainerSpec {
    /// Creates the container on its networks without its service's aliases (reachable by its
    /// own name only); returns the endpoints with them, for [`Engine::publish`] once it is
    /// ready.
    pub fn hold_aliases(&mut self) -> Endpoints {
        let mut held = Vec::new();
        if let Some(eps) = self
            .body
            .networking_config
            .as_mut()
            .and_then(|n| n.endpoints_config.as_mut())
        {
            let mut names: Vec<&String> = eps.keys().collect();
            names.sort();
            let names: Vec<String> = names.into_iter().cloned().collect();
            for n in names {
                if let Some(ep) = eps.get_mut(&n) {
                    held.push((n.clone(), ep.clone()));
                    ep.aliases = None;
                }
            }
        }
        for (n, ep) in self.extra_networks.iter_mut() {
            held.push((n.clone(), ep.clone()));
            ep.aliases = None;
        }
        Endpoints(held)
    }

    /// Whether a second container of this spec could run beside the first: not with a fixed
    /// host port, a static address or MAC, or the host's network (each can be held once).
    /// Returns what stands in the way.
    pub fn exclusive(&self) -> Option<String> {
        let host = self.body.host_config.as_ref();
        if let Some(bindings) = host.and_then(|h| h.port_bindings.as_ref()) {
            for (port, bs) in bindings {
                for b in bs.iter().flatten() {
                    if let Some(p) = b
                        .host_port
                        .as_deref()
                        .filter(|p| !p.is_empty() && *p != "0")
                    {
                        return Some(format!("host port {p} (for {port})"));
                    }
                }
            }
        }
        if host.and_then(|h| h.network_mode.as_deref()) == Some("host") {
            return Some("network_mode: host".into());
        }
        let mounts = host.and_then(|h| h.mounts.as_ref()).into_iter().flatten();
        for m in mounts {
            if m.typ == Some(bollard::models::MountType::VOLUME) && m.read_only != Some(true) {
                let what = match m.source.as_deref().filter(|s| !s.is_empty()) {
                    Some(v) => format!("the volume {v}"),
                    None => "an anonymous volume".to_string(),
                };
                return Some(format!(
                    "{what} at {} (two containers would write it at once)",
                    m.target.as_deref().unwrap_or("?")
                ));
            }
        }
        let all = self
            .body
            .networking_config
            .as_ref()
            .and_then(|n| n.endpoints_config.as_ref())
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())))
            .chain(self.extra_networks.iter().cloned());
        for (net, ep) in all {
            let ipam = ep.ipam_config.as_ref();
            let fixed = ipam
                .and_then(|i| i.ipv4_address.clone())
                .or_else(|| ipam.and_then(|i| i.ipv6_address.clone()));
            if let Some(ip) = fixed.filter(|a| !a.is_empty()) {
                return Some(format!("the static address {ip} on {net}"));
            }
            if let Some(mac) = ep.mac_address.as_deref().filter(|m| !m.is_empty()) {
                return Some(format!("the MAC address {mac} on {net}"));
            }
        }
        None
    }
}

impl Engine {
    /// Gives a running container the endpoints held back at its creation: each network is
    /// left and joined again with its aliases.
    pub async fn publish(&self, id: &str, endpoints: &Endpoints) -> Result<()> {
        for (net, _) in &endpoints.0 {
            self.disconnect(net, id).await?;
        }
        self.join_networks(id, endpoints).await
    }

    /// Takes a container off all its networks (new connections stop reaching it at once);
    /// returns its endpoints, to join them again.
    pub async fn leave_networks(&self, id: &str) -> Result<Endpoints> {
        let i = self
            .answer(
                "a container inspection",
                self.docker
                    .inspect_container(id, None::<InspectContainerOptions>),
            )
            .await?;
        let nets: HashMap<String, EndpointSettings> = i
            .network_settings
            .and_then(|n| n.networks)
            .unwrap_or_default();
        let mut out: Vec<(String, EndpointSettings)> = nets
            .iter()
            .map(|(n, ep)| (n.clone(), reusable(ep)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        for (net, _) in &out {
            self.disconnect(net, id).await?;
        }
        Ok(Endpoints(out))
    }

    /// Joins the networks of `endpoints` (a container that left them, or was created without
    /// its aliases and has just left them).
    pub async fn join_networks(&self, id: &str, endpoints: &Endpoints) -> Result<()> {
        for (net, ep) in &endpoints.0 {
            self.connect_network(net, id, ep.clone()).await?;
        }
        Ok(())
    }

    async fn disconnect(&self, net: &str, id: &str) -> Result<()> {
        let req = NetworkDisconnectRequest {
            container: id.to_string(),
            force: Some(false),
        };
        self.docker
            .disconnect_network(net, req)
            .await
            .map_err(|e| self.err(e))
    }
}
