//! The pod around the container: hostname, DNS and hosts, grace period, host namespaces,
//! placement (node selectors, affinity, spread), annotations and the restart policy.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, HostAlias, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PodDNSConfig, PodDNSConfigOption, PodSpec, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::{names, svc_path, Ctx};
use crate::settings::{ServiceSettings, WorkloadKind};
use berth_compose::model::{DeployConfig, Service as ComposeService};

/// A swarm node attribute of a placement constraint as a Kubernetes node label; `None` for
/// attributes without one.
fn node_label_of(attr: &str) -> Option<String> {
    match attr {
        "node.hostname" => Some("kubernetes.io/hostname".to_string()),
        "node.platform.os" => Some("kubernetes.io/os".to_string()),
        "node.platform.arch" => Some("kubernetes.io/arch".to_string()),
        k if k.starts_with("node.labels.") => {
            Some(k.trim_start_matches("node.labels.").to_string())
        }
        k if k.starts_with("engine.labels.") => {
            Some(k.trim_start_matches("engine.labels.").to_string())
        }
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    /// hostname, DNS, hosts, grace period, host namespaces, placement, and what per-network
    /// settings are lost.
    pub(super) fn pod_extras(&mut self, name: &str, svc: &ComposeService, pod: &mut PodSpec) {
        self.hostname(name, svc, pod);
        pod.host_aliases = self.host_aliases(name, svc);
        pod.dns_config = self.dns_config(name, svc);
        if let Some(g) = svc.stop_grace_period.as_deref() {
            pod.termination_grace_period_seconds = Some(i64::from(self.secs(
                &svc_path(name, "stop_grace_period"),
                Some(g),
                30,
            )));
        }
        self.host_namespaces(name, svc, pod);
        self.placement(name, svc, pod);
        self.network_endpoint_warnings(name, svc);
    }

    /// `hostname` (its first label), and `domainname`, which pods do not have.
    fn hostname(&mut self, name: &str, svc: &ComposeService, pod: &mut PodSpec) {
        if let Some(h) = svc.hostname.as_deref().filter(|h| !h.is_empty()) {
            let first = h.split('.').next().unwrap_or(h);
            let label = names::label(first, names::LABEL_MAX);
            if label != h {
                self.report.warn(
                    &svc_path(name, "hostname"),
                    format!("hostname {h:?} becomes {label:?} (a DNS label)"),
                    None,
                );
            }
            pod.hostname = Some(label);
        }
        if let Some(d) = svc.domainname.as_deref().filter(|h| !h.is_empty()) {
            self.report.warn(
                &svc_path(name, "domainname"),
                format!("domainname {d:?}: Kubernetes builds a pod's FQDN from subdomain (a headless Service) and the cluster domain; not converted"),
                None,
            );
        }
    }

    /// `extra_hosts` as hostAliases, grouped by IP.
    fn host_aliases(&mut self, name: &str, svc: &ComposeService) -> Option<Vec<HostAlias>> {
        let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (i, e) in svc.extra_hosts.iter().enumerate() {
            let Some((host, ip)) = e.split_once('=').or_else(|| e.split_once(':')) else {
                continue;
            };
            if ip == "host-gateway" {
                self.report.error(
                    &svc_path(name, &format!("extra_hosts[{i}]")),
                    "host-gateway (the node's address) has no fixed value in Kubernetes",
                    None,
                );
                continue;
            }
            by_ip
                .entry(ip.to_string())
                .or_default()
                .push(host.to_string());
        }
        (!by_ip.is_empty()).then(|| {
            by_ip
                .into_iter()
                .map(|(ip, hostnames)| HostAlias {
                    ip,
                    hostnames: Some(hostnames),
                })
                .collect()
        })
    }

    /// `dns`, `dns_search` and `dns_opt`, added to the cluster's DNS settings.
    fn dns_config(&mut self, name: &str, svc: &ComposeService) -> Option<PodDNSConfig> {
        if svc.dns.is_empty() && svc.dns_search.is_empty() && svc.dns_opt.is_empty() {
            return None;
        }
        if !svc.dns.is_empty() {
            self.report.warn(
                &svc_path(name, "dns"),
                "extra name servers are added after the cluster DNS (at most 3 in all)",
                None,
            );
        }
        Some(PodDNSConfig {
            nameservers: (!svc.dns.is_empty()).then(|| svc.dns.clone()),
            searches: (!svc.dns_search.is_empty()).then(|| svc.dns_search.clone()),
            options: (!svc.dns_opt.is_empty()).then(|| {
                svc.dns_opt
                    .iter()
                    .map(|o| match o.split_once(':') {
                        Some((n, v)) => PodDNSConfigOption {
                            name: Some(n.into()),
                            value: Some(v.into()),
                        },
                        None => PodDNSConfigOption {
                            name: Some(o.clone()),
                            value: None,
                        },
                    })
                    .collect()
            }),
        })
    }

    /// `network_mode`, `pid` and `ipc`: the host's namespaces, or refused (another container's
    /// cannot be shared across pods).
    fn host_namespaces(&mut self, name: &str, svc: &ComposeService, pod: &mut PodSpec) {
        match svc.network_mode.as_deref().filter(|m| !m.is_empty()) {
            None | Some("bridge") | Some("default") => {}
            Some("host") => {
                self.report.info(&svc_path(name, "network_mode"), "host network: hostNetwork, the pod uses the node's network stack and ports", None);
                pod.host_network = Some(true);
                pod.dns_policy = Some("ClusterFirstWithHostNet".into());
            }
            Some("none") => self.report.warn(&svc_path(name, "network_mode"), "network_mode none: the pod still has a network in Kubernetes (use --network-policies to isolate it)", None),
            Some(m) => self.report.error(
                &svc_path(name, "network_mode"),
                format!("network_mode {m:?}: sharing another container's network needs both in one pod, which berth does not do"),
                Some("--allow-lossy converts it as a separate pod".into()),
            ),
        }
        match svc.pid.as_deref().filter(|m| !m.is_empty()) {
            None => {}
            Some("host") => {
                self.report.warn(
                    &svc_path(name, "pid"),
                    "host PID namespace: the pod sees every process of the node",
                    None,
                );
                pod.host_pid = Some(true);
            }
            Some(m) => self.report.error(
                &svc_path(name, "pid"),
                format!("pid {m:?}: not possible across pods"),
                None,
            ),
        }
        match svc.ipc.as_deref().filter(|m| !m.is_empty()) {
            None | Some("private") | Some("shareable") => {}
            Some("host") => {
                self.report
                    .warn(&svc_path(name, "ipc"), "host IPC namespace", None);
                pod.host_ipc = Some(true);
            }
            Some(m) => self.report.error(
                &svc_path(name, "ipc"),
                format!("ipc {m:?}: not possible across pods"),
                None,
            ),
        }
    }

    /// `platform` and `deploy.placement`: a node selector, required node affinity, and
    /// topology spread constraints.
    fn placement(&mut self, name: &str, svc: &ComposeService, pod: &mut PodSpec) {
        let node_selector = self.platform_selector(name, svc);
        let mut exprs: Vec<NodeSelectorRequirement> = Vec::new();
        let mut spread = Vec::new();
        if let Some(d) = &svc.deploy {
            for (i, c) in d.placement.constraints.iter().enumerate() {
                let path = svc_path(name, &format!("deploy.placement.constraints[{i}]"));
                exprs.extend(self.constraint(&path, c));
            }
            spread = self.spread(name, d);
        }
        exprs.sort_by(|a, b| {
            (&a.key, &a.operator, &a.values).cmp(&(&b.key, &b.operator, &b.values))
        });
        if !exprs.is_empty() {
            pod.affinity = Some(Affinity {
                node_affinity: Some(NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                        node_selector_terms: vec![NodeSelectorTerm {
                            match_expressions: Some(exprs),
                            match_fields: None,
                        }],
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
        if !spread.is_empty() {
            pod.topology_spread_constraints = Some(spread);
        }
        if !node_selector.is_empty() {
            pod.node_selector = Some(node_selector);
        }
    }

    /// `platform` (`os/arch[/variant]`) as node labels.
    fn platform_selector(&mut self, name: &str, svc: &ComposeService) -> BTreeMap<String, String> {
        let mut node_selector = BTreeMap::new();
        if let Some(pl) = svc.platform.as_deref().filter(|s| !s.is_empty()) {
            let mut parts = pl.split('/');
            let os = parts.next().unwrap_or("");
            let arch = parts.next();
            if matches!(os, "linux" | "windows") {
                node_selector.insert("kubernetes.io/os".to_string(), os.to_string());
            }
            if let Some(a) = arch {
                node_selector.insert("kubernetes.io/arch".to_string(), a.to_string());
            }
            if parts.next().is_some() {
                self.report.info(
                    &svc_path(name, "platform"),
                    "the platform variant is not a node label: ignored",
                    None,
                );
            }
        }
        node_selector
    }

    /// A placement constraint (`KEY==VALUE`, `KEY!=VALUE`) as a node selector requirement.
    fn constraint(&mut self, path: &str, c: &str) -> Option<NodeSelectorRequirement> {
        let (k, op, v) = if let Some((k, v)) = c.split_once("==") {
            (k.trim(), "In", v.trim())
        } else if let Some((k, v)) = c.split_once("!=") {
            (k.trim(), "NotIn", v.trim())
        } else {
            self.report.error(
                path,
                format!("constraint {c:?} is not KEY==VALUE or KEY!=VALUE"),
                None,
            );
            return None;
        };
        if k == "engine.labels.operatingsystem" {
            self.report.warn(path, format!("engine OS {v:?} has no node label; kubernetes.io/os only knows linux and windows: ignored"), None);
            return None;
        }
        let Some(key) = node_label_of(k) else {
            self.report.warn(
                path,
                format!("constraint on {k:?} has no Kubernetes node label: ignored"),
                None,
            );
            return None;
        };
        if !names::is_qualified_key(&key) || !names::is_label_value(v) {
            self.report.warn(
                path,
                format!("{key}={v} is not a valid node label: ignored"),
                None,
            );
            return None;
        }
        Some(NodeSelectorRequirement {
            key,
            operator: op.into(),
            values: Some(vec![v.to_string()]),
        })
    }

    /// Placement preferences (spread over a node label) and `max_replicas_per_node` as
    /// topology spread constraints.
    fn spread(&mut self, name: &str, d: &DeployConfig) -> Vec<TopologySpreadConstraint> {
        let mut spread = Vec::new();
        for (i, pref) in d.placement.preferences.iter().enumerate() {
            let path = svc_path(name, &format!("deploy.placement.preferences[{i}]"));
            let Some(s) = pref.spread.as_deref() else {
                continue;
            };
            let key = s.strip_prefix("node.labels.").unwrap_or(s);
            if !names::is_qualified_key(key) {
                self.report.warn(
                    &path,
                    format!("spread over {s:?}: not a node label: ignored"),
                    None,
                );
                continue;
            }
            self.report.info(
                &path,
                format!("spread over {key} → a topologySpreadConstraint (ScheduleAnyway)"),
                None,
            );
            spread.push(self.spread_constraint(name, 1, key, "ScheduleAnyway"));
        }
        if let Some(n) = d.placement.max_replicas_per_node.filter(|n| *n > 0) {
            self.report.warn(&svc_path(name, "deploy.placement.max_replicas_per_node"), format!("at most {n} per node → a hard topologySpreadConstraint over hostnames (maxSkew {n})"), None);
            let max_skew = i32::try_from(n).unwrap_or(i32::MAX);
            spread.push(self.spread_constraint(
                name,
                max_skew,
                "kubernetes.io/hostname",
                "DoNotSchedule",
            ));
        }
        spread
    }

    /// Pods of service `name` spread over node label `key`.
    fn spread_constraint(
        &self,
        name: &str,
        max_skew: i32,
        key: &str,
        when_unsatisfiable: &str,
    ) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew,
            topology_key: key.to_string(),
            when_unsatisfiable: when_unsatisfiable.to_string(),
            label_selector: Some(LabelSelector {
                match_labels: Some(self.selector(&self.base[name])),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    pub(super) fn annotations(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) -> BTreeMap<String, String> {
        let copied = svc
            .labels
            .iter()
            .chain(svc.annotations.iter())
            .filter(|(k, _)| {
                !st.consumed_labels.contains(k) && !k.starts_with("com.docker.compose.")
            });
        self.valid_annotations(name, "labels", copied)
    }

    /// The `labels` whose keys are valid annotation keys; each other one is warned about at
    /// `services.<name>.<at>.<key>`.
    pub(super) fn valid_annotations<'l>(
        &mut self,
        name: &str,
        at: &str,
        labels: impl Iterator<Item = (&'l String, &'l String)>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in labels {
            if names::is_qualified_key(k) {
                out.insert(k.clone(), v.clone());
            } else {
                self.report.warn(
                    &svc_path(name, &format!("{at}.{k}")),
                    format!("{k:?} is not a valid annotation key: not copied"),
                    None,
                );
            }
        }
        out
    }

    pub(super) fn restart_policy(
        &mut self,
        name: &str,
        svc: &ComposeService,
        kind: WorkloadKind,
    ) -> String {
        let restart = svc.restart.as_deref().filter(|s| !s.is_empty());
        let cond = svc
            .deploy
            .as_ref()
            .and_then(|d| d.restart_policy.as_ref())
            .and_then(|r| r.condition.clone());
        if let Some(rp) = svc.deploy.as_ref().and_then(|d| d.restart_policy.as_ref()) {
            if rp.delay.is_some() || rp.window.is_some() {
                self.report.warn(
                    &svc_path(name, "deploy.restart_policy"),
                    "restart delay and window: Kubernetes backs off by itself",
                    None,
                );
            }
            if rp.max_attempts.is_some() && !kind.is_batch() {
                self.report.warn(
                    &svc_path(name, "deploy.restart_policy.max_attempts"),
                    "long-running pods are restarted without limit",
                    None,
                );
            }
        }
        if kind.is_batch() {
            let on_failure = restart.is_some_and(|r| r.starts_with("on-failure"))
                || matches!(cond.as_deref(), Some("on-failure"));
            if matches!(restart, Some("always") | Some("unless-stopped"))
                || matches!(cond.as_deref(), Some("any"))
            {
                self.report.warn(
                    &svc_path(name, "restart"),
                    format!(
                        "restart {} on a {}: it is retried on failure only",
                        restart.or(cond.as_deref()).unwrap_or_default(),
                        kind.as_str()
                    ),
                    None,
                );
                return "OnFailure".into();
            }
            return if on_failure {
                "OnFailure".into()
            } else {
                "Never".into()
            };
        }
        match (restart, cond.as_deref()) {
            (Some("no"), _) | (Some(_), Some("none")) | (None, Some("none")) => self.report.warn(
                &svc_path(
                    name,
                    if restart.is_some() {
                        "restart"
                    } else {
                        "deploy.restart_policy.condition"
                    },
                ),
                format!(
                    "a {} always restarts its pods (Kubernetes allows no other policy)",
                    kind.as_str()
                ),
                Some("for a one-shot task, set x-berth.kind: job".into()),
            ),
            (Some(r), _) if r.starts_with("on-failure") => self.report.warn(
                &svc_path(name, "restart"),
                format!(
                    "a {} always restarts its pods, also after a clean exit",
                    kind.as_str()
                ),
                Some("for a one-shot task, set x-berth.kind: job".into()),
            ),
            _ => {}
        }
        "Always".into()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, object, pod_spec};

    #[test]
    fn placement_constraints_become_required_node_affinity() {
        let c = convert_plain("services:\n  app:\n    image: nginx:1.25\n    platform: linux/arm64\n    deploy:\n      placement:\n        constraints:\n          - node.labels.zone == a\n          - node.hostname != n1\n          - engine.labels.operatingsystem == ubuntu\n          - node.role == manager\n          - nonsense\n");
        let pod = pod_spec(&c, "app");
        assert_eq!(
            pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                ["nodeSelectorTerms"][0]["matchExpressions"],
            json!([
                {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": ["n1"]},
                {"key": "zone", "operator": "In", "values": ["a"]},
            ])
        );
        assert_eq!(
            pod["nodeSelector"],
            json!({"kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux"})
        );
        let f = findings(&c);
        let p = "services.app.deploy.placement.constraints";
        for want in [
            format!("Warning {p}[2]: engine OS \"ubuntu\" has no node label; kubernetes.io/os only knows linux and windows: ignored"),
            format!("Warning {p}[3]: constraint on \"node.role\" has no Kubernetes node label: ignored"),
            format!("Error {p}[4]: constraint \"nonsense\" is not KEY==VALUE or KEY!=VALUE"),
        ] {
            assert!(f.contains(&want), "{want}: {f:?}");
        }
    }

    #[test]
    fn extra_hosts_are_grouped_by_address() {
        let c = convert_plain("services:\n  app:\n    image: nginx:1.25\n    extra_hosts:\n      - a=10.0.0.1\n      - b=10.0.0.1\n      - c=10.0.0.2\n      - gw=host-gateway\n");
        assert_eq!(
            object(&c, "Deployment", "app")["spec"]["template"]["spec"]["hostAliases"],
            json!([
                {"ip": "10.0.0.1", "hostnames": ["a", "b"]},
                {"ip": "10.0.0.2", "hostnames": ["c"]},
            ])
        );
        assert!(findings(&c).contains(&"Error services.app.extra_hosts[3]: host-gateway (the node's address) has no fixed value in Kubernetes".to_string()));
    }
}
