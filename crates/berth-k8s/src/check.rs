//! Checks that only an API server would make, and no offline schema does: name grammars,
//! selectors that match their pods, port names, volume/mount agreement, restart policies per
//! kind, one handler per probe, and references between objects. `berth convert` runs them on its
//! own output; a failure is a bug in berth, reported as such.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names;
use super::units;
use super::Object;

/// Objects that the output refers to but does not contain (external secrets, volumes, …).
pub type Externals = BTreeSet<(String, String)>;

struct Checker<'a> {
    objects: &'a [Object],
    /// Labels of every pod template.
    pod_labels: Vec<&'a BTreeMap<String, String>>,
    /// `(key, value)` → the pod templates (indices into `pod_labels`) carrying that label: a
    /// selector is matched against the pods that carry one of its labels, not against all.
    pods_by_label: HashMap<(&'a str, &'a str), Vec<usize>>,
    externals: &'a Externals,
    problems: Vec<String>,
    by_kind: BTreeMap<&'static str, BTreeSet<String>>,
}

/// Checks `objects`; returns one line per problem (empty when all is well).
pub fn check(objects: &[Object], externals: &Externals) -> Vec<String> {
    let mut by_kind: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for o in objects {
        by_kind
            .entry(o.kind())
            .or_default()
            .insert(o.name().to_string());
    }
    let pod_labels: Vec<&BTreeMap<String, String>> = objects
        .iter()
        .filter_map(|o| o.pod_template()?.metadata.as_ref()?.labels.as_ref())
        .collect();
    let mut pods_by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, labels) in pod_labels.iter().enumerate() {
        for (k, v) in labels.iter() {
            pods_by_label
                .entry((k.as_str(), v.as_str()))
                .or_default()
                .push(i);
        }
    }
    let mut c = Checker {
        objects,
        pod_labels,
        pods_by_label,
        externals,
        problems: Vec::new(),
        by_kind,
    };
    c.run();
    c.problems
}

impl Checker<'_> {
    fn bad(&mut self, o: &Object, msg: impl AsRef<str>) {
        self.problems
            .push(format!("{}/{}: {}", o.kind(), o.name(), msg.as_ref()));
    }

    /// Whether some pod template carries every label of `sel`.
    fn selects_a_pod(&self, sel: &BTreeMap<String, String>) -> bool {
        let matches = |i: &usize| {
            let labels = self.pod_labels[*i];
            sel.iter().all(|(k, v)| labels.get(k) == Some(v))
        };
        if sel.is_empty() {
            return !self.pod_labels.is_empty();
        }
        // The selector's rarest label (every pod shares the project's labels): a pod must
        // carry it, so only those pods are candidates.
        let mut fewest: Option<&Vec<usize>> = None;
        for (k, v) in sel {
            match self.pods_by_label.get(&(k.as_str(), v.as_str())) {
                None => return false,
                Some(c) if fewest.is_none_or(|f| c.len() < f.len()) => fewest = Some(c),
                Some(_) => {}
            }
        }
        fewest.is_some_and(|candidates| candidates.iter().any(matches))
    }

    fn exists(&self, kind: &str, name: &str) -> bool {
        self.by_kind.get(kind).is_some_and(|s| s.contains(name))
            || self
                .externals
                .contains(&(kind.to_string(), name.to_string()))
    }

    fn run(&mut self) {
        let mut seen = BTreeSet::new();
        for o in self.objects {
            if !seen.insert((
                o.kind(),
                o.name().to_string(),
                o.metadata().namespace.clone(),
            )) {
                self.bad(o, "two objects of this kind have this name");
            }
            self.metadata(o);
            match o {
                Object::Service(s) => self.service(o, s),
                Object::Ingress(i) => self.ingress(o, i),
                Object::HorizontalPodAutoscaler(h) => {
                    if let Some(spec) = &h.spec {
                        let r = &spec.scale_target_ref;
                        if !self.exists(&r.kind, &r.name) {
                            self.bad(
                                o,
                                format!("scaleTargetRef {}/{} does not exist", r.kind, r.name),
                            );
                        }
                    }
                }
                Object::RoleBinding(rb) => {
                    if !self.exists(&rb.role_ref.kind, &rb.role_ref.name) {
                        self.bad(o, format!("roleRef {} does not exist", rb.role_ref.name));
                    }
                    for s in rb.subjects.iter().flatten() {
                        if s.kind == "ServiceAccount" && !self.exists("ServiceAccount", &s.name) {
                            self.bad(
                                o,
                                format!("subject ServiceAccount {} does not exist", s.name),
                            );
                        }
                    }
                }
                Object::Role(r) => {
                    // The Jobs a waiting pod may read: the ones the output has (their names
                    // carry a hash of their spec, so a stale name is a real mistake).
                    let jobs = r
                        .rules
                        .iter()
                        .flatten()
                        .filter(|rule| rule.resources.iter().flatten().any(|x| x == "jobs"));
                    for name in jobs.flat_map(|rule| rule.resource_names.iter().flatten()) {
                        if !self.exists("Job", name) {
                            self.bad(o, format!("Job {name} it may read does not exist"));
                        }
                    }
                }
                Object::ConfigMap(cm) => {
                    for k in cm
                        .data
                        .iter()
                        .flat_map(|d| d.keys())
                        .chain(cm.binary_data.iter().flat_map(|d| d.keys()))
                    {
                        if !names::is_config_key(k) {
                            self.bad(o, format!("data key {k:?} is not valid"));
                        }
                    }
                }
                Object::Secret(s) => {
                    for k in s.data.iter().flat_map(|d| d.keys()) {
                        if !names::is_config_key(k) {
                            self.bad(o, format!("data key {k:?} is not valid"));
                        }
                    }
                }
                Object::PersistentVolumeClaim(p) => {
                    if let Some(q) = p
                        .spec
                        .as_ref()
                        .and_then(|s| s.resources.as_ref())
                        .and_then(|r| r.requests.as_ref())
                        .and_then(|r| r.get("storage"))
                    {
                        if !units::is_quantity(&q.0) {
                            self.bad(o, format!("storage {:?} is not a quantity", q.0));
                        }
                    } else {
                        self.bad(o, "no storage request");
                    }
                }
                _ => {}
            }
            self.workload(o);
        }
    }

    fn metadata(&mut self, o: &Object) {
        let name = o.name().to_string();
        let ok = match o {
            Object::Service(_) | Object::Namespace(_) => {
                names::is_dns1035_label(&name)
                    || (matches!(o, Object::Namespace(_)) && names::is_dns1123_label(&name))
            }
            _ => names::is_dns1123_subdomain(&name),
        };
        if !ok {
            self.bad(o, "invalid name");
        }
        if matches!(o, Object::StatefulSet(_) | Object::CronJob(_)) && name.len() > names::BASE_MAX
        {
            self.bad(o, "name too long for the suffixes Kubernetes adds");
        }
        let labels = o.metadata().labels.clone().unwrap_or_default();
        self.labels(o, &labels, "metadata.labels");
        for k in o.metadata().annotations.iter().flat_map(|a| a.keys()) {
            if !names::is_qualified_key(k) {
                self.bad(o, format!("annotation key {k:?} is not valid"));
            }
        }
    }

    fn labels(&mut self, o: &Object, labels: &BTreeMap<String, String>, at: &str) {
        for (k, v) in labels {
            if !names::is_qualified_key(k) {
                self.bad(o, format!("{at}: label key {k:?} is not valid"));
            }
            if !names::is_label_value(v) {
                self.bad(o, format!("{at}: label value {v:?} is not valid"));
            }
        }
    }

    fn service(&mut self, o: &Object, s: &k8s_openapi::api::core::v1::Service) {
        let Some(spec) = &s.spec else {
            self.bad(o, "no spec");
            return;
        };
        let ports = spec.ports.clone().unwrap_or_default();
        let headless = spec.cluster_ip.as_deref() == Some("None");
        if ports.is_empty() && !headless {
            self.bad(o, "a Service without ports must be headless");
        }
        let mut names_ = BTreeSet::new();
        let mut pp = BTreeSet::new();
        for p in &ports {
            if !(1..=65535).contains(&p.port) {
                self.bad(o, format!("port {} out of range", p.port));
            }
            match &p.name {
                Some(n) => {
                    if !names::is_dns1123_label(n) {
                        self.bad(o, format!("port name {n:?} is not a DNS label"));
                    }
                    if !names_.insert(n.clone()) {
                        self.bad(o, format!("port name {n:?} is used twice"));
                    }
                }
                None if ports.len() > 1 => {
                    self.bad(o, "every port needs a name when there are several")
                }
                None => {}
            }
            if !pp.insert((p.port, p.protocol.clone().unwrap_or_else(|| "TCP".into()))) {
                self.bad(o, format!("port {} twice with one protocol", p.port));
            }
            if p.node_port.is_some()
                && !matches!(
                    spec.type_.as_deref(),
                    Some("NodePort") | Some("LoadBalancer")
                )
            {
                self.bad(
                    o,
                    "nodePort on a Service that is not NodePort or LoadBalancer",
                );
            }
            if let Some(IntOrString::Int(t)) = &p.target_port {
                if !(1..=65535).contains(t) {
                    self.bad(o, format!("targetPort {t} out of range"));
                }
            }
        }
        if headless
            && matches!(
                spec.type_.as_deref(),
                Some("NodePort") | Some("LoadBalancer")
            )
        {
            self.bad(o, "a headless Service must be ClusterIP");
        }
        // The selector must match the pods of some workload.
        let Some(sel) = &spec.selector else {
            self.bad(o, "no selector");
            return;
        };
        let matched = self.selects_a_pod(sel);
        if !matched {
            self.bad(o, "its selector matches no pod template");
        }
        self.labels(o, sel, "spec.selector");
    }

    fn ingress(&mut self, o: &Object, i: &k8s_openapi::api::networking::v1::Ingress) {
        for r in i.spec.iter().flat_map(|s| s.rules.iter().flatten()) {
            for p in r.http.iter().flat_map(|h| h.paths.iter()) {
                let Some(b) = &p.backend.service else {
                    continue;
                };
                let svc = self.objects.iter().find_map(|x| match x {
                    Object::Service(s) if s.metadata.name.as_deref() == Some(b.name.as_str()) => {
                        Some(s)
                    }
                    _ => None,
                });
                let Some(svc) = svc else {
                    self.bad(o, format!("backend Service {} does not exist", b.name));
                    continue;
                };
                let port = b.port.as_ref().and_then(|p| p.number);
                let has = svc
                    .spec
                    .iter()
                    .flat_map(|s| s.ports.iter().flatten())
                    .any(|sp| Some(sp.port) == port);
                if !has {
                    self.bad(
                        o,
                        format!("backend port {port:?} is not a port of Service {}", b.name),
                    );
                }
            }
        }
    }

    fn workload(&mut self, o: &Object) {
        let (selector, restart_ok): (Option<BTreeMap<String, String>>, &[&str]) = match o {
            Object::Deployment(d) => (
                d.spec
                    .as_ref()
                    .and_then(|s| s.selector.match_labels.clone()),
                &["Always"],
            ),
            Object::StatefulSet(d) => {
                if let Some(spec) = &d.spec {
                    let governing = self.objects.iter().any(|x| matches!(x, Object::Service(s) if s.metadata.name.as_deref() == Some(spec.service_name.as_str()) && s.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some("None")));
                    if !governing {
                        self.bad(
                            o,
                            format!(
                                "serviceName {} is not a headless Service of the output",
                                spec.service_name
                            ),
                        );
                    }
                }
                (
                    d.spec
                        .as_ref()
                        .and_then(|s| s.selector.match_labels.clone()),
                    &["Always"],
                )
            }
            Object::DaemonSet(d) => (
                d.spec
                    .as_ref()
                    .and_then(|s| s.selector.match_labels.clone()),
                &["Always"],
            ),
            Object::Job(_) | Object::CronJob(_) => (None, &["OnFailure", "Never"]),
            _ => return,
        };
        let Some(t) = o.pod_template() else {
            self.bad(o, "no pod template");
            return;
        };
        let labels = t
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        self.labels(o, &labels, "template.metadata.labels");
        if let Some(sel) = &selector {
            if sel.is_empty() || !sel.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                self.bad(
                    o,
                    "selector.matchLabels is not a subset of the pod template's labels",
                );
            }
        } else if !matches!(o, Object::Job(_) | Object::CronJob(_)) {
            self.bad(o, "no selector");
        }
        self.pod(o, t, restart_ok);
    }

    fn pod(&mut self, o: &Object, t: &PodTemplateSpec, restart_ok: &[&str]) {
        let Some(spec) = &t.spec else {
            self.bad(o, "no pod spec");
            return;
        };
        let rp = spec.restart_policy.as_deref().unwrap_or("Always");
        if !restart_ok.contains(&rp) {
            self.bad(
                o,
                format!("restartPolicy {rp} is not allowed for a {}", o.kind()),
            );
        }
        let mut vol_names = BTreeSet::new();
        for v in spec.volumes.iter().flatten() {
            if !names::is_dns1123_label(&v.name) {
                self.bad(o, format!("volume name {:?} is not a DNS label", v.name));
            }
            if !vol_names.insert(v.name.clone()) {
                self.bad(o, format!("volume {:?} declared twice", v.name));
            }
            self.volume_refs(o, v);
        }
        if let Object::StatefulSet(s) = o {
            for t in s
                .spec
                .iter()
                .flat_map(|sp| sp.volume_claim_templates.iter().flatten())
            {
                let n = t.metadata.name.clone().unwrap_or_default();
                if !vol_names.insert(n.clone()) {
                    self.bad(
                        o,
                        format!("claim template {n:?} has the name of a pod volume"),
                    );
                }
            }
        }
        let mut cnames = BTreeSet::new();
        let all: Vec<&Container> = spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
            .collect();
        for c in &all {
            if !names::is_dns1123_label(&c.name) {
                self.bad(o, format!("container name {:?} is not a DNS label", c.name));
            }
            if !cnames.insert(c.name.clone()) {
                self.bad(o, format!("container name {:?} used twice", c.name));
            }
            self.container(o, c, &vol_names);
        }
        if spec.containers.is_empty() {
            self.bad(o, "no containers");
        }
        if let Some(sa) = &spec.service_account_name {
            if !self.exists("ServiceAccount", sa)
                && !self
                    .externals
                    .contains(&("ServiceAccount".into(), sa.clone()))
            {
                self.bad(o, format!("serviceAccountName {sa} does not exist"));
            }
        }
        self.pod_security(o, spec);
    }

    fn pod_security(&mut self, o: &Object, spec: &PodSpec) {
        for c in spec
            .containers
            .iter()
            .chain(spec.init_containers.iter().flatten())
        {
            if let Some(sc) = &c.security_context {
                if sc.privileged == Some(true) && sc.allow_privilege_escalation == Some(false) {
                    self.bad(
                        o,
                        format!(
                            "container {}: privileged with allowPrivilegeEscalation false",
                            c.name
                        ),
                    );
                }
            }
        }
    }

    fn volume_refs(&mut self, o: &Object, v: &k8s_openapi::api::core::v1::Volume) {
        if let Some(p) = &v.persistent_volume_claim {
            if !self.exists("PersistentVolumeClaim", &p.claim_name) {
                self.bad(o, format!("claim {} does not exist", p.claim_name));
            }
        }
        if let Some(s) = &v.secret {
            let n = s.secret_name.clone().unwrap_or_default();
            if !self.exists("Secret", &n) {
                self.bad(o, format!("Secret {n} does not exist"));
            }
        }
        if let Some(c) = &v.config_map {
            if !self.exists("ConfigMap", &c.name) {
                self.bad(o, format!("ConfigMap {} does not exist", c.name));
            }
        }
        for s in v.projected.iter().flat_map(|p| p.sources.iter().flatten()) {
            if let Some(sec) = &s.secret {
                let n = sec.name.clone();
                if !self.exists("Secret", &n) {
                    self.bad(o, format!("Secret {n} does not exist"));
                }
            }
            if let Some(cm) = &s.config_map {
                let n = cm.name.clone();
                // Every namespace has kube-root-ca.crt.
                if n != "kube-root-ca.crt" && !self.exists("ConfigMap", &n) {
                    self.bad(o, format!("ConfigMap {n} does not exist"));
                }
            }
        }
        if v.empty_dir.is_some() as u8
            + v.persistent_volume_claim.is_some() as u8
            + v.secret.is_some() as u8
            + v.config_map.is_some() as u8
            + v.projected.is_some() as u8
            + v.host_path.is_some() as u8
            != 1
        {
            self.bad(o, format!("volume {} needs exactly one source", v.name));
        }
    }

    fn container(&mut self, o: &Object, c: &Container, vols: &BTreeSet<String>) {
        let mut pnames = BTreeSet::new();
        let mut pp = BTreeSet::new();
        for p in c.ports.iter().flatten() {
            if !(1..=65535).contains(&p.container_port) {
                self.bad(
                    o,
                    format!(
                        "container {}: port {} out of range",
                        c.name, p.container_port
                    ),
                );
            }
            if let Some(n) = &p.name {
                if !names::is_iana_svc_name(n) {
                    self.bad(o, format!("container {}: port name {n:?} is not an IANA service name (at most 15 characters)", c.name));
                }
                if !pnames.insert(n.clone()) {
                    self.bad(
                        o,
                        format!("container {}: port name {n:?} used twice", c.name),
                    );
                }
            }
            if !pp.insert((p.container_port, p.protocol.clone())) {
                self.bad(
                    o,
                    format!("container {}: port {} twice", c.name, p.container_port),
                );
            }
        }
        let mut paths = BTreeSet::new();
        for m in c.volume_mounts.iter().flatten() {
            if !vols.contains(&m.name) {
                self.bad(
                    o,
                    format!("container {}: mount {:?} names no volume", c.name, m.name),
                );
            }
            if !paths.insert(m.mount_path.clone()) {
                self.bad(
                    o,
                    format!("container {}: two mounts at {}", c.name, m.mount_path),
                );
            }
            if !m.mount_path.starts_with('/') {
                self.bad(
                    o,
                    format!(
                        "container {}: mount path {} is not absolute",
                        c.name, m.mount_path
                    ),
                );
            }
        }
        for e in c.env.iter().flatten() {
            if !names::is_env_var_name(&e.name) {
                self.bad(
                    o,
                    format!("container {}: env name {:?} is not valid", c.name, e.name),
                );
            }
        }
        for ef in c.env_from.iter().flatten() {
            let refs = [
                ("ConfigMap", ef.config_map_ref.as_ref().map(|r| &r.name)),
                ("Secret", ef.secret_ref.as_ref().map(|r| &r.name)),
            ];
            for (kind, name) in refs {
                if let Some(name) = name.filter(|n| !self.exists(kind, n)) {
                    self.bad(
                        o,
                        format!("container {}: envFrom {kind} {name} does not exist", c.name),
                    );
                }
            }
        }
        for (what, p) in [
            ("readinessProbe", &c.readiness_probe),
            ("livenessProbe", &c.liveness_probe),
            ("startupProbe", &c.startup_probe),
        ] {
            if let Some(p) = p {
                self.probe(o, c, what, p);
            }
        }
        if let Some(r) = &c.resources {
            for (k, q) in r.limits.iter().flatten().chain(r.requests.iter().flatten()) {
                if !units::is_quantity(&q.0) {
                    self.bad(
                        o,
                        format!("container {}: {k} {:?} is not a quantity", c.name, q.0),
                    );
                }
            }
        }
        if c.image.as_deref().is_none_or(str::is_empty) {
            self.bad(o, format!("container {}: no image", c.name));
        }
    }

    fn probe(&mut self, o: &Object, c: &Container, what: &str, p: &Probe) {
        let handlers = p.exec.is_some() as u8
            + p.http_get.is_some() as u8
            + p.tcp_socket.is_some() as u8
            + p.grpc.is_some() as u8;
        if handlers != 1 {
            self.bad(
                o,
                format!("container {}: {what} needs exactly one handler", c.name),
            );
        }
        if what != "readinessProbe" && p.success_threshold.is_some_and(|n| n != 1) {
            self.bad(
                o,
                format!("container {}: {what} successThreshold must be 1", c.name),
            );
        }
        for n in [p.period_seconds, p.timeout_seconds, p.failure_threshold]
            .into_iter()
            .flatten()
        {
            if n < 1 {
                self.bad(
                    o,
                    format!("container {}: {what} has a value below 1", c.name),
                );
            }
        }
    }
}
