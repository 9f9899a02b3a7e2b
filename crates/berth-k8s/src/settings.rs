//! Kubernetes-only settings written in a compose file: berth's `x-berth` extension (the typed,
//! primary surface) and kompose's `kompose.*` service labels (accepted so that kompose users can
//! switch). Both are read here into [`ServiceSettings`], [`VolumeSettings`] and
//! [`ProjectSettings`]; an unknown `x-berth` key or a wrong type is an error that names the key.
//!
//! ```yaml
//! x-berth:                       # project level
//!   storage_class: fast          # default storageClassName of every PVC
//!   volume_size: 1Gi             # default PVC size
//!   wait_image: busybox:1.36.1   # image of the init containers that wait for Services
//!   job_wait_image: curlimages/curl:8.11.1   # ... that wait for Jobs
//!   image_pull_secrets: [regcred]
//! services:
//!   web:
//!     x-berth:
//!       kind: deployment         # deployment|statefulset|daemonset|job|cronjob
//!       schedule: "0 3 * * *"    # cronjob schedule
//!       service: {type: NodePort, node_port: 30080, external_traffic_policy: Local}
//!       ingress: {hosts: [app.example.com/], class: nginx, tls_secret: app-tls, port: 80}
//!       image_pull_secrets: [regcred]
//!       service_account: web
//!       fs_group: 1000
//!       hpa: {min: 1, max: 5, cpu: 70, memory: 80}
//! volumes:
//!   data:
//!     x-berth: {size: 10Gi, storage_class: fast, access_modes: [ReadWriteOnce]}
//! ```

use std::collections::BTreeMap;

use serde_json::Value;

use super::names;
use super::report::Report;
use super::units;
use berth_compose::model::{Extensions, Service, VolumeConfig};

/// The workload kind a service becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
}

impl WorkloadKind {
    const ALL: [WorkloadKind; 5] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
    ];

    /// The kind named `s`, in any case.
    fn parse(s: &str) -> Option<WorkloadKind> {
        parse_name(Self::ALL.map(|k| (k, k.as_str())), s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
        }
    }

    /// Whether pods of this kind run to completion.
    pub fn is_batch(self) -> bool {
        matches!(self, WorkloadKind::Job | WorkloadKind::CronJob)
    }
}

/// A Service type, `Headless` being ClusterIP with `clusterIP: None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIp,
    NodePort,
    LoadBalancer,
    Headless,
}

impl ServiceType {
    /// The type named `s`, in any case.
    fn parse(s: &str) -> Option<ServiceType> {
        let names = [
            (ServiceType::ClusterIp, "ClusterIP"),
            (ServiceType::NodePort, "NodePort"),
            (ServiceType::LoadBalancer, "LoadBalancer"),
            (ServiceType::Headless, "Headless"),
        ];
        parse_name(names, s)
    }

    /// The `spec.type` value.
    pub fn k8s_type(self) -> &'static str {
        match self {
            ServiceType::ClusterIp | ServiceType::Headless => "ClusterIP",
            ServiceType::NodePort => "NodePort",
            ServiceType::LoadBalancer => "LoadBalancer",
        }
    }
}

/// The value whose name is `s`, ignoring ASCII case.
fn parse_name<T, const N: usize>(names: [(T, &str); N], s: &str) -> Option<T> {
    names
        .into_iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(s))
        .map(|(v, _)| v)
}

/// The external traffic policy named `s`, in any case.
fn traffic_policy(s: &str) -> Option<&'static str> {
    ["Local", "Cluster"]
        .into_iter()
        .find(|p| p.eq_ignore_ascii_case(s))
}

/// An Ingress asked for a service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngressSettings {
    /// `(host, path)` pairs; an empty host is a rule for any host.
    pub rules: Vec<(String, String)>,
    pub class: Option<String>,
    pub tls_secret: Option<String>,
    /// The Service port to route to (default: the first).
    pub port: Option<i32>,
    /// Where it was written, for messages.
    pub source: String,
}

/// A probe asked for by kompose's `kompose.service.healthcheck.{readiness,liveness}.*` labels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProbeLabels {
    pub disable: bool,
    pub test: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<i32>,
    pub start_period: Option<String>,
    pub http_get_path: Option<String>,
    pub http_get_port: Option<i32>,
    pub tcp_port: Option<i32>,
}

impl ProbeLabels {
    pub fn is_set(&self) -> bool {
        *self != ProbeLabels::default()
    }
}

/// A HorizontalPodAutoscaler asked for (`x-berth.hpa` or `kompose.hpa.*`).
#[derive(Clone, Debug, PartialEq)]
pub struct HpaSettings {
    pub min: i32,
    pub max: i32,
    pub cpu: Option<i32>,
    pub memory: Option<i32>,
}

/// An extra init container from `kompose.init.containers.*`.
#[derive(Clone, Debug, PartialEq)]
pub struct InitContainerLabels {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
}

/// Kubernetes settings of one service.
#[derive(Clone, Debug, Default)]
pub struct ServiceSettings {
    pub kind: Option<(WorkloadKind, String)>,
    pub schedule: Option<String>,
    pub concurrency_policy: Option<String>,
    pub backoff_limit: Option<i32>,
    pub service_type: Option<(ServiceType, String)>,
    pub node_port: Option<i32>,
    pub external_traffic_policy: Option<String>,
    pub ingress: Option<IngressSettings>,
    pub image_pull_secrets: Vec<String>,
    pub image_pull_policy: Option<String>,
    pub service_account: Option<String>,
    pub fs_group: Option<i64>,
    pub volume_size: Option<String>,
    pub storage_class: Option<String>,
    pub volume_subpath: Option<String>,
    pub volume_type: Option<String>,
    pub readiness: ProbeLabels,
    pub liveness: ProbeLabels,
    pub init_container: Option<InitContainerLabels>,
    pub hpa: Option<HpaSettings>,
    /// `kompose.service.group`: several services in one pod (not supported).
    pub service_group: Option<String>,
    /// Service labels that are settings (consumed), so they are not copied as annotations.
    pub consumed_labels: Vec<String>,
}

/// Kubernetes settings of one named volume.
#[derive(Clone, Debug, Default)]
pub struct VolumeSettings {
    pub size: Option<String>,
    pub storage_class: Option<String>,
    pub access_modes: Vec<String>,
}

/// Project-wide settings (`x-berth` at the top level).
#[derive(Clone, Debug, Default)]
pub struct ProjectSettings {
    pub storage_class: Option<String>,
    pub volume_size: Option<String>,
    pub wait_image: Option<String>,
    pub job_wait_image: Option<String>,
    pub image_pull_secrets: Vec<String>,
}

const ACCESS_MODES: &[&str] = &[
    "ReadWriteOnce",
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOncePod",
];

/// Reads typed values out of one `x-berth` mapping, reporting errors at `path.key`.
struct Reader<'a> {
    map: &'a serde_json::Map<String, Value>,
    path: String,
    report: &'a mut Report,
}

impl<'a> Reader<'a> {
    fn new(v: &'a Value, path: &str, report: &'a mut Report) -> Option<Reader<'a>> {
        match v {
            Value::Object(map) => Some(Reader {
                map,
                path: path.to_string(),
                report,
            }),
            Value::Null => None,
            other => {
                report.error(
                    path,
                    format!("x-berth must be a mapping, found {}", json_kind(other)),
                    None,
                );
                None
            }
        }
    }

    fn key_path(&self, k: &str) -> String {
        format!("{}.{k}", self.path)
    }

    /// Reports keys outside `known`.
    fn only(&mut self, known: &[&str]) {
        let unknown: Vec<String> = self
            .map
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in unknown {
            let p = self.key_path(&k);
            self.report.error(
                &p,
                format!("unknown x-berth key {k:?}"),
                Some(format!("known keys here: {}", known.join(", "))),
            );
        }
    }

    fn string(&mut self, k: &str) -> Option<String> {
        match self.map.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => None,
            other => {
                let p = self.key_path(k);
                self.report.error(
                    &p,
                    format!("expected a string, found {}", json_kind(other)),
                    None,
                );
                None
            }
        }
    }

    fn int(&mut self, k: &str, min: i64, max: i64) -> Option<i64> {
        let v = self.map.get(k)?;
        let n = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                let p = self.key_path(k);
                self.report.error(
                    &p,
                    format!("expected a whole number from {min} to {max}, found {v}"),
                    None,
                );
                None
            }
        }
    }

    fn strings(&mut self, k: &str) -> Vec<String> {
        match self.map.get(k) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    match x {
                        Value::String(s) => out.push(s.clone()),
                        other => {
                            let p = format!("{}[{i}]", self.key_path(k));
                            self.report.error(
                                &p,
                                format!("expected a string, found {}", json_kind(other)),
                                None,
                            );
                        }
                    }
                }
                out
            }
            Some(other) => {
                let p = self.key_path(k);
                self.report.error(
                    &p,
                    format!("expected a list of strings, found {}", json_kind(other)),
                    None,
                );
                Vec::new()
            }
        }
    }

    fn sub(&mut self, k: &str) -> Option<(Value, String)> {
        self.map.get(k).map(|v| (v.clone(), self.key_path(k)))
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn check_quantity(report: &mut Report, path: &str, v: Option<String>) -> Option<String> {
    let v = v?;
    match units::size_quantity(&v) {
        Some(q) => Some(q),
        None => {
            report.error(
                path,
                format!("{v:?} is not a size (use a Kubernetes quantity such as 10Gi)"),
                None,
            );
            None
        }
    }
}

/// The HPA settings read: between 1 and 3 replicas unless they say otherwise.
fn hpa_settings(
    min: Option<i64>,
    max: Option<i64>,
    cpu: Option<i64>,
    memory: Option<i64>,
) -> HpaSettings {
    HpaSettings {
        min: min.unwrap_or(1) as i32,
        max: max.unwrap_or(3) as i32,
        cpu: cpu.map(|n| n as i32),
        memory: memory.map(|n| n as i32),
    }
}

/// Reads the project's `x-berth`.
pub fn project_settings(ext: &Extensions, report: &mut Report) -> ProjectSettings {
    let mut out = ProjectSettings::default();
    let Some(v) = ext.get("x-berth") else {
        return out;
    };
    let Some(mut r) = Reader::new(v, "x-berth", report) else {
        return out;
    };
    r.only(&[
        "storage_class",
        "volume_size",
        "wait_image",
        "job_wait_image",
        "image_pull_secrets",
    ]);
    out.storage_class = r.string("storage_class");
    let size = r.string("volume_size");
    out.wait_image = r.string("wait_image");
    out.job_wait_image = r.string("job_wait_image");
    out.image_pull_secrets = r.strings("image_pull_secrets");
    out.volume_size = check_quantity(report, "x-berth.volume_size", size);
    for s in out.image_pull_secrets.clone() {
        if !names::is_dns1123_subdomain(&s) {
            report.error(
                "x-berth.image_pull_secrets",
                format!("{s:?} is not a valid Secret name"),
                None,
            );
        }
    }
    out
}

/// Reads a named volume's `x-berth` and kompose labels.
pub fn volume_settings(name: &str, vol: &VolumeConfig, report: &mut Report) -> VolumeSettings {
    let mut out = VolumeSettings::default();
    let base = format!("volumes.{name}");
    if let Some(size) = vol.labels.get("kompose.volume.size") {
        out.size = check_quantity(
            report,
            &format!("{base}.labels.kompose.volume.size"),
            Some(size.clone()),
        );
    }
    let Some(v) = vol.extensions.get("x-berth") else {
        return out;
    };
    let path = format!("{base}.x-berth");
    let Some(mut r) = Reader::new(v, &path, report) else {
        return out;
    };
    r.only(&["size", "storage_class", "access_modes"]);
    let size = r.string("size");
    let class = r.string("storage_class");
    let modes = r.strings("access_modes");
    if let Some(q) = check_quantity(report, &format!("{path}.size"), size) {
        out.size = Some(q);
    }
    out.storage_class = class;
    for m in modes {
        if ACCESS_MODES.contains(&m.as_str()) {
            out.access_modes.push(m);
        } else {
            report.error(
                &format!("{path}.access_modes"),
                format!("unknown access mode {m:?}"),
                Some(format!("use one of {}", ACCESS_MODES.join(", "))),
            );
        }
    }
    out
}

fn parse_ingress_hosts(spec: &[String], default_path: &str) -> Vec<(String, String)> {
    let mut rules = Vec::new();
    for h in spec {
        let h = h.trim();
        if h.is_empty() || h == "true" {
            rules.push((String::new(), default_path.to_string()));
            continue;
        }
        match h.split_once('/') {
            Some((host, path)) => rules.push((host.to_string(), format!("/{path}"))),
            None => rules.push((h.to_string(), default_path.to_string())),
        }
    }
    rules
}

fn check_ingress(report: &mut Report, ing: &IngressSettings) {
    for (host, path) in &ing.rules {
        if !host.is_empty() {
            let wild = host.strip_prefix("*.").unwrap_or(host);
            if !names::is_dns1123_subdomain(wild) {
                report.error(
                    &ing.source,
                    format!("{host:?} is not a valid host name for an Ingress"),
                    Some("use lower-case DNS names such as app.example.com".into()),
                );
            }
        }
        if !path.starts_with('/') {
            report.error(
                &ing.source,
                format!("ingress path {path:?} must start with /"),
                None,
            );
        }
    }
    if let Some(t) = &ing.tls_secret {
        if !names::is_dns1123_subdomain(t) {
            report.error(
                &ing.source,
                format!("{t:?} is not a valid Secret name"),
                None,
            );
        }
    }
}

/// Reads one service's `x-berth` and `kompose.*` labels.
pub fn service_settings(name: &str, svc: &Service, report: &mut Report) -> ServiceSettings {
    let mut out = ServiceSettings::default();
    kompose_labels(name, svc, &mut out, report);
    let Some(v) = svc.extensions.get("x-berth") else {
        return out;
    };
    let path = format!("services.{name}.x-berth");
    let Some(mut r) = Reader::new(v, &path, report) else {
        return out;
    };
    r.only(&[
        "kind",
        "schedule",
        "service",
        "ingress",
        "image_pull_secrets",
        "service_account",
        "fs_group",
        "hpa",
    ]);
    let kind = r.string("kind");
    let schedule = r.string("schedule");
    let service = r.sub("service");
    let ingress = r.sub("ingress");
    let pull_secrets = r.strings("image_pull_secrets");
    let sa = r.string("service_account");
    let fs_group = r.int("fs_group", 0, i64::from(u32::MAX));
    let hpa = r.sub("hpa");
    if let Some(k) = kind {
        match WorkloadKind::parse(&k) {
            Some(kind) => {
                if out.kind.is_some() {
                    report.warn(
                        &format!("{path}.kind"),
                        "x-berth.kind wins over the kompose.controller.type label",
                        None,
                    );
                }
                out.kind = Some((kind, format!("{path}.kind")));
            }
            None => report.error(
                &format!("{path}.kind"),
                format!("unknown workload kind {k:?}"),
                Some("use deployment, statefulset, daemonset, job or cronjob".into()),
            ),
        }
    }
    if schedule.is_some() {
        out.schedule = schedule;
    }
    if let Some((v, p)) = service {
        if let Some(mut s) = Reader::new(&v, &p, report) {
            s.only(&["type", "node_port", "external_traffic_policy"]);
            let t = s.string("type");
            let np = s.int("node_port", 1, 65535);
            let etp = s.string("external_traffic_policy");
            if let Some(t) = t {
                match ServiceType::parse(&t) {
                    Some(st) => out.service_type = Some((st, format!("{p}.type"))),
                    None => report.error(
                        &format!("{p}.type"),
                        format!("unknown Service type {t:?}"),
                        Some("use ClusterIP, NodePort, LoadBalancer or headless".into()),
                    ),
                }
            }
            if np.is_some() {
                out.node_port = np.map(|n| n as i32);
            }
            if let Some(e) = etp {
                match traffic_policy(&e) {
                    Some(t) => out.external_traffic_policy = Some(t.into()),
                    None => report.error(
                        &format!("{p}.external_traffic_policy"),
                        format!("unknown external traffic policy {e:?}"),
                        Some("use Local or Cluster".into()),
                    ),
                }
            }
        }
    }
    if let Some((v, p)) = ingress {
        if let Some(mut s) = Reader::new(&v, &p, report) {
            s.only(&["host", "hosts", "path", "class", "tls_secret", "port"]);
            let mut hosts = s.strings("hosts");
            if let Some(h) = s.string("host") {
                hosts.insert(0, h);
            }
            let path_default = s.string("path").unwrap_or_else(|| "/".into());
            let class = s.string("class");
            let tls = s.string("tls_secret");
            let port = s.int("port", 1, 65535).map(|n| n as i32);
            if hosts.is_empty() {
                hosts.push(String::new());
            }
            let ing = IngressSettings {
                rules: parse_ingress_hosts(&hosts, &path_default),
                class,
                tls_secret: tls,
                port,
                source: p.clone(),
            };
            check_ingress(report, &ing);
            if out.ingress.is_some() {
                report.warn(
                    &p,
                    "x-berth.ingress wins over the kompose.service.expose label",
                    None,
                );
            }
            out.ingress = Some(ing);
        }
    }
    if !pull_secrets.is_empty() {
        out.image_pull_secrets = pull_secrets;
    }
    if sa.is_some() {
        out.service_account = sa;
    }
    if fs_group.is_some() {
        out.fs_group = fs_group;
    }
    if let Some((v, p)) = hpa {
        if let Some(mut s) = Reader::new(&v, &p, report) {
            s.only(&["min", "max", "cpu", "memory"]);
            let hpa = hpa_settings(
                s.int("min", 1, 10_000),
                s.int("max", 1, 10_000),
                s.int("cpu", 1, 1000),
                s.int("memory", 1, 1000),
            );
            let (min, max) = (hpa.min, hpa.max);
            if min > max {
                report.error(
                    &p,
                    format!("hpa.min ({min}) is above hpa.max ({max})"),
                    None,
                );
            }
            out.hpa = Some(hpa);
        }
    }
    out
}

fn label_int(report: &mut Report, path: &str, v: &str, min: i64, max: i64) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            report.error(
                path,
                format!("expected a whole number from {min} to {max}, found {v:?}"),
                None,
            );
            None
        }
    }
}

/// `v` when it is one of `allowed` (exactly); otherwise an error that it is an unknown `what`.
fn one_of(
    report: &mut Report,
    path: &str,
    what: &str,
    allowed: &[&str],
    v: &str,
) -> Option<String> {
    if allowed.contains(&v) {
        return Some(v.to_string());
    }
    let (last, rest) = allowed.split_last()?;
    report.error(
        path,
        format!("unknown {what} {v:?}"),
        Some(format!("use {} or {last}", rest.join(", "))),
    );
    None
}

/// kompose's labels, as documented by kompose (see docs/convert.md for the list).
fn kompose_labels(name: &str, svc: &Service, out: &mut ServiceSettings, report: &mut Report) {
    let labels: &BTreeMap<String, String> = &svc.labels;
    let lp = |k: &str| format!("services.{name}.labels.{k}");
    let mut consumed = Vec::new();
    let mut expose: Option<String> = None;
    let mut expose_tls = None;
    let mut expose_class = None;
    let mut hpa = (None, None, None, None);
    let mut init = (None, None, None);
    for (k, v) in labels {
        let Some(rest) = k.strip_prefix("kompose.") else {
            continue;
        };
        consumed.push(k.clone());
        let path = lp(k);
        match rest {
            "service.type" => match ServiceType::parse(v) {
                Some(t) => out.service_type = Some((t, path)),
                None => report.error(
                    &path,
                    format!("unknown Service type {v:?}"),
                    Some("use clusterip, nodeport, loadbalancer or headless".into()),
                ),
            },
            "service.nodeport.port" => {
                out.node_port = label_int(report, &path, v, 1, 65535).map(|n| n as i32)
            }
            "service.external-traffic-policy" => match traffic_policy(v) {
                Some(t) => out.external_traffic_policy = Some(t.into()),
                None => report.error(
                    &path,
                    format!("unknown external traffic policy {v:?}"),
                    None,
                ),
            },
            "service.expose" => expose = Some(v.clone()),
            "service.expose.tls-secret" => expose_tls = Some(v.clone()),
            "service.expose.ingress-class-name" => expose_class = Some(v.clone()),
            "controller.type" => match WorkloadKind::parse(v) {
                Some(
                    k @ (WorkloadKind::Deployment
                    | WorkloadKind::StatefulSet
                    | WorkloadKind::DaemonSet),
                ) => out.kind = Some((k, path)),
                _ => report.error(
                    &path,
                    format!("unknown controller type {v:?}"),
                    Some("use deployment, statefulset or daemonset".into()),
                ),
            },
            "image-pull-secret" => out.image_pull_secrets = vec![v.clone()],
            "image-pull-policy" => {
                let policies = ["Always", "IfNotPresent", "Never"];
                if let Some(p) = one_of(report, &path, "image pull policy", &policies, v) {
                    out.image_pull_policy = Some(p);
                }
            }
            "serviceaccount-name" => out.service_account = Some(v.clone()),
            "security-context.fsgroup" => {
                out.fs_group = label_int(report, &path, v, 0, i64::from(u32::MAX))
            }
            "volume.size" => out.volume_size = check_quantity(report, &path, Some(v.clone())),
            "volume.storage-class-name" => out.storage_class = Some(v.clone()),
            "volume.subpath" => out.volume_subpath = Some(v.clone()),
            "volume.type" => out.volume_type = Some(v.clone()),
            "cronjob.schedule" => out.schedule = Some(v.clone()),
            "cronjob.concurrency_policy" => {
                let policies = ["Allow", "Forbid", "Replace"];
                if let Some(p) = one_of(report, &path, "concurrency policy", &policies, v) {
                    out.concurrency_policy = Some(p);
                }
            }
            "cronjob.backoff_limit" => {
                out.backoff_limit = label_int(report, &path, v, 0, 1000).map(|n| n as i32)
            }
            "init.containers.name" => init.0 = Some(v.clone()),
            "init.containers.image" => init.1 = Some(v.clone()),
            "init.containers.command" => init.2 = Some(v.clone()),
            "hpa.replicas.min" => hpa.0 = label_int(report, &path, v, 1, 10_000),
            "hpa.replicas.max" => hpa.1 = label_int(report, &path, v, 1, 10_000),
            "hpa.cpu" => hpa.2 = label_int(report, &path, v, 1, 1000),
            "hpa.memory" => hpa.3 = label_int(report, &path, v, 1, 1000),
            "service.group" => out.service_group = Some(v.clone()),
            r if r.starts_with("service.healthcheck.readiness.")
                || r.starts_with("service.healthcheck.liveness.") =>
            {
                let (probe, field) = match r.strip_prefix("service.healthcheck.readiness.") {
                    Some(f) => (&mut out.readiness, f),
                    None => (
                        &mut out.liveness,
                        r.trim_start_matches("service.healthcheck.liveness."),
                    ),
                };
                match field {
                    "disable" => probe.disable = v == "true",
                    "test" => probe.test = Some(v.clone()),
                    "interval" => probe.interval = Some(v.clone()),
                    "timeout" => probe.timeout = Some(v.clone()),
                    "retries" => {
                        probe.retries = label_int(report, &path, v, 1, 1000).map(|n| n as i32)
                    }
                    "start_period" => probe.start_period = Some(v.clone()),
                    "http_get_path" => probe.http_get_path = Some(v.clone()),
                    "http_get_port" => {
                        probe.http_get_port =
                            label_int(report, &path, v, 1, 65535).map(|n| n as i32)
                    }
                    "tcp_port" => {
                        probe.tcp_port = label_int(report, &path, v, 1, 65535).map(|n| n as i32)
                    }
                    _ => report.warn(&path, format!("unknown kompose label {k:?}: ignored"), None),
                }
            }
            _ => report.warn(
                &path,
                format!("kompose label {k:?} is not supported by berth: ignored"),
                Some("see docs/convert.md for the kompose labels berth reads".into()),
            ),
        }
    }
    if let Some(e) = expose {
        let hosts: Vec<String> = e.split(',').map(|s| s.trim().to_string()).collect();
        let ing = IngressSettings {
            rules: parse_ingress_hosts(&hosts, "/"),
            class: expose_class,
            tls_secret: expose_tls,
            port: None,
            source: lp("kompose.service.expose"),
        };
        check_ingress(report, &ing);
        out.ingress = Some(ing);
    } else if expose_tls.is_some() || expose_class.is_some() {
        report.warn(
            &lp("kompose.service.expose"),
            "kompose.service.expose.* labels without kompose.service.expose: no Ingress",
            None,
        );
    }
    if hpa != (None, None, None, None) {
        let mut h = hpa_settings(hpa.0, hpa.1, hpa.2, hpa.3);
        if h.cpu.is_none() && h.memory.is_none() {
            (h.cpu, h.memory) = (Some(50), Some(70));
        }
        let (min, max) = (h.min, h.max);
        if min > max {
            report.error(
                &lp("kompose.hpa.replicas.min"),
                format!("hpa minimum ({min}) is above the maximum ({max})"),
                None,
            );
        }
        out.hpa = Some(h);
    }
    match init {
        (None, None, None) => {}
        (n, Some(image), c) => {
            let command = match c {
                Some(c) => parse_command(&c),
                None => Vec::new(),
            };
            out.init_container = Some(InitContainerLabels {
                name: n.unwrap_or_else(|| "init".into()),
                image,
                command,
            });
        }
        _ => report.error(
            &lp("kompose.init.containers.image"),
            "kompose.init.containers.* labels need an image",
            None,
        ),
    }
    out.consumed_labels = consumed;
}

/// A command written as a string: a JSON/flow list (`["sh", "-c", "x"]`) or shell words.
fn parse_command(s: &str) -> Vec<String> {
    if let Ok(v) = serde_json::from_str::<Vec<String>>(s) {
        return v;
    }
    let t = s.trim();
    if let Some(inner) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return inner
            .split(',')
            .map(|p| p.trim().trim_matches(['"', '\'']).to_string())
            .filter(|p| !p.is_empty())
            .collect();
    }
    shell_words::split(t).unwrap_or_else(|_| vec![t.to_string()])
}
