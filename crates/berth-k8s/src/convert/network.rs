//! Networking: container and Service ports, the Services of a service (and of its aliases),
//! the headless Service of a StatefulSet, Ingress, and NetworkPolicies from compose networks.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{meta, names, svc_path, Ctx, Object};
use crate::settings::{ServiceSettings, ServiceType, WorkloadKind};
use berth_compose::model::{Service as ComposeService, ServicePortConfig};

/// A port of a container and of its Service.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PortSpec {
    /// Service port.
    pub(super) port: i32,
    /// Container port.
    pub(super) target: i32,
    /// `TCP`, `UDP`, `SCTP`.
    pub(super) protocol: String,
    /// The name compose gave it, if valid.
    pub(super) name: Option<String>,
    pub(super) app_protocol: Option<String>,
}

/// The label that marks pods on compose network `net`.
pub(super) fn network_label(net: &str) -> String {
    format!("berth/network-{}", names::label(net, 50))
}

/// Adds `p` unless the list has its port number and protocol already.
fn push_port(list: &mut Vec<PortSpec>, p: PortSpec) {
    if !list
        .iter()
        .any(|x| x.port == p.port && x.protocol == p.protocol)
    {
        list.push(p);
    }
}

/// Names every port: unique, valid, at most 15 characters. A port keeps the name compose gave
/// it unless an earlier port took it; the others are `<protocol>-<number>`, the number being
/// the Service port (`by_port`) or the container port.
fn name_ports(list: &mut [PortSpec], by_port: bool) {
    let mut used = BTreeSet::new();
    for p in list.iter_mut() {
        let proto = p.protocol.to_ascii_lowercase();
        let n = if by_port { p.port } else { p.target };
        let generated = format!("{proto}-{n}");
        let want = p.name.clone().unwrap_or(generated.clone());
        let got = if used.contains(&want) {
            generated
        } else {
            want
        };
        used.insert(got.clone());
        p.name = Some(got);
    }
}

/// An `expose:` entry (`80`, `8000-8010`, `53/udp`): the first and last port and the
/// protocol, or what is wrong with it (message, fix).
fn parse_expose(e: &str) -> Result<(i32, i32, String), (String, Option<String>)> {
    let (range, proto) = match e.split_once('/') {
        Some((r, p)) => (r, p.to_ascii_uppercase()),
        None => (e, "TCP".to_string()),
    };
    if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
        return Err((format!("unknown protocol in {e:?}"), None));
    }
    let (lo, hi) = match range.split_once('-') {
        Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
        None => (range.parse::<i32>(), range.parse::<i32>()),
    };
    let (Ok(lo), Ok(hi)) = (lo, hi) else {
        return Err((format!("{e:?} is not a port or port range"), None));
    };
    if !(1..=65535).contains(&lo) || !(lo..=65535).contains(&hi) {
        return Err((format!("{e:?} is out of range"), None));
    }
    if hi - lo >= 100 {
        return Err((
            format!(
                "{e:?} is {} ports; berth lists ports one by one and stops at 100",
                hi - lo + 1
            ),
            Some("expose the ports the service really uses".into()),
        ));
    }
    Ok((lo, hi, proto))
}

/// The ports of a Service, from its [`PortSpec`]s; the node port goes on the first port of a
/// NodePort or LoadBalancer Service.
fn service_ports(ports: &[PortSpec], t: ServiceType, node_port: Option<i32>) -> Vec<ServicePort> {
    ports
        .iter()
        .enumerate()
        .map(|(i, p)| ServicePort {
            name: p.name.clone(),
            port: p.port,
            target_port: Some(IntOrString::Int(p.target)),
            protocol: Some(p.protocol.clone()),
            app_protocol: p.app_protocol.clone(),
            node_port: (i == 0 && matches!(t, ServiceType::NodePort | ServiceType::LoadBalancer))
                .then_some(node_port)
                .flatten(),
        })
        .collect()
}

impl<'a> Ctx<'a> {
    pub(super) fn networks_of(&self, svc: &ComposeService) -> Vec<String> {
        svc.networks.keys().cloned().collect()
    }

    /// The ports of a service's Service and of its container.
    pub(super) fn ports_of(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> (Vec<PortSpec>, Vec<PortSpec>) {
        let mut svc_ports: Vec<PortSpec> = Vec::new();
        let mut ctr_ports: Vec<PortSpec> = Vec::new();
        self.published_ports(name, svc, &mut svc_ports, &mut ctr_ports);
        self.exposed_ports(name, svc, &mut svc_ports, &mut ctr_ports);
        if svc.ports.is_empty() && svc.expose.is_empty() {
            self.image_ports(name, svc, &mut svc_ports, &mut ctr_ports);
        }
        name_ports(&mut svc_ports, true);
        name_ports(&mut ctr_ports, false);
        (svc_ports, ctr_ports)
    }

    /// `ports:`. A published port is the Service port; the container port stays reachable too.
    fn published_ports(
        &mut self,
        name: &str,
        svc: &ComposeService,
        svc_ports: &mut Vec<PortSpec>,
        ctr_ports: &mut Vec<PortSpec>,
    ) {
        let mut host_ips: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (i, pc) in svc.ports.iter().enumerate() {
            let path = svc_path(name, &format!("ports[{i}]"));
            let Some(ctr) = self.container_port(&path, pc) else {
                continue;
            };
            if let Some(h) = pc
                .host_ip
                .as_deref()
                .filter(|h| !h.is_empty() && *h != "0.0.0.0" && *h != "::")
            {
                host_ips.entry(h.to_string()).or_default().push(ctr.target);
            }
            if pc.mode.as_deref() == Some("host") {
                self.report.warn(
                    &format!("{path}.mode"),
                    "mode: host is published through the Service (hostPort is not used)",
                    Some(
                        "set x-berth.service.type: NodePort to reach it from outside the cluster"
                            .into(),
                    ),
                );
            }
            push_port(ctr_ports, ctr.clone());
            self.published_port(&path, pc, ctr, svc_ports);
        }
        for (ip, ports) in host_ips {
            let list: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
            self.report.warn(
                &svc_path(name, "ports"),
                format!("host_ip {ip} (ports {}): a Service cannot bind to a node address; it listens on its cluster IP", list.join(", ")),
                None,
            );
        }
    }

    /// The container side of a `ports:` entry: its target, protocol and (valid) name.
    fn container_port(&mut self, path: &str, pc: &ServicePortConfig) -> Option<PortSpec> {
        let target = match i32::try_from(pc.target) {
            Ok(t) if (1..=65535).contains(&t) => t,
            _ => {
                self.report.error(
                    path,
                    format!("container port {} is out of range", pc.target),
                    None,
                );
                return None;
            }
        };
        let protocol = match pc
            .protocol
            .as_deref()
            .unwrap_or("tcp")
            .to_ascii_lowercase()
            .as_str()
        {
            "tcp" => "TCP",
            "udp" => "UDP",
            "sctp" => "SCTP",
            other => {
                self.report
                    .error(path, format!("unknown protocol {other:?}"), None);
                return None;
            }
        }
        .to_string();
        let name_ok = pc.name.as_deref().filter(|n| !n.is_empty()).and_then(|n| {
            if names::is_iana_svc_name(n) {
                Some(n.to_string())
            } else {
                None
            }
        });
        if let Some(n) = pc.name.as_deref().filter(|n| !n.is_empty()) {
            if name_ok.is_none() {
                self.report.warn(
                    &format!("{path}.name"),
                    format!("port name {n:?} is not valid in Kubernetes (at most 15 of a-z, 0-9, '-', with a letter): a generated name is used"),
                    None,
                );
            }
        }
        let app_protocol = pc.app_protocol.clone().filter(|a| !a.is_empty());
        Some(PortSpec {
            port: target,
            target,
            protocol,
            name: name_ok,
            app_protocol,
        })
    }

    /// The Service side of a `ports:` entry whose container side is `ctr`.
    fn published_port(
        &mut self,
        path: &str,
        pc: &ServicePortConfig,
        ctr: PortSpec,
        svc_ports: &mut Vec<PortSpec>,
    ) {
        let target = ctr.target;
        match pc.published.as_deref().filter(|s| !s.is_empty()) {
            None => push_port(svc_ports, ctr),
            Some(pubs) => match pubs.parse::<i32>() {
                Ok(pp) if (1..=65535).contains(&pp) => {
                    push_port(
                        svc_ports,
                        PortSpec {
                            port: pp,
                            name: ctr.name.clone(),
                            ..ctr.clone()
                        },
                    );
                    if pp != target {
                        // Compose services reach each other on the container port; keep
                        // that address working too.
                        push_port(svc_ports, PortSpec { name: None, ..ctr });
                    }
                }
                _ => {
                    self.report.warn(
                        &format!("{path}.published"),
                        format!("published range {pubs}: the Service port is the container port {target}"),
                        None,
                    );
                    push_port(svc_ports, ctr);
                }
            },
        }
    }

    /// `expose:`: ports of the container and of the Service alike.
    fn exposed_ports(
        &mut self,
        name: &str,
        svc: &ComposeService,
        svc_ports: &mut Vec<PortSpec>,
        ctr_ports: &mut Vec<PortSpec>,
    ) {
        for (i, e) in svc.expose.iter().enumerate() {
            let path = svc_path(name, &format!("expose[{i}]"));
            let (lo, hi, proto) = match parse_expose(e) {
                Ok(r) => r,
                Err((msg, fix)) => {
                    self.report.error(&path, msg, fix);
                    continue;
                }
            };
            for port in lo..=hi {
                let ps = PortSpec {
                    port,
                    target: port,
                    protocol: proto.clone(),
                    name: None,
                    app_protocol: None,
                };
                push_port(ctr_ports, ps.clone());
                push_port(svc_ports, ps);
            }
        }
    }

    /// The image's `EXPOSE`d ports, for a service whose compose file gives no `ports:` or
    /// `expose:` (when the engine has the image): ports of the container and of the Service.
    fn image_ports(
        &mut self,
        name: &str,
        svc: &ComposeService,
        svc_ports: &mut Vec<PortSpec>,
        ctr_ports: &mut Vec<PortSpec>,
    ) {
        let Some(image) = svc.image.as_deref() else {
            return;
        };
        let Some(facts) = self.sources.image(image) else {
            return;
        };
        let ports = facts.ports();
        if ports.is_empty() {
            return;
        }
        for (port, protocol) in ports {
            let ps = PortSpec {
                port,
                target: port,
                protocol,
                name: None,
                app_protocol: None,
            };
            push_port(ctr_ports, ps.clone());
            push_port(svc_ports, ps);
        }
        self.report.info(
            &svc_path(name, "image"),
            format!(
                "no ports or expose: the Service gets the ports the image {image:?} EXPOSEs ({})",
                facts.exposed_ports.join(", ")
            ),
            Some(format!(
                "add expose: to {name} to choose the ports yourself"
            )),
        );
    }

    /// The Service(s) of a service: returns the name of the main one and its type value.
    pub(super) fn k8s_services(
        &mut self,
        name: &str,
        svc: &ComposeService,
        base: &str,
        st: &ServiceSettings,
        kind: WorkloadKind,
    ) -> (Option<String>, Option<&'static str>) {
        let ports = self.ports[name].clone();
        let sel = self.selector(base);
        let dnsrr = svc.deploy.as_ref().and_then(|d| d.endpoint_mode.as_deref()) == Some("dnsrr");
        let mut stype = st.service_type.as_ref().map(|(t, _)| *t);
        if dnsrr && stype.is_none() {
            stype = Some(ServiceType::Headless);
        }
        let reached_by = self.reached.get(name).cloned();
        if ports.is_empty()
            && stype.is_none()
            && reached_by.is_none()
            && kind != WorkloadKind::StatefulSet
        {
            return (None, None);
        }
        if kind == WorkloadKind::CronJob && ports.is_empty() {
            return (None, None);
        }
        let mut headless = matches!(stype, Some(ServiceType::Headless));
        if ports.is_empty() {
            self.portless_service(name, st, stype, reached_by.as_deref(), headless);
            headless = true;
        }
        let t = stype.unwrap_or(ServiceType::ClusterIp);
        let k8s_ports = service_ports(&ports, t, st.node_port);
        let etp = self.node_settings(name, st, t, ports.len());
        let spec = ServiceSpec {
            type_: Some(t.k8s_type().into()),
            cluster_ip: headless.then(|| "None".to_string()),
            selector: Some(sel.clone()),
            ports: (!k8s_ports.is_empty()).then(|| k8s_ports.clone()),
            external_traffic_policy: etp,
            ..Default::default()
        };
        self.objects.push(Object::Service(Service {
            metadata: meta(base, sel.clone()),
            spec: Some(spec),
            ..Default::default()
        }));
        self.alias_services(name, svc, base, &sel, headless, &k8s_ports);
        let type_value = (!headless).then_some(t.k8s_type());
        (Some(base.to_string()), type_value)
    }

    /// What a Service without ports cannot do (it becomes headless).
    fn portless_service(
        &mut self,
        name: &str,
        st: &ServiceSettings,
        stype: Option<ServiceType>,
        reached_by: Option<&str>,
        headless: bool,
    ) {
        if let Some(by) = reached_by {
            if !headless {
                self.report.warn(
                    by,
                    format!("{name} has no ports or expose: it gets a headless Service, whose DNS name lists its pods' addresses"),
                    Some(format!("add expose: [PORT] to {name} so that a normal Service is made")),
                );
            }
        }
        if matches!(
            stype,
            Some(ServiceType::NodePort | ServiceType::LoadBalancer)
        ) {
            self.report.error(
                &st.service_type
                    .as_ref()
                    .map(|(_, p)| p.clone())
                    .unwrap_or_default(),
                format!(
                    "a {} Service needs ports",
                    stype.map(|t| t.k8s_type()).unwrap_or_default()
                ),
                Some("add ports: or expose:".into()),
            );
        }
    }

    /// Checks the node port and external traffic policy against the Service type; the
    /// externalTrafficPolicy to set.
    fn node_settings(
        &mut self,
        name: &str,
        st: &ServiceSettings,
        t: ServiceType,
        n_ports: usize,
    ) -> Option<String> {
        if st.node_port.is_some() && !matches!(t, ServiceType::NodePort | ServiceType::LoadBalancer)
        {
            self.report.warn(
                &svc_path(name, "labels"),
                "a node port needs a NodePort or LoadBalancer Service: ignored",
                None,
            );
        }
        if st.node_port.is_some() && n_ports > 1 {
            self.report.info(
                &svc_path(name, "labels"),
                "the node port applies to the first port",
                None,
            );
        }
        let mut etp = st.external_traffic_policy.clone();
        if etp.is_some() && !matches!(t, ServiceType::NodePort | ServiceType::LoadBalancer) {
            self.report.warn(
                &svc_path(name, "labels"),
                "externalTrafficPolicy needs a NodePort or LoadBalancer Service: ignored",
                None,
            );
            etp = None;
        }
        etp
    }

    /// Aliases on networks and links: more names for the same pods, each a ClusterIP Service.
    fn alias_services(
        &mut self,
        name: &str,
        svc: &ComposeService,
        base: &str,
        sel: &BTreeMap<String, String>,
        headless: bool,
        k8s_ports: &[ServicePort],
    ) {
        let mut aliases = BTreeSet::new();
        for (net, cfg) in &svc.networks {
            if let Some(c) = cfg {
                for a in &c.aliases {
                    aliases.insert((
                        a.clone(),
                        svc_path(name, &format!("networks.{net}.aliases")),
                    ));
                }
            }
        }
        for (other, osvc) in &self.p.services {
            for (i, l) in osvc.links.iter().enumerate() {
                if let Some((target, alias)) = l.split_once(':') {
                    if target == name && alias != name {
                        aliases
                            .insert((alias.to_string(), svc_path(other, &format!("links[{i}]"))));
                    }
                }
            }
        }
        for (a, path) in aliases {
            let an = names::label1035(&a, names::LABEL_MAX);
            if an == base || self.base.values().any(|b| *b == an) {
                continue;
            }
            let an = self.book.claim("Service", &an, &format!("alias:{a}"));
            self.report.info(
                &path,
                format!("alias {a:?} → an extra Service {an:?} selecting the same pods"),
                None,
            );
            self.objects.push(Object::Service(Service {
                metadata: meta(&an, sel.clone()),
                spec: Some(ServiceSpec {
                    type_: Some("ClusterIP".into()),
                    cluster_ip: headless.then(|| "None".to_string()),
                    selector: Some(sel.clone()),
                    ports: (!k8s_ports.is_empty()).then(|| {
                        k8s_ports
                            .iter()
                            .map(|p| ServicePort {
                                node_port: None,
                                ..p.clone()
                            })
                            .collect()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }));
        }
    }

    /// The headless Service that governs a StatefulSet's pod names.
    pub(super) fn governing_service(
        &mut self,
        name: &str,
        base: &str,
        sel: &BTreeMap<String, String>,
    ) -> String {
        let headless_exists = self.objects.iter().any(|o| match o {
            Object::Service(s) => {
                s.metadata.name.as_deref() == Some(base)
                    && s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some("None")
            }
            _ => false,
        });
        if headless_exists {
            return base.to_string();
        }
        let gname = names::derived(base, "headless");
        let ports: Vec<ServicePort> = self.ports[name]
            .iter()
            .map(|p| ServicePort {
                name: p.name.clone(),
                port: p.port,
                target_port: Some(IntOrString::Int(p.target)),
                protocol: Some(p.protocol.clone()),
                ..Default::default()
            })
            .collect();
        self.objects.push(Object::Service(Service {
            metadata: meta(&gname, sel.clone()),
            spec: Some(ServiceSpec {
                type_: Some("ClusterIP".into()),
                cluster_ip: Some("None".into()),
                selector: Some(sel.clone()),
                ports: (!ports.is_empty()).then_some(ports),
                ..Default::default()
            }),
            ..Default::default()
        }));
        gname
    }

    /// The Ingress of a service (x-berth.ingress or kompose labels); the Service port it routes
    /// to.
    pub(super) fn ingress(
        &mut self,
        name: &str,
        base: &str,
        st: &ServiceSettings,
        service: Option<&str>,
    ) -> Option<i32> {
        let ing = st.ingress.as_ref()?;
        let ports = &self.ports[name];
        let Some(svc_name) = service.filter(|_| !ports.is_empty()) else {
            self.report.error(
                &ing.source,
                "an Ingress needs a Service with ports",
                Some("add ports: or expose:".into()),
            );
            return None;
        };
        let port = match ing.port {
            Some(p) if ports.iter().any(|x| x.port == p) => p,
            Some(p) => {
                self.report.error(
                    &ing.source,
                    format!("port {p} is not a port of the Service {svc_name}"),
                    None,
                );
                return None;
            }
            None => ports.iter().find(|p| p.protocol == "TCP").map(|p| p.port)?,
        };
        let mut by_host: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (h, p) in &ing.rules {
            let paths = by_host.entry(h.clone()).or_default();
            if !paths.contains(p) {
                paths.push(p.clone());
            }
        }
        let backend = IngressBackend {
            service: Some(IngressServiceBackend {
                name: svc_name.to_string(),
                port: Some(ServiceBackendPort {
                    number: Some(port),
                    name: None,
                }),
            }),
            resource: None,
        };
        let rules: Vec<IngressRule> = by_host
            .iter()
            .map(|(h, paths)| IngressRule {
                host: (!h.is_empty()).then(|| h.clone()),
                http: Some(HTTPIngressRuleValue {
                    paths: paths
                        .iter()
                        .map(|p| HTTPIngressPath {
                            path: Some(p.clone()),
                            path_type: "Prefix".into(),
                            backend: backend.clone(),
                        })
                        .collect(),
                }),
            })
            .collect();
        let tls_hosts: Vec<String> = by_host.keys().filter(|h| !h.is_empty()).cloned().collect();
        let tls = ing.tls_secret.as_ref().map(|s| {
            vec![IngressTLS {
                hosts: (!tls_hosts.is_empty()).then_some(tls_hosts),
                secret_name: Some(s.clone()),
            }]
        });
        self.objects.push(Object::Ingress(Ingress {
            metadata: meta(base, self.selector(base)),
            spec: Some(IngressSpec {
                ingress_class_name: ing.class.clone(),
                rules: Some(rules),
                tls,
                ..Default::default()
            }),
            ..Default::default()
        }));
        Some(port)
    }

    /// Per-network endpoint settings, which pods do not have: said once per service.
    pub(super) fn network_endpoint_warnings(&mut self, name: &str, svc: &ComposeService) {
        for (net, cfg) in &svc.networks {
            if let Some(c) = cfg {
                let path = svc_path(name, &format!("networks.{net}"));
                if c.ipv4_address.as_deref().is_some_and(|s| !s.is_empty())
                    || c.ipv6_address.as_deref().is_some_and(|s| !s.is_empty())
                {
                    self.report.warn(
                        &path,
                        "static IP addresses: pods get addresses from the network plugin",
                        None,
                    );
                }
                // Aliases become Services in alias_services.
                if c.mac_address.as_deref().is_some_and(|s| !s.is_empty())
                    || !c.driver_opts.is_empty()
                    || !c.link_local_ips.is_empty()
                    || c.priority.is_some_and(|n| n != 0)
                    || c.gw_priority.is_some_and(|n| n != 0)
                {
                    self.report
                        .warn(&path, "per-network endpoint settings: ignored", None);
                }
            }
        }
    }

    /// NetworkPolicies that isolate services as compose networks do (`--network-policies`);
    /// without the flag, one warning that they do not.
    pub(super) fn network_policies(&mut self) {
        let p = self.p;
        let custom: Vec<&String> = p.networks.keys().filter(|n| *n != "default").collect();
        if !self.opts.network_policies {
            if !custom.is_empty() {
                self.report.warn(
                    "networks",
                    "compose networks isolate services from each other; in Kubernetes every pod can reach every other unless NetworkPolicies say otherwise",
                    Some("pass --network-policies".into()),
                );
            }
            return;
        }
        let plabels = self.project_labels();
        let proj = names::base(&self.lp.name);
        self.objects.push(Object::NetworkPolicy(NetworkPolicy {
            metadata: meta(&names::derived(&proj, "default-deny"), plabels.clone()),
            spec: Some(NetworkPolicySpec {
                pod_selector: LabelSelector {
                    match_labels: Some(plabels.clone()),
                    ..Default::default()
                },
                policy_types: Some(vec!["Ingress".into()]),
                ..Default::default()
            }),
        }));
        for net in p.networks.keys() {
            self.network_policy(net, &proj, &plabels);
        }
        self.external_policies();
    }

    /// The policy of one compose network: its pods accept traffic from each other.
    fn network_policy(&mut self, net: &str, proj: &str, plabels: &BTreeMap<String, String>) {
        let p = self.p;
        let users = p
            .services
            .values()
            .filter(|s| s.networks.contains_key(net))
            .count();
        if users == 0 {
            return;
        }
        let key = network_label(net);
        let sel = BTreeMap::from([(key, "true".to_string())]);
        let mut labels = plabels.clone();
        labels.extend(sel.clone());
        self.objects.push(Object::NetworkPolicy(NetworkPolicy {
            metadata: meta(
                &names::derived(proj, &format!("net-{}", names::label(net, 40))),
                plabels.clone(),
            ),
            spec: Some(NetworkPolicySpec {
                pod_selector: LabelSelector {
                    match_labels: Some(labels.clone()),
                    ..Default::default()
                },
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        pod_selector: Some(LabelSelector {
                            match_labels: Some(labels),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    ports: None,
                }]),
                policy_types: Some(vec!["Ingress".into()]),
                ..Default::default()
            }),
        }));
        if p.networks.get(net).is_some_and(|n| n.internal) {
            self.report.warn(
                &format!("networks.{net}.internal"),
                "internal network: egress is not restricted by the policies berth writes",
                None,
            );
        }
    }

    /// Policies that let the world reach services exposed outside the cluster.
    fn external_policies(&mut self) {
        let p = self.p;
        for name in p.services.keys() {
            let st = &self.settings[name];
            let external = st.ingress.is_some()
                || matches!(
                    st.service_type.as_ref().map(|(t, _)| *t),
                    Some(ServiceType::NodePort | ServiceType::LoadBalancer)
                );
            let ports = &self.container_ports[name];
            if !external || ports.is_empty() {
                continue;
            }
            let base = self.base[name].clone();
            self.objects.push(Object::NetworkPolicy(NetworkPolicy {
                metadata: meta(&names::derived(&base, "external"), self.selector(&base)),
                spec: Some(NetworkPolicySpec {
                    pod_selector: LabelSelector {
                        match_labels: Some(self.selector(&base)),
                        ..Default::default()
                    },
                    ingress: Some(vec![NetworkPolicyIngressRule {
                        from: None,
                        ports: Some(
                            ports
                                .iter()
                                .map(|p| NetworkPolicyPort {
                                    port: Some(IntOrString::Int(p.target)),
                                    protocol: Some(p.protocol.clone()),
                                    end_port: None,
                                })
                                .collect(),
                        ),
                    }]),
                    policy_types: Some(vec!["Ingress".into()]),
                    ..Default::default()
                }),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, object};
    use super::*;

    #[test]
    fn expose_entries() {
        let ok = [
            ("80", (80, 80, "TCP")),
            ("53/udp", (53, 53, "UDP")),
            ("8000-8009/sctp", (8000, 8009, "SCTP")),
        ];
        for (e, (lo, hi, proto)) in ok {
            assert_eq!(parse_expose(e), Ok((lo, hi, proto.to_string())), "{e}");
        }
        let bad = [
            ("80/icmp", "unknown protocol in \"80/icmp\""),
            ("http", "\"http\" is not a port or port range"),
            ("0", "\"0\" is out of range"),
            ("90-80", "\"90-80\" is out of range"),
            (
                "1000-1100",
                "\"1000-1100\" is 101 ports; berth lists ports one by one and stops at 100",
            ),
        ];
        for (e, want) in bad {
            assert_eq!(parse_expose(e).unwrap_err().0, want, "{e}");
        }
    }

    #[test]
    fn port_names_are_unique_and_generated_when_missing() {
        let p = |port, target, name: Option<&str>| PortSpec {
            port,
            target,
            protocol: "TCP".into(),
            name: name.map(String::from),
            app_protocol: None,
        };
        let mut list = vec![
            p(80, 8080, Some("web")),
            p(443, 8443, Some("web")),
            p(9, 9, None),
        ];
        let mut ctr = list.clone();
        name_ports(&mut list, true);
        name_ports(&mut ctr, false);
        let got = |l: &[PortSpec]| {
            l.iter()
                .map(|p| p.name.clone().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(got(&list), ["web", "tcp-443", "tcp-9"]);
        assert_eq!(got(&ctr), ["web", "tcp-8443", "tcp-9"]);
    }

    #[test]
    fn a_published_port_keeps_the_container_port_reachable() {
        let c = convert_plain("services:\n  web:\n    image: nginx:1.25\n    ports: [\"8080:80\", \"127.0.0.1:9000:9000/udp\"]\n    expose: [\"7000\"]\n");
        let ports: Vec<(i64, i64, String)> = object(&c, "Service", "web")["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["port"].as_i64().unwrap(),
                    p["targetPort"].as_i64().unwrap(),
                    p["protocol"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            ports,
            [
                (8080, 80, "TCP".into()),
                (80, 80, "TCP".into()),
                (9000, 9000, "UDP".into()),
                (7000, 7000, "TCP".into()),
            ]
        );
        assert!(findings(&c).contains(&"Warning services.web.ports: host_ip 127.0.0.1 (ports 9000): a Service cannot bind to a node address; it listens on its cluster IP".to_string()));
    }

    #[test]
    fn network_aliases_and_link_aliases_are_extra_services() {
        let c = convert_plain("services:\n  db:\n    image: postgres:16\n    expose: [\"5432\"]\n    networks:\n      back:\n        aliases: [database]\n  app:\n    image: nginx:1.25\n    links: [\"db:pg\"]\n    networks: [back]\nnetworks:\n  back: {}\n");
        for alias in ["database", "pg"] {
            let s = object(&c, "Service", alias);
            assert_eq!(s["spec"]["selector"]["app.kubernetes.io/name"], json!("db"));
            assert_eq!(s["spec"]["ports"][0]["port"], json!(5432));
        }
    }
}
