//! Networks and volumes: listed, inspected, created from the compose file's declarations,
//! connected, removed.

use std::collections::HashMap;

use bollard::models::{
    EndpointSettings, Ipam, IpamConfig, Network, NetworkConnectRequest, NetworkCreateRequest,
    Volume, VolumeCreateRequest,
};
use bollard::query_parameters::{
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, RemoveVolumeOptions,
};

use berth_compose::model::{NetworkConfig, VolumeConfig};

use crate::error::{EngineError, Result};
use crate::Engine;

/// A network as the engine lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSummary {
    pub id: String,
    pub name: String,
    pub labels: HashMap<String, String>,
}

impl NetworkSummary {
    fn from_api(n: Network) -> NetworkSummary {
        NetworkSummary {
            id: n.id.unwrap_or_default(),
            name: n.name.unwrap_or_default(),
            labels: n.labels.unwrap_or_default(),
        }
    }
}

/// A volume as the engine lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeSummary {
    pub name: String,
    pub labels: HashMap<String, String>,
}

impl VolumeSummary {
    fn from_api(v: Volume) -> VolumeSummary {
        VolumeSummary {
            name: v.name,
            labels: v.labels,
        }
    }
}

fn non_empty(m: &std::collections::BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.clone().into_iter().collect())
}

impl Engine {
    /// Networks whose name is exactly `name` (the engine's filter matches substrings).
    pub async fn find_networks(&self, name: &str) -> Result<Vec<NetworkSummary>> {
        let mut f = HashMap::new();
        f.insert("name".to_string(), vec![name.to_string()]);
        let opts = ListNetworksOptionsBuilder::new().filters(&f).build();
        let nets = self
            .answer("the network list", self.docker.list_networks(Some(opts)))
            .await?;
        Ok(nets
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name))
            .map(NetworkSummary::from_api)
            .collect())
    }

    /// Networks carrying all of `labels`.
    pub async fn list_networks(&self, labels: &[String]) -> Result<Vec<NetworkSummary>> {
        let opts = ListNetworksOptionsBuilder::new()
            .filters(&Self::label_filters(labels))
            .build();
        let nets = self
            .answer("the network list", self.docker.list_networks(Some(opts)))
            .await?;
        Ok(nets.into_iter().map(NetworkSummary::from_api).collect())
    }

    /// Creates network `name` as the compose file declares it (driver, options, IPAM,
    /// internal, attachable, IPv6; IPv4 off only where the engine can do it), with `labels`.
    /// Returns its ID.
    pub async fn create_network(
        &self,
        name: &str,
        cfg: &NetworkConfig,
        labels: HashMap<String, String>,
    ) -> Result<String> {
        let ipam = (!cfg.ipam.config.is_empty() || cfg.ipam.driver.is_some()).then(|| Ipam {
            driver: cfg.ipam.driver.clone(),
            config: Some(
                cfg.ipam
                    .config
                    .iter()
                    .map(|p| IpamConfig {
                        subnet: p.subnet.clone(),
                        ip_range: p.ip_range.clone(),
                        gateway: p.gateway.clone(),
                        auxiliary_addresses: non_empty(&p.aux_addresses),
                    })
                    .collect(),
            ),
            options: None,
        });
        let req = NetworkCreateRequest {
            name: name.to_string(),
            driver: cfg.driver.clone(),
            internal: Some(cfg.internal),
            attachable: Some(cfg.attachable),
            ipam,
            enable_ipv6: cfg.enable_ipv6,
            enable_ipv4: cfg
                .enable_ipv4
                .filter(|_| self.api_version >= crate::api::DISABLE_IPV4),
            options: non_empty(&cfg.driver_opts),
            labels: Some(labels),
            ..Default::default()
        };
        let r = self
            .docker
            .create_network(req)
            .await
            .map_err(|e| self.err(e))?;
        Ok(r.id)
    }

    /// Removes a network; one already gone is not an error.
    pub async fn remove_network(&self, id: &str) -> Result<()> {
        match self
            .docker
            .remove_network(id)
            .await
            .map_err(|e| self.err(e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) if e.to_string().contains("has active endpoints") => {
                Err(self.explain_active_endpoints(id, e).await)
            }
            other => other,
        }
    }

    /// dockerd refuses to remove a network it still counts endpoints on. When no container is
    /// attached any more, the count itself is wrong: a known libnetwork race (moby/moby#42119)
    /// that concurrent container removals can trigger, and that only a daemon restart repairs
    /// (it recounts on start). Say so instead of leaving the user with a network that
    /// `docker network inspect` shows empty.
    async fn explain_active_endpoints(&self, id: &str, e: EngineError) -> EngineError {
        let attached = self
            .docker
            .inspect_network(id, None::<bollard::query_parameters::InspectNetworkOptions>)
            .await
            .ok()
            .map(|n| n.containers.map(|c| c.len()).unwrap_or(0));
        match attached {
            Some(0) => EngineError::Other(format!(
                "{e}\n  no container is attached to it any more: the engine's endpoint count is \
                 stale (a known Docker bug, moby/moby#42119)\n  hint: restart the Docker daemon \
                 (`systemctl restart docker`), which recounts the endpoints, then run `down` again"
            )),
            _ => e,
        }
    }

    /// Connects a container to one more network with the endpoint its spec gives.
    pub(crate) async fn connect_network(
        &self,
        network: &str,
        container: &str,
        endpoint: EndpointSettings,
    ) -> Result<()> {
        let req = NetworkConnectRequest {
            container: container.to_string(),
            endpoint_config: Some(endpoint),
        };
        self.docker
            .connect_network(network, req)
            .await
            .map_err(|e| self.err(e))
    }

    /// The volume `name`; None when there is none.
    pub async fn inspect_volume(&self, name: &str) -> Result<Option<VolumeSummary>> {
        match self.docker.inspect_volume(name).await {
            Ok(v) => Ok(Some(VolumeSummary::from_api(v))),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// Volumes carrying all of `labels`.
    pub async fn list_volumes(&self, labels: &[String]) -> Result<Vec<VolumeSummary>> {
        let opts = ListVolumesOptionsBuilder::new()
            .filters(&Self::label_filters(labels))
            .build();
        let r = self
            .answer("the volume list", self.docker.list_volumes(Some(opts)))
            .await?;
        Ok(r.volumes
            .unwrap_or_default()
            .into_iter()
            .map(VolumeSummary::from_api)
            .collect())
    }

    /// Creates volume `name` as the compose file declares it (driver and options), with
    /// `labels`.
    pub async fn create_volume(
        &self,
        name: &str,
        cfg: &VolumeConfig,
        labels: HashMap<String, String>,
    ) -> Result<VolumeSummary> {
        let req = VolumeCreateRequest {
            name: Some(name.to_string()),
            driver: cfg.driver.clone(),
            driver_opts: non_empty(&cfg.driver_opts),
            labels: Some(labels),
            ..Default::default()
        };
        self.docker
            .create_volume(req)
            .await
            .map(VolumeSummary::from_api)
            .map_err(|e| self.err(e))
    }

    /// Removes a volume; one already gone is not an error.
    pub async fn remove_volume(&self, name: &str) -> Result<()> {
        match self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await
            .map_err(|e| self.err(e))
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }
}
