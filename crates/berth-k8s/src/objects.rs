//! The compose → Kubernetes mapping. docs/convert.md is the prose version of this file.
//!
//! One pass over the project decides, for every service, its workload kind, its base name,
//! which named volumes it owns and whether it needs a Service; a second pass builds the typed
//! objects. Every compose key a service uses is either converted, approximated with a warning or
//! refused with an error (see [`HANDLED_SERVICE_KEYS`]); nothing is dropped without a word.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, DeploymentStrategy,
    RollingUpdateDeployment, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapEnvSource, ConfigMapProjection,
    ConfigMapVolumeSource, Container, ContainerPort, DownwardAPIProjection, DownwardAPIVolumeFile,
    EmptyDirVolumeSource, EnvFromSource, ExecAction, HTTPGetAction, HostAlias,
    HostPathVolumeSource, KeyToPath, Lifecycle, LifecycleHandler, LocalObjectReference, Namespace,
    NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
    PodDNSConfig, PodDNSConfigOption, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ProjectedVolumeSource, ResourceRequirements, SeccompProfile, Secret, SecretEnvSource,
    SecretProjection, SecretVolumeSource, SecurityContext, Service, ServiceAccount,
    ServiceAccountTokenProjection, ServicePort, ServiceSpec, Sysctl, TCPSocketAction,
    TopologySpreadConstraint, Volume, VolumeMount, VolumeProjection, VolumeResourceRequirements,
};
use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
    IngressServiceBackend, IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyIngressRule,
    NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use super::names;
use super::report::{Report, Severity};
use super::settings::{
    self, IngressSettings, ProbeLabels, ProjectSettings, ServiceSettings, ServiceType,
    VolumeSettings, WorkloadKind,
};
use super::units;
use super::{Object, DEFAULT_JOB_WAIT_IMAGE, DEFAULT_WAIT_IMAGE};
use berth_compose::image::{self, ImageRef};
use berth_compose::load::LoadedProject;
use berth_compose::model::{
    FileObjectConfig, HealthCheckConfig, Project, Service as ComposeService, ServiceVolumeConfig,
};

/// What the user asked for on the command line.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    pub namespace: Option<String>,
    /// `HOST[:PORT][/PREFIX]` every image is moved to.
    pub registry: Option<String>,
    /// `imagePullPolicy` of every container without its own (`pull_policy`, kompose label).
    pub image_pull_policy: String,
    /// Target Kubernetes version (`1.29` … `1.32`).
    pub kube_version: String,
    /// Restricted Pod Security defaults.
    pub harden: bool,
    /// Emit NetworkPolicies from compose networks.
    pub network_policies: bool,
    /// Allow bind mounts of paths outside the project as hostPath volumes.
    pub host_path: bool,
    /// Image of the init containers that wait for Services (default: x-berth or busybox).
    pub wait_image: Option<String>,
    /// Image of the init containers that wait for Jobs.
    pub job_wait_image: Option<String>,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        ConvertOptions {
            namespace: None,
            registry: None,
            image_pull_policy: "IfNotPresent".into(),
            kube_version: "1.29".into(),
            harden: true,
            network_policies: false,
            host_path: false,
            wait_image: None,
            job_wait_image: None,
        }
    }
}

/// An image split for a chart's values (`registry/repository:tag@digest`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageParts {
    pub registry: String,
    pub repository: String,
    pub tag: String,
    pub digest: String,
}

impl ImageParts {
    /// Splits an image reference (an unparsable one goes whole into `repository`).
    pub fn of(s: &str) -> ImageParts {
        match ImageRef::parse(s) {
            Some(i) => ImageParts {
                registry: i.registry,
                repository: i.repository,
                tag: i.tag.unwrap_or_default(),
                digest: i.digest.unwrap_or_default(),
            },
            None => ImageParts {
                repository: s.to_string(),
                ..Default::default()
            },
        }
    }
}

/// A PVC a chart exposes in values (size, class, access modes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartPvc {
    pub size: String,
    pub storage_class: String,
    pub access_modes: Vec<String>,
}

/// What the chart parameterises for one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartService {
    pub base: String,
    pub kind: WorkloadKind,
    pub image: ImageParts,
    pub replicas: Option<i32>,
    /// The main container's `resources` (JSON), `{}` when none.
    pub resources: serde_json::Value,
    pub env: BTreeMap<String, String>,
    pub secret_env: BTreeMap<String, String>,
    /// The ConfigMap holding `env` (its name, also when there is none yet).
    pub env_configmap: String,
    /// The Secret holding `secret_env`.
    pub env_secret: String,
    /// `imagePullSecrets` of the pods.
    pub image_pull_secrets: Vec<String>,
    /// volumeClaimTemplates by template name.
    pub persistence: BTreeMap<String, ChartPvc>,
    /// The Service whose type is a value, and its type.
    pub service: Option<(String, String)>,
    pub ingress: Option<IngressSettings>,
    /// The Service port the Ingress routes to.
    pub ingress_port: i32,
    /// Ports of the Service, for NOTES.txt.
    pub ports: Vec<i32>,
}

/// Everything the chart generator needs besides the objects.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartModel {
    pub project: String,
    /// Label value of `app.kubernetes.io/instance`.
    pub instance: String,
    pub services: BTreeMap<String, ChartService>,
    /// Standalone PVCs by object name.
    pub volumes: BTreeMap<String, ChartPvc>,
    /// Images of the init containers, as written.
    pub wait_image: String,
    pub job_wait_image: String,
}

/// The result of a conversion.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// Sorted by kind (apply order) then name.
    pub objects: Vec<Object>,
    pub report: Report,
    pub chart: ChartModel,
    /// Objects referred to but expected to exist already (external volumes, secrets, ...).
    pub externals: super::check::Externals,
}

/// Every service key berth knows what to do with. A key outside this list gets a warning, so a
/// compose feature added to the model later is never dropped silently.
pub const HANDLED_SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "dockerfile",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "log_driver",
    "log_opt",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "net",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "uts",
    "volume_driver",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// Sysctls Kubernetes allows without kubelet flags (1.29).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Largest ConfigMap berth writes (the API server's limit is 1 MiB for the whole object).
const CONFIGMAP_MAX: usize = 1000 * 1024;

/// A port of a container and of its Service.
#[derive(Clone, Debug, PartialEq)]
struct PortSpec {
    /// Service port.
    port: i32,
    /// Container port.
    target: i32,
    /// `TCP`, `UDP`, `SCTP`.
    protocol: String,
    /// The name compose gave it, if valid.
    name: Option<String>,
    app_protocol: Option<String>,
}

/// One mount of a service after `volumes_from` is expanded.
#[derive(Clone, Debug)]
struct Mount {
    vol: ServiceVolumeConfig,
    /// Key path of where it was written.
    path: String,
}

/// What a named volume becomes.
#[derive(Clone, Debug, PartialEq)]
enum VolumePlan {
    /// A volumeClaimTemplate of the StatefulSet of this (only) service.
    Template,
    /// A standalone PVC with this name.
    Claim(String),
    /// An existing PVC (external volume) with this name.
    External(String),
    /// emptyDir (kompose.volume.type: emptyDir).
    EmptyDir,
}

/// Names already taken, by kind, so two objects of one kind never share a name.
#[derive(Default)]
struct NameBook {
    taken: BTreeMap<(&'static str, String), String>,
}

impl NameBook {
    /// Claims `want` for `origin` (a compose key); another origin gets a hashed variant.
    fn claim(&mut self, kind: &'static str, want: &str, origin: &str) -> String {
        match self.taken.get(&(kind, want.to_string())) {
            None => {
                self.taken
                    .insert((kind, want.to_string()), origin.to_string());
                want.to_string()
            }
            Some(o) if o == origin => want.to_string(),
            Some(_) => {
                let alt = names::derived(want, &names::short_hash(origin));
                self.taken.insert((kind, alt.clone()), origin.to_string());
                alt
            }
        }
    }
}

/// A pod's volumes, de-duplicated by source.
#[derive(Default)]
struct PodVolumes {
    volumes: Vec<Volume>,
}

impl PodVolumes {
    /// Adds `v` (its name is a wish), returns the name it has in the pod. A volume with the
    /// same source as one already there is shared.
    fn add(&mut self, mut v: Volume) -> String {
        for have in &self.volumes {
            let mut a = have.clone();
            a.name = String::new();
            let mut b = v.clone();
            b.name = String::new();
            if a == b {
                return have.name.clone();
            }
        }
        let base = names::label(&v.name, names::LABEL_MAX);
        let mut name = base.clone();
        let mut n = 2;
        while self.volumes.iter().any(|x| x.name == name) {
            name = names::label(&format!("{base}-{n}"), names::LABEL_MAX);
            n += 1;
        }
        v.name = name.clone();
        self.volumes.push(v);
        name
    }
}

/// A bind-mount ConfigMap: its name, `(key, file name)` items, and whether the source is a file.
type BindMap = (String, Vec<(String, String)>, bool);

struct Ctx<'a> {
    lp: &'a LoadedProject,
    p: &'a Project,
    opts: &'a ConvertOptions,
    report: Report,
    ps: ProjectSettings,
    instance: String,
    /// compose service → base name.
    base: BTreeMap<String, String>,
    settings: BTreeMap<String, ServiceSettings>,
    kinds: BTreeMap<String, WorkloadKind>,
    mounts: BTreeMap<String, Vec<Mount>>,
    volume_plans: BTreeMap<(String, String), VolumePlan>,
    /// Standalone PVCs to create: name → (volume key, settings, shared).
    claims: BTreeMap<String, (String, VolumeSettings, bool)>,
    /// Services that need a k8s Service even without ports (others reach them by name).
    reached: BTreeMap<String, String>,
    /// Ports of each service's k8s Service.
    ports: BTreeMap<String, Vec<PortSpec>>,
    /// Container ports (target, protocol, name).
    container_ports: BTreeMap<String, Vec<PortSpec>>,
    book: NameBook,
    objects: Vec<Object>,
    chart: ChartModel,
    /// Top-level secrets/configs already emitted, by key → object name.
    secret_objects: BTreeMap<String, (String, String)>,
    config_objects: BTreeMap<String, (String, String)>,
    /// Bind-mount ConfigMaps by source path → (name, keys to file names, is file).
    bind_maps: BTreeMap<PathBuf, BindMap>,
    wait_image: String,
    job_wait_image: String,
    externals: super::check::Externals,
}

fn q(s: impl Into<String>) -> Quantity {
    Quantity(s.into())
}

fn meta(name: &str, labels: BTreeMap<String, String>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        labels: (!labels.is_empty()).then_some(labels),
        ..Default::default()
    }
}

/// Escapes `$` for the places the kubelet expands `$(VAR)` (command, args, env values): a `$`
/// before `$` or `(` is doubled, so the text reaches the process unchanged.
pub fn escape_kubelet(s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, c) in b.iter().enumerate() {
        out.push(*c);
        if *c == '$' && matches!(b.get(i + 1), Some('$') | Some('(')) {
            out.push('$');
        }
    }
    out
}

fn svc_path(name: &str, key: &str) -> String {
    format!("services.{name}.{key}")
}

/// Parses `uid[:gid]`; `None` for names.
fn parse_user(u: &str) -> Option<(i64, Option<i64>)> {
    let (a, b) = match u.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (u, None),
    };
    let uid: i64 = a.trim().parse().ok()?;
    let gid = match b {
        Some(g) => Some(g.trim().parse().ok()?),
        None => None,
    };
    Some((uid, gid))
}

/// Converts a loaded project.
pub fn convert(lp: &LoadedProject, opts: &ConvertOptions) -> Conversion {
    let p = &lp.project;
    let mut report = Report::default();
    let ps = settings::project_settings(&p.extensions, &mut report);
    let wait_image = opts
        .wait_image
        .clone()
        .or_else(|| ps.wait_image.clone())
        .unwrap_or_else(|| DEFAULT_WAIT_IMAGE.to_string());
    let job_wait_image = opts
        .job_wait_image
        .clone()
        .or_else(|| ps.job_wait_image.clone())
        .unwrap_or_else(|| DEFAULT_JOB_WAIT_IMAGE.to_string());
    let instance = names::label_value(&lp.name);
    let mut ctx = Ctx {
        lp,
        p,
        opts,
        report,
        ps,
        instance: instance.clone(),
        base: BTreeMap::new(),
        settings: BTreeMap::new(),
        kinds: BTreeMap::new(),
        mounts: BTreeMap::new(),
        volume_plans: BTreeMap::new(),
        claims: BTreeMap::new(),
        reached: BTreeMap::new(),
        ports: BTreeMap::new(),
        container_ports: BTreeMap::new(),
        book: NameBook::default(),
        objects: Vec::new(),
        chart: ChartModel {
            project: lp.name.clone(),
            instance,
            ..Default::default()
        },
        secret_objects: BTreeMap::new(),
        config_objects: BTreeMap::new(),
        bind_maps: BTreeMap::new(),
        wait_image: String::new(),
        job_wait_image: String::new(),
        externals: Default::default(),
    };
    ctx.wait_image = ctx.image_for_init(&wait_image);
    ctx.job_wait_image = ctx.image_for_init(&job_wait_image);
    ctx.chart.wait_image = ctx.wait_image.clone();
    ctx.chart.job_wait_image = ctx.job_wait_image.clone();
    ctx.run();
    let mut objects = std::mem::take(&mut ctx.objects);
    if let Some(ns) = &opts.namespace {
        for o in objects.iter_mut().filter(|o| o.is_namespaced()) {
            o.metadata_mut().namespace = Some(ns.clone());
        }
    }
    super::sort_objects(&mut objects);
    let mut report = ctx.report;
    report.assign_services(p.services.keys());
    Conversion {
        objects,
        report,
        chart: ctx.chart,
        externals: ctx.externals,
    }
}

impl<'a> Ctx<'a> {
    fn image_for_init(&self, s: &str) -> String {
        match (&self.opts.registry, ImageRef::parse(s)) {
            (Some(r), Some(i)) => i.with_registry(r).to_string(),
            _ => s.to_string(),
        }
    }

    fn selector(&self, base: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "app.kubernetes.io/instance".to_string(),
                self.instance.clone(),
            ),
            ("app.kubernetes.io/name".to_string(), base.to_string()),
        ])
    }

    fn project_labels(&self) -> BTreeMap<String, String> {
        BTreeMap::from([(
            "app.kubernetes.io/instance".to_string(),
            self.instance.clone(),
        )])
    }

    fn run(&mut self) {
        let p = self.p;
        self.check_options();
        // Names and settings.
        let mut by_base: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in p.services.keys() {
            by_base
                .entry(names::base(name))
                .or_default()
                .push(name.clone());
        }
        for (b, svcs) in &by_base {
            // A service whose compose name already is the Kubernetes name keeps it.
            let keeper = svcs.iter().find(|s| *s == b).cloned();
            for s in svcs {
                let base = if svcs.len() > 1 && keeper.as_ref() != Some(s) {
                    let alt = names::derived(b, &names::short_hash(s));
                    self.report.warn(
                        &format!("services.{s}"),
                        format!(
                            "services {} all normalise to the Kubernetes name {b:?}; this one is named {alt:?}",
                            svcs.join(", ")
                        ),
                        Some("rename the services so that they differ in more than case, '_' and '.'".into()),
                    );
                    alt
                } else {
                    b.clone()
                };
                if base != *s {
                    self.report.info(
                        &format!("services.{s}"),
                        format!("named {base:?} in Kubernetes (DNS-1035 label)"),
                        None,
                    );
                }
                self.base.insert(s.clone(), base);
            }
        }
        for (name, svc) in &p.services {
            let st = settings::service_settings(name, svc, &mut self.report);
            self.settings.insert(name.clone(), st);
        }
        self.expand_mounts();
        self.decide_kinds();
        self.plan_volumes();
        self.plan_services();
        self.project_objects();
        let names: Vec<String> = p.services.keys().cloned().collect();
        for name in names {
            self.service(&name);
        }
        self.network_policies();
        self.top_level_keys();
    }

    fn check_options(&mut self) {
        if let Some(ns) = &self.opts.namespace {
            if !names::is_dns1123_label(ns) {
                self.report.error(
                    "--namespace",
                    format!("{ns:?} is not a valid namespace name (a DNS-1123 label)"),
                    Some("use lower-case letters, digits and '-'".into()),
                );
            } else {
                let mut labels = self.project_labels();
                if self.opts.harden {
                    labels.insert(
                        "pod-security.kubernetes.io/warn".into(),
                        "restricted".into(),
                    );
                    labels.insert(
                        "pod-security.kubernetes.io/audit".into(),
                        "restricted".into(),
                    );
                }
                self.objects.push(Object::Namespace(Namespace {
                    metadata: meta(ns, labels),
                    ..Default::default()
                }));
            }
        }
        if let Some(r) = &self.opts.registry {
            if let Err(e) = image::check_registry(r) {
                self.report.error("--registry", e, None);
            }
        }
        if !matches!(
            self.opts.image_pull_policy.as_str(),
            "Always" | "IfNotPresent" | "Never"
        ) {
            self.report.error(
                "--image-pull-policy",
                format!("unknown pull policy {:?}", self.opts.image_pull_policy),
                Some("use Always, IfNotPresent or Never".into()),
            );
        }
    }

    // -----------------------------------------------------------------------------------------
    // Planning
    // -----------------------------------------------------------------------------------------

    /// Mounts of each service with `volumes_from` expanded.
    fn expand_mounts(&mut self) {
        let p = self.p;
        for (name, svc) in &p.services {
            let mut out: Vec<Mount> = svc
                .volumes
                .iter()
                .enumerate()
                .map(|(i, v)| Mount {
                    vol: v.clone(),
                    path: svc_path(name, &format!("volumes[{i}]")),
                })
                .collect();
            for (i, vf) in svc.volumes_from.iter().enumerate() {
                let path = svc_path(name, &format!("volumes_from[{i}]"));
                let spec = vf.strip_prefix("service:").unwrap_or(vf);
                if spec.starts_with("container:") {
                    self.report.error(
                        &path,
                        format!("volumes_from {vf:?} names a container outside the project"),
                        Some("mount the volumes explicitly".into()),
                    );
                    continue;
                }
                let (src, ro) = match spec.rsplit_once(':') {
                    Some((s, "ro")) => (s, true),
                    Some((s, "rw")) => (s, false),
                    _ => (spec, false),
                };
                let Some(other) = p.services.get(src) else {
                    self.report.error(
                        &path,
                        format!("volumes_from names service {src:?}, which is not enabled"),
                        None,
                    );
                    continue;
                };
                self.report.warn(
                    &path,
                    format!("volumes_from {src}: its volumes are mounted here too; named volumes become shared PersistentVolumeClaims"),
                    None,
                );
                for (j, v) in other.volumes.iter().enumerate() {
                    let mut v = v.clone();
                    v.read_only |= ro;
                    out.push(Mount {
                        vol: v,
                        path: svc_path(src, &format!("volumes[{j}]")),
                    });
                }
            }
            self.mounts.insert(name.clone(), out);
        }
    }

    fn decide_kinds(&mut self) {
        let p = self.p;
        // Services others wait on to complete.
        let mut completed: BTreeMap<String, String> = BTreeMap::new();
        for (name, svc) in &p.services {
            for (dep, d) in &svc.depends_on {
                if d.condition.as_deref() == Some("service_completed_successfully") {
                    completed
                        .entry(dep.clone())
                        .or_insert_with(|| svc_path(name, &format!("depends_on.{dep}")));
                }
            }
        }
        for (name, svc) in &p.services {
            let st = &self.settings[name];
            let mode = svc.deploy.as_ref().and_then(|d| d.mode.clone());
            let kind = if let Some((k, _)) = &st.kind {
                *k
            } else if st.schedule.is_some() {
                WorkloadKind::CronJob
            } else if matches!(mode.as_deref(), Some("global")) {
                WorkloadKind::DaemonSet
            } else if matches!(mode.as_deref(), Some("replicated-job") | Some("global-job"))
                || completed.contains_key(name)
            {
                WorkloadKind::Job
            } else if self.has_own_volume(name) {
                WorkloadKind::StatefulSet
            } else {
                WorkloadKind::Deployment
            };
            if kind == WorkloadKind::CronJob && st.schedule.is_none() {
                self.report.error(
                    &svc_path(name, "x-berth.kind"),
                    "a cronjob needs a schedule",
                    Some("add x-berth.schedule (or the kompose.cronjob.schedule label)".into()),
                );
            }
            if let Some(src) = completed.get(name) {
                if !kind.is_batch() {
                    self.report.error(
                        src,
                        format!(
                            "waits for {name} to complete, but {name} is a {} (it never completes)",
                            kind.as_str()
                        ),
                        Some(format!("remove the x-berth.kind / kompose.controller.type of {name}, or wait with service_started")),
                    );
                }
            }
            if matches!(mode.as_deref(), Some("global-job")) {
                self.report.warn(
                    &svc_path(name, "deploy.mode"),
                    "global-job: one Job (not one per node)",
                    None,
                );
            }
            self.kinds.insert(name.clone(), kind);
        }
    }

    /// Named, non-external volumes that this service alone mounts.
    fn own_volumes(&self, name: &str) -> Vec<String> {
        let mut out = Vec::new();
        for m in &self.mounts[name] {
            if m.vol.kind != "volume" {
                continue;
            }
            let Some(src) = &m.vol.source else { continue };
            let external = self.p.volumes.get(src).is_some_and(|v| v.external);
            if external || self.volume_users(src).len() > 1 {
                continue;
            }
            if !out.contains(src) {
                out.push(src.clone());
            }
        }
        out
    }

    fn has_own_volume(&self, name: &str) -> bool {
        self.settings[name].volume_type.as_deref() != Some("emptyDir")
            && !self.own_volumes(name).is_empty()
    }

    fn volume_users(&self, vol: &str) -> BTreeSet<String> {
        let mut users = BTreeSet::new();
        for (svc, ms) in &self.mounts {
            if ms
                .iter()
                .any(|m| m.vol.kind == "volume" && m.vol.source.as_deref() == Some(vol))
            {
                users.insert(svc.clone());
            }
        }
        users
    }

    fn volume_settings(&mut self, vol: &str) -> VolumeSettings {
        match self.p.volumes.get(vol) {
            Some(cfg) => settings::volume_settings(vol, cfg, &mut self.report),
            None => VolumeSettings::default(),
        }
    }

    fn plan_volumes(&mut self) {
        let p = self.p;
        let mut warned_external = BTreeSet::new();
        for name in p.services.keys() {
            let kind = self.kinds[name];
            let own = self.own_volumes(name);
            let empty_dir = self.settings[name].volume_type.as_deref() == Some("emptyDir");
            let mounts = self.mounts[name].clone();
            for m in &mounts {
                if m.vol.kind != "volume" {
                    continue;
                }
                let Some(src) = m.vol.source.clone() else {
                    continue;
                };
                let key = (name.clone(), src.clone());
                if self.volume_plans.contains_key(&key) {
                    continue;
                }
                let cfg = p.volumes.get(&src);
                let plan = if empty_dir {
                    VolumePlan::EmptyDir
                } else if let Some(c) = cfg.filter(|c| c.external) {
                    let claim = c.name.clone().unwrap_or_else(|| src.clone());
                    let claim = if names::is_dns1123_subdomain(&claim) {
                        claim
                    } else {
                        names::label(&claim, names::LABEL_MAX)
                    };
                    if warned_external.insert(src.clone()) {
                        self.report.warn(
                            &format!("volumes.{src}.external"),
                            format!("external volume: the PersistentVolumeClaim {claim:?} must exist in the namespace"),
                            None,
                        );
                    }
                    self.externals
                        .insert(("PersistentVolumeClaim".into(), claim.clone()));
                    VolumePlan::External(claim)
                } else if kind == WorkloadKind::StatefulSet && own.contains(&src) {
                    VolumePlan::Template
                } else {
                    let users = self.volume_users(&src);
                    let shared = users.len() > 1;
                    let want = names::label(&src, names::LABEL_MAX);
                    let claim = self.book.claim("PersistentVolumeClaim", &want, &src);
                    if !self.claims.contains_key(&claim) {
                        let vs = self.volume_settings(&src);
                        self.claims.insert(claim.clone(), (src.clone(), vs, shared));
                    }
                    VolumePlan::Claim(claim)
                };
                self.volume_plans.insert(key, plan);
            }
        }
    }

    /// Ports of every service, and which services others reach by name.
    fn plan_services(&mut self) {
        let p = self.p;
        for (name, svc) in &p.services {
            let (svc_ports, ctr_ports) = self.ports_of(name, svc);
            self.ports.insert(name.clone(), svc_ports);
            self.container_ports.insert(name.clone(), ctr_ports);
        }
        for (name, svc) in &p.services {
            for (dep, d) in &svc.depends_on {
                // A Job waited for to complete is watched through the API, not reached.
                let completes = d.condition.as_deref() == Some("service_completed_successfully")
                    && self.kinds.get(dep).is_some_and(|k| k.is_batch());
                if completes {
                    continue;
                }
                self.reached
                    .entry(dep.clone())
                    .or_insert_with(|| svc_path(name, &format!("depends_on.{dep}")));
            }
            for (i, l) in svc.links.iter().enumerate() {
                let target = l.split(':').next().unwrap_or(l).to_string();
                self.reached
                    .entry(target)
                    .or_insert_with(|| svc_path(name, &format!("links[{i}]")));
            }
        }
    }

    fn ports_of(&mut self, name: &str, svc: &ComposeService) -> (Vec<PortSpec>, Vec<PortSpec>) {
        let mut svc_ports: Vec<PortSpec> = Vec::new();
        let mut ctr_ports: Vec<PortSpec> = Vec::new();
        let mut host_ips: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        let push = |list: &mut Vec<PortSpec>, p: PortSpec| {
            if !list
                .iter()
                .any(|x| x.port == p.port && x.protocol == p.protocol)
            {
                list.push(p);
            }
        };
        for (i, pc) in svc.ports.iter().enumerate() {
            let path = svc_path(name, &format!("ports[{i}]"));
            let target = match i32::try_from(pc.target) {
                Ok(t) if (1..=65535).contains(&t) => t,
                _ => {
                    self.report.error(
                        &path,
                        format!("container port {} is out of range", pc.target),
                        None,
                    );
                    continue;
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
                        .error(&path, format!("unknown protocol {other:?}"), None);
                    continue;
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
            if let Some(h) = pc
                .host_ip
                .as_deref()
                .filter(|h| !h.is_empty() && *h != "0.0.0.0" && *h != "::")
            {
                host_ips.entry(h.to_string()).or_default().push(target);
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
            let app_protocol = pc.app_protocol.clone().filter(|a| !a.is_empty());
            let ctr = PortSpec {
                port: target,
                target,
                protocol: protocol.clone(),
                name: name_ok.clone(),
                app_protocol: app_protocol.clone(),
            };
            push(&mut ctr_ports, ctr.clone());
            match pc.published.as_deref().filter(|s| !s.is_empty()) {
                None => push(&mut svc_ports, ctr),
                Some(pubs) => match pubs.parse::<i32>() {
                    Ok(pp) if (1..=65535).contains(&pp) => {
                        push(
                            &mut svc_ports,
                            PortSpec {
                                port: pp,
                                name: name_ok.clone(),
                                ..ctr.clone()
                            },
                        );
                        if pp != target {
                            // Compose services reach each other on the container port; keep
                            // that address working too.
                            push(&mut svc_ports, PortSpec { name: None, ..ctr });
                        }
                    }
                    _ => {
                        self.report.warn(
                            &format!("{path}.published"),
                            format!("published range {pubs}: the Service port is the container port {target}"),
                            None,
                        );
                        push(&mut svc_ports, ctr);
                    }
                },
            }
        }
        for (ip, ports) in host_ips {
            let list: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
            self.report.warn(
                &svc_path(name, "ports"),
                format!("host_ip {ip} (ports {}): a Service cannot bind to a node address; it listens on its cluster IP", list.join(", ")),
                None,
            );
        }
        for (i, e) in svc.expose.iter().enumerate() {
            let path = svc_path(name, &format!("expose[{i}]"));
            let (range, proto) = match e.split_once('/') {
                Some((r, p)) => (r, p.to_ascii_uppercase()),
                None => (e.as_str(), "TCP".to_string()),
            };
            if !matches!(proto.as_str(), "TCP" | "UDP" | "SCTP") {
                self.report
                    .error(&path, format!("unknown protocol in {e:?}"), None);
                continue;
            }
            let (lo, hi) = match range.split_once('-') {
                Some((a, b)) => (a.parse::<i32>(), b.parse::<i32>()),
                None => (range.parse::<i32>(), range.parse::<i32>()),
            };
            let (Ok(lo), Ok(hi)) = (lo, hi) else {
                self.report
                    .error(&path, format!("{e:?} is not a port or port range"), None);
                continue;
            };
            if !(1..=65535).contains(&lo) || !(lo..=65535).contains(&hi) {
                self.report
                    .error(&path, format!("{e:?} is out of range"), None);
                continue;
            }
            if hi - lo >= 100 {
                self.report.error(
                    &path,
                    format!(
                        "{e:?} is {} ports; berth lists ports one by one and stops at 100",
                        hi - lo + 1
                    ),
                    Some("expose the ports the service really uses".into()),
                );
                continue;
            }
            for port in lo..=hi {
                let ps = PortSpec {
                    port,
                    target: port,
                    protocol: proto.clone(),
                    name: None,
                    app_protocol: None,
                };
                push(&mut ctr_ports, ps.clone());
                push(&mut svc_ports, ps);
            }
        }
        // Names: unique, valid, at most 15 characters.
        let name_ports = |list: &mut Vec<PortSpec>, by_port: bool| {
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
        };
        name_ports(&mut svc_ports, true);
        name_ports(&mut ctr_ports, false);
        (svc_ports, ctr_ports)
    }

    // -----------------------------------------------------------------------------------------
    // Project-level objects: Secrets, ConfigMaps from configs, shared PVCs
    // -----------------------------------------------------------------------------------------

    fn read_source(&mut self, what: &str, key: &str, cfg: &FileObjectConfig) -> Option<Vec<u8>> {
        let path = format!("{what}.{key}");
        if let Some(f) = cfg.file.as_deref().filter(|f| !f.is_empty()) {
            match std::fs::read(f) {
                Ok(b) => return Some(b),
                Err(e) => {
                    let shown = self.show_path(Path::new(f));
                    self.report.error(
                        &format!("{path}.file"),
                        format!("cannot read {shown}: {e}"),
                        None,
                    );
                    return None;
                }
            }
        }
        if let Some(var) = cfg.environment.as_deref().filter(|f| !f.is_empty()) {
            match self.lp.environment.get(var) {
                Some(v) => return Some(v.as_bytes().to_vec()),
                None => {
                    self.report.error(
                        &format!("{path}.environment"),
                        format!("variable {var} is not set in the environment berth converts with"),
                        Some(format!("set {var} (or put it in .env) before converting")),
                    );
                    return None;
                }
            }
        }
        if let Some(c) = &cfg.content {
            return Some(c.as_bytes().to_vec());
        }
        self.report.error(
            &path,
            format!("{what} {key} has no file, environment or content"),
            None,
        );
        None
    }

    /// A path for messages: relative to the project directory when inside it.
    fn show_path(&self, p: &Path) -> String {
        match p.strip_prefix(&self.lp.working_dir) {
            Ok(rel) => format!("./{}", rel.display()),
            Err(_) => p.display().to_string(),
        }
    }

    fn project_objects(&mut self) {
        let p = self.p;
        // Secrets and configs that some service uses.
        let mut used_secrets = BTreeSet::new();
        let mut used_configs = BTreeSet::new();
        for svc in p.services.values() {
            for s in &svc.secrets {
                if let Some(src) = &s.source {
                    used_secrets.insert(src.clone());
                }
            }
            for c in &svc.configs {
                if let Some(src) = &c.source {
                    used_configs.insert(src.clone());
                }
            }
        }
        for key in &used_secrets {
            let Some(cfg) = p.secrets.get(key) else {
                continue;
            };
            let data_key = names::config_key(key);
            if cfg.external {
                let name = cfg.name.clone().unwrap_or_else(|| key.clone());
                let name = if names::is_dns1123_subdomain(&name) {
                    name
                } else {
                    names::label(&name, names::LABEL_MAX)
                };
                self.report.warn(
                    &format!("secrets.{key}.external"),
                    format!("external secret: the Secret {name:?} with key {data_key:?} must exist in the namespace"),
                    Some(format!("kubectl create secret generic {name} --from-file={data_key}=<file>")),
                );
                self.externals.insert(("Secret".into(), name.clone()));
                self.secret_objects.insert(key.clone(), (name, data_key));
                continue;
            }
            self.warn_file_object_keys("secrets", key, cfg);
            let Some(bytes) = self.read_source("secrets", key, cfg) else {
                continue;
            };
            let name = self.book.claim(
                "Secret",
                &names::label(key, names::LABEL_MAX),
                &format!("secrets.{key}"),
            );
            self.report.info(
                &format!("secrets.{key}"),
                format!("Secret {name:?}: its value is written into the output; keep the output out of version control, or declare the secret external"),
                None,
            );
            self.objects.push(Object::Secret(Secret {
                metadata: meta(&name, self.project_labels()),
                type_: Some("Opaque".into()),
                data: Some(BTreeMap::from([(data_key.clone(), ByteString(bytes))])),
                ..Default::default()
            }));
            self.secret_objects.insert(key.clone(), (name, data_key));
        }
        for key in &used_configs {
            let Some(cfg) = p.configs.get(key) else {
                continue;
            };
            let data_key = names::config_key(key);
            if cfg.external {
                let name = cfg.name.clone().unwrap_or_else(|| key.clone());
                let name = names::label(&name, names::LABEL_MAX);
                self.report.warn(
                    &format!("configs.{key}.external"),
                    format!("external config: the ConfigMap {name:?} with key {data_key:?} must exist in the namespace"),
                    None,
                );
                self.externals.insert(("ConfigMap".into(), name.clone()));
                self.config_objects.insert(key.clone(), (name, data_key));
                continue;
            }
            self.warn_file_object_keys("configs", key, cfg);
            let Some(bytes) = self.read_source("configs", key, cfg) else {
                continue;
            };
            if bytes.len() > CONFIGMAP_MAX {
                self.report.error(
                    &format!("configs.{key}"),
                    format!(
                        "{} bytes is more than a ConfigMap holds (1 MiB)",
                        bytes.len()
                    ),
                    Some("bake large files into the image".into()),
                );
                continue;
            }
            let name = self.book.claim(
                "ConfigMap",
                &names::label(key, names::LABEL_MAX),
                &format!("configs.{key}"),
            );
            let mut cm = ConfigMap {
                metadata: meta(&name, self.project_labels()),
                ..Default::default()
            };
            match String::from_utf8(bytes) {
                Ok(s) => cm.data = Some(BTreeMap::from([(data_key.clone(), s)])),
                Err(e) => {
                    cm.binary_data = Some(BTreeMap::from([(
                        data_key.clone(),
                        ByteString(e.into_bytes()),
                    )]))
                }
            }
            self.objects.push(Object::ConfigMap(cm));
            self.config_objects.insert(key.clone(), (name, data_key));
        }
        // Standalone PVCs.
        let claims = self.claims.clone();
        for (claim, (vol, vs, shared)) in claims {
            let (spec, chart) = self.pvc_spec(&vol, &vs, shared, None);
            self.chart.volumes.insert(claim.clone(), chart);
            self.objects
                .push(Object::PersistentVolumeClaim(PersistentVolumeClaim {
                    metadata: meta(&claim, self.project_labels()),
                    spec: Some(spec),
                    ..Default::default()
                }));
        }
    }

    fn warn_file_object_keys(&mut self, what: &str, key: &str, cfg: &FileObjectConfig) {
        if cfg.driver.as_deref().is_some_and(|d| !d.is_empty()) {
            self.report.warn(
                &format!("{what}.{key}.driver"),
                "secret/config drivers do not exist in Kubernetes: ignored",
                None,
            );
        }
        if cfg
            .template_driver
            .as_deref()
            .is_some_and(|d| !d.is_empty())
        {
            self.report.warn(
                &format!("{what}.{key}.template_driver"),
                "template drivers do not exist in Kubernetes: the content is used as is",
                None,
            );
        }
        if !cfg.labels.is_empty() {
            self.report.info(
                &format!("{what}.{key}.labels"),
                "labels of secrets and configs are not copied",
                None,
            );
        }
    }

    /// The spec of a PVC for named volume `vol`, and its chart values.
    fn pvc_spec(
        &mut self,
        vol: &str,
        vs: &VolumeSettings,
        shared: bool,
        service: Option<&str>,
    ) -> (PersistentVolumeClaimSpec, ChartPvc) {
        let st = service
            .map(|s| self.settings[s].clone())
            .unwrap_or_default();
        let size = vs
            .size
            .clone()
            .or(st.volume_size.clone())
            .or(self.ps.volume_size.clone())
            .unwrap_or_else(|| "1Gi".into());
        let class = vs
            .storage_class
            .clone()
            .or(st.storage_class.clone())
            .or(self.ps.storage_class.clone());
        let modes = if !vs.access_modes.is_empty() {
            vs.access_modes.clone()
        } else if shared {
            self.report.warn(
                &format!("volumes.{vol}"),
                "shared by several services: the claim asks for ReadWriteMany, which needs a storage class that supports it (NFS, CephFS, ...)",
                Some("set x-berth.access_modes and x-berth.storage_class on the volume, or keep one service per volume".into()),
            );
            vec!["ReadWriteMany".to_string()]
        } else {
            vec!["ReadWriteOnce".to_string()]
        };
        if let Some(cfg) = self.p.volumes.get(vol) {
            if cfg
                .driver
                .as_deref()
                .is_some_and(|d| !d.is_empty() && d != "local")
            {
                self.report.warn(
                    &format!("volumes.{vol}.driver"),
                    "volume drivers do not exist in Kubernetes: the claim uses the storage class instead",
                    Some("set x-berth.storage_class on the volume".into()),
                );
            }
            if !cfg.driver_opts.is_empty() {
                self.report.warn(
                    &format!("volumes.{vol}.driver_opts"),
                    "driver options are ignored (Kubernetes storage is configured by the storage class)",
                    None,
                );
            }
        }
        let spec = PersistentVolumeClaimSpec {
            access_modes: Some(modes.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some(BTreeMap::from([("storage".to_string(), q(size.clone()))])),
                ..Default::default()
            }),
            storage_class_name: class.clone(),
            ..Default::default()
        };
        (
            spec,
            ChartPvc {
                size,
                storage_class: class.unwrap_or_default(),
                access_modes: modes,
            },
        )
    }

    // -----------------------------------------------------------------------------------------
    // One service
    // -----------------------------------------------------------------------------------------

    fn service(&mut self, name: &str) {
        let p = self.p;
        let svc = &p.services[name];
        let base = self.base[name].clone();
        let kind = self.kinds[name];
        let st = self.settings[name].clone();
        let sel = self.selector(&base);

        self.unhandled_keys(name, svc);
        self.simple_warnings(name, svc, &st);

        // The main container.
        let mut pod_volumes = PodVolumes::default();
        let mut container = Container {
            name: names::label(&base, names::LABEL_MAX),
            ..Default::default()
        };
        let image = self.image(name, svc);
        container.image = Some(image.clone());
        container.image_pull_policy = Some(self.pull_policy(name, svc, &st));
        self.command(name, svc, &mut container);
        let (env, secret_env) = self.environment(name, svc);
        let env_name = base.clone();
        let env_name = format!("{env_name}-env");
        let env_name = names::label(&env_name, names::LABEL_MAX);
        let mut env_from = Vec::new();
        let cm_name = self
            .book
            .claim("ConfigMap", &env_name, &svc_path(name, "environment"));
        let s_name = self
            .book
            .claim("Secret", &env_name, &svc_path(name, "environment"));
        if !env.is_empty() {
            let cm_name = cm_name.clone();
            self.objects.push(Object::ConfigMap(ConfigMap {
                metadata: meta(&cm_name, sel.clone()),
                data: Some(env.clone()),
                ..Default::default()
            }));
            env_from.push(EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: cm_name,
                    optional: None,
                }),
                ..Default::default()
            });
        }
        if !secret_env.is_empty() {
            let s_name = s_name.clone();
            self.objects.push(Object::Secret(Secret {
                metadata: meta(&s_name, sel.clone()),
                type_: Some("Opaque".into()),
                data: Some(
                    secret_env
                        .iter()
                        .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
                        .collect(),
                ),
                ..Default::default()
            }));
            env_from.push(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: s_name,
                    optional: None,
                }),
                ..Default::default()
            });
        }
        if !env_from.is_empty() {
            container.env_from = Some(env_from);
        }
        let ctr_ports = self.container_ports[name].clone();
        if !ctr_ports.is_empty() {
            container.ports = Some(
                ctr_ports
                    .iter()
                    .map(|p| ContainerPort {
                        container_port: p.target,
                        name: p.name.clone(),
                        protocol: Some(p.protocol.clone()),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
        self.probes(name, svc, &st, &mut container);
        container.resources = self.resources(name, svc);
        let (ctr_sc, pod_sc) = self.security(name, svc, &st);
        container.security_context = ctr_sc;
        let mut claim_templates = Vec::new();
        let mounts = self.volumes(name, svc, kind, &mut pod_volumes, &mut claim_templates);
        self.secret_mounts(name, svc, &mut pod_volumes, &mut container);
        let mut all_mounts = mounts;
        all_mounts.extend(container.volume_mounts.take().unwrap_or_default());
        if !all_mounts.is_empty() {
            container.volume_mounts = Some(all_mounts);
        }
        if let Some(w) = svc.working_dir.as_deref().filter(|w| !w.is_empty()) {
            container.working_dir = Some(w.to_string());
        }
        if svc.stdin_open {
            container.stdin = Some(true);
        }
        if svc.tty {
            container.tty = Some(true);
        }
        container.lifecycle = self.lifecycle(name, svc);

        // Init containers.
        let mut init = Vec::new();
        let mut waits_for_jobs = Vec::new();
        self.waits(name, svc, &mut init, &mut waits_for_jobs, &mut pod_volumes);
        if let Some(ic) = &st.init_container {
            let img = self.image_for_init(&ic.image);
            init.push(Container {
                name: names::label(&ic.name, names::LABEL_MAX),
                image: Some(img),
                image_pull_policy: Some(self.opts.image_pull_policy.clone()),
                command: (!ic.command.is_empty())
                    .then(|| ic.command.iter().map(|c| escape_kubelet(c)).collect()),
                security_context: self.init_security(),
                ..Default::default()
            });
        }

        // The pod.
        let mut pod = PodSpec {
            containers: vec![container.clone()],
            enable_service_links: Some(false),
            ..Default::default()
        };
        if !init.is_empty() {
            pod.init_containers = Some(init);
        }
        pod.security_context = pod_sc;
        if self.opts.harden {
            pod.automount_service_account_token = Some(false);
        }
        let mut sa = st.service_account.clone();
        if let Some(s) = &sa {
            self.externals.insert(("ServiceAccount".into(), s.clone()));
        }
        if !waits_for_jobs.is_empty() {
            let sa_name = sa.clone().unwrap_or_else(|| names::derived(&base, "wait"));
            self.job_rbac(
                name,
                &base,
                &sa_name,
                &waits_for_jobs,
                st.service_account.is_none(),
            );
            sa = Some(sa_name);
        }
        pod.service_account_name = sa;
        let mut pull_secrets = st.image_pull_secrets.clone();
        for s in &self.ps.image_pull_secrets {
            if !pull_secrets.contains(s) {
                pull_secrets.push(s.clone());
            }
        }
        if !pull_secrets.is_empty() {
            pod.image_pull_secrets = Some(
                pull_secrets
                    .iter()
                    .map(|s| LocalObjectReference { name: s.clone() })
                    .collect(),
            );
        }
        self.pod_extras(name, svc, &mut pod);
        pod.restart_policy = Some(self.restart_policy(name, svc, kind));
        if !pod_volumes.volumes.is_empty() {
            pod.volumes = Some(pod_volumes.volumes);
        }
        let mut pod_labels = sel.clone();
        if self.opts.network_policies {
            for net in self.networks_of(svc) {
                pod_labels.insert(network_label(&net), "true".into());
            }
        }
        let annotations = self.annotations(name, svc, &st);
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..Default::default()
            }),
            spec: Some(pod),
        };

        // Service(s).
        let (service_name, primary_type) = self.k8s_services(name, svc, &base, &st, kind);

        // The workload.
        let replicas = self.replicas(name, svc, kind);
        let workload_meta = {
            let mut m = meta(&base, sel.clone());
            let wa = self.workload_annotations(name, svc);
            if !wa.is_empty() {
                m.annotations = Some(wa);
            }
            m
        };
        let selector = LabelSelector {
            match_labels: Some(sel.clone()),
            ..Default::default()
        };
        let has_rwo_claim = pod_has_rwo_claim(&template, &self.objects);
        match kind {
            WorkloadKind::Deployment => {
                let strategy = self.strategy(name, svc, has_rwo_claim, replicas);
                self.objects.push(Object::Deployment(Deployment {
                    metadata: workload_meta,
                    spec: Some(DeploymentSpec {
                        replicas: Some(replicas),
                        selector,
                        strategy,
                        template,
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
            WorkloadKind::StatefulSet => {
                if replicas > 1 && !claim_templates.is_empty() {
                    self.report.warn(
                        &svc_path(name, "deploy.replicas"),
                        format!("{replicas} replicas of a StatefulSet get one volume each (compose shares one volume between replicas)"),
                        None,
                    );
                }
                let governing = self.governing_service(name, &base, &sel);
                self.objects.push(Object::StatefulSet(StatefulSet {
                    metadata: workload_meta,
                    spec: Some(StatefulSetSpec {
                        replicas: Some(replicas),
                        selector,
                        service_name: governing,
                        template,
                        volume_claim_templates: (!claim_templates.is_empty())
                            .then_some(claim_templates),
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
            WorkloadKind::DaemonSet => {
                if svc.deploy.as_ref().and_then(|d| d.replicas).is_some() || svc.scale.is_some() {
                    self.report.warn(
                        &svc_path(name, "deploy.replicas"),
                        "a DaemonSet runs one pod per node: replicas is ignored",
                        None,
                    );
                }
                self.objects.push(Object::DaemonSet(DaemonSet {
                    metadata: workload_meta,
                    spec: Some(DaemonSetSpec {
                        selector,
                        template,
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
            WorkloadKind::Job => {
                let spec = self.job_spec(name, svc, &st, template, replicas);
                self.objects.push(Object::Job(Job {
                    metadata: workload_meta,
                    spec: Some(spec),
                    ..Default::default()
                }));
            }
            WorkloadKind::CronJob => {
                let spec = self.job_spec(name, svc, &st, template, replicas);
                self.objects.push(Object::CronJob(CronJob {
                    metadata: workload_meta,
                    spec: Some(CronJobSpec {
                        schedule: st.schedule.clone().unwrap_or_default(),
                        concurrency_policy: st.concurrency_policy.clone(),
                        job_template: JobTemplateSpec {
                            metadata: Some(ObjectMeta {
                                labels: Some(sel.clone()),
                                ..Default::default()
                            }),
                            spec: Some(spec),
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
        }

        // Ingress, HPA.
        let ingress_port = self.ingress(name, &base, &st, service_name.as_deref());
        self.hpa(name, &base, &st, kind);

        // Chart values.
        let (env_c, senv_c) = (env, secret_env);
        let persistence = self.chart_templates(name);
        self.chart.services.insert(
            name.to_string(),
            ChartService {
                base: base.clone(),
                kind,
                image: ImageParts::of(&image),
                replicas: matches!(kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
                    .then_some(replicas),
                resources: container
                    .resources
                    .as_ref()
                    .map(|r| super::sort_keys(serde_json::to_value(r).unwrap_or_default()))
                    .unwrap_or_else(|| serde_json::json!({})),
                env: env_c,
                secret_env: senv_c,
                env_configmap: cm_name,
                env_secret: s_name,
                image_pull_secrets: pull_secrets,
                persistence,
                service: service_name
                    .clone()
                    .zip(primary_type.map(|t| t.to_string())),
                ingress: st.ingress.clone().filter(|_| ingress_port.is_some()),
                ingress_port: ingress_port.unwrap_or(0),
                ports: self.ports[name].iter().map(|p| p.port).collect(),
            },
        );
    }

    /// The PVCs of a StatefulSet's claim templates, for the chart.
    fn chart_templates(&self, name: &str) -> BTreeMap<String, ChartPvc> {
        let mut out = BTreeMap::new();
        let base = &self.base[name];
        for o in &self.objects {
            if let Object::StatefulSet(s) = o {
                if s.metadata.name.as_deref() != Some(base) {
                    continue;
                }
                for t in s
                    .spec
                    .as_ref()
                    .and_then(|sp| sp.volume_claim_templates.as_ref())
                    .into_iter()
                    .flatten()
                {
                    let spec = t.spec.clone().unwrap_or_default();
                    out.insert(
                        t.metadata.name.clone().unwrap_or_default(),
                        ChartPvc {
                            size: spec
                                .resources
                                .and_then(|r| r.requests)
                                .and_then(|r| r.get("storage").map(|q| q.0.clone()))
                                .unwrap_or_default(),
                            storage_class: spec.storage_class_name.unwrap_or_default(),
                            access_modes: spec.access_modes.unwrap_or_default(),
                        },
                    );
                }
            }
        }
        out
    }

    fn unhandled_keys(&mut self, name: &str, svc: &ComposeService) {
        let Ok(serde_json::Value::Object(m)) = serde_json::to_value(svc) else {
            return;
        };
        for (k, v) in m {
            if v.is_null() || k.starts_with("x-") {
                continue;
            }
            if !HANDLED_SERVICE_KEYS.contains(&k.as_str()) {
                self.report.warn(
                    &svc_path(name, &k),
                    format!("berth does not convert {k:?} to Kubernetes: ignored"),
                    None,
                );
            }
        }
        for k in svc.extensions.keys() {
            if k != "x-berth" {
                self.report
                    .info(&svc_path(name, k), "extension key: not used by berth", None);
            }
        }
    }

    /// Keys that have no Kubernetes equivalent: one warning each, saying what happens.
    fn simple_warnings(&mut self, name: &str, svc: &ComposeService, st: &ServiceSettings) {
        let mut w = |key: &str, present: bool, msg: &str, sev: Severity| {
            if present {
                self.report.add(sev, &svc_path(name, key), msg, None);
            }
        };
        use Severity::{Error, Info, Warning};
        w(
            "attach",
            svc.attach.is_some(),
            "only affects `up` logs: ignored",
            Info,
        );
        w(
            "blkio_config",
            svc.blkio_config.is_some(),
            "block IO limits do not exist in Kubernetes: ignored",
            Warning,
        );
        w(
            "cgroup",
            svc.cgroup.as_deref().is_some_and(|s| !s.is_empty()),
            "cgroup namespace mode is not settable in Kubernetes: ignored",
            Warning,
        );
        w(
            "cgroup_parent",
            svc.cgroup_parent.as_deref().is_some_and(|s| !s.is_empty()),
            "the kubelet chooses cgroups: ignored",
            Warning,
        );
        w(
            "container_name",
            svc.container_name.as_deref().is_some_and(|s| !s.is_empty()),
            "Kubernetes names pods itself; the container is named after the service",
            Info,
        );
        w(
            "cpu_count",
            svc.cpu_count.is_some_and(|n| n != 0),
            "Windows CPU count: ignored",
            Warning,
        );
        w(
            "cpu_percent",
            svc.cpu_percent.is_some_and(|n| n != 0.0),
            "Windows CPU percent: ignored",
            Warning,
        );
        w(
            "cpu_period",
            svc.cpu_period.is_some_and(|n| n != 0),
            "CFS period is not settable in Kubernetes (use deploy.resources.limits.cpus): ignored",
            Warning,
        );
        w(
            "cpu_quota",
            svc.cpu_quota.is_some_and(|n| n != 0),
            "CFS quota is not settable in Kubernetes (use deploy.resources.limits.cpus): ignored",
            Warning,
        );
        w(
            "cpu_rt_period",
            svc.cpu_rt_period.is_some_and(|n| n != 0),
            "realtime scheduling is not available in Kubernetes: ignored",
            Warning,
        );
        w(
            "cpu_rt_runtime",
            svc.cpu_rt_runtime.is_some_and(|n| n != 0),
            "realtime scheduling is not available in Kubernetes: ignored",
            Warning,
        );
        w(
            "cpu_shares",
            svc.cpu_shares.is_some_and(|n| n != 0),
            "relative CPU shares: use deploy.resources.reservations.cpus (CPU requests): ignored",
            Warning,
        );
        w(
            "cpuset",
            svc.cpuset.as_deref().is_some_and(|s| !s.is_empty()),
            "CPU pinning needs the kubelet's static CPU manager: ignored",
            Warning,
        );
        w(
            "credential_spec",
            svc.credential_spec.is_some(),
            "Windows credential specs: ignored",
            Warning,
        );
        w(
            "develop",
            svc.develop.is_some(),
            "development (watch) settings: ignored",
            Info,
        );
        w(
            "device_cgroup_rules",
            !svc.device_cgroup_rules.is_empty(),
            "device cgroup rules cannot be set in Kubernetes",
            Error,
        );
        w(
            "devices",
            !svc.devices.is_empty(),
            "host devices need a device plugin (or a privileged pod) in Kubernetes",
            Error,
        );
        w(
            "dockerfile",
            svc.dockerfile.as_deref().is_some_and(|s| !s.is_empty()),
            "build setting: not part of the manifests",
            Info,
        );
        w(
            "external_links",
            !svc.external_links.is_empty(),
            "links to containers outside the project: reach them through a Service of their own",
            Warning,
        );
        w("init", svc.init == Some(true), "Kubernetes has no init process option; use an image with tini, or shareProcessNamespace", Warning);
        w(
            "isolation",
            svc.isolation.as_deref().is_some_and(|s| !s.is_empty()),
            "isolation technology: ignored",
            Warning,
        );
        w(
            "label_file",
            !svc.label_file.is_empty(),
            "labels are read by the loader; the file itself is not used",
            Info,
        );
        w(
            "logging",
            svc.logging.is_some(),
            "logging drivers do not exist in Kubernetes; the cluster collects stdout/stderr",
            Warning,
        );
        w(
            "log_driver",
            svc.log_driver.as_deref().is_some_and(|s| !s.is_empty()),
            "logging drivers do not exist in Kubernetes",
            Warning,
        );
        w(
            "log_opt",
            !svc.log_opt.is_empty(),
            "logging options do not exist in Kubernetes",
            Warning,
        );
        w(
            "mac_address",
            svc.mac_address.as_deref().is_some_and(|s| !s.is_empty()),
            "MAC addresses are chosen by the network plugin: ignored",
            Warning,
        );
        w(
            "mem_swappiness",
            svc.mem_swappiness.is_some_and(|n| n.0 != 0),
            "swap settings are per node in Kubernetes: ignored",
            Warning,
        );
        w(
            "memswap_limit",
            svc.memswap_limit.is_some_and(|n| n.0 != 0),
            "swap settings are per node in Kubernetes: ignored",
            Warning,
        );
        w(
            "oom_kill_disable",
            svc.oom_kill_disable,
            "the OOM killer cannot be disabled per pod: ignored",
            Warning,
        );
        w(
            "oom_score_adj",
            svc.oom_score_adj.is_some_and(|n| n != 0),
            "the kubelet sets OOM scores from the QoS class: ignored",
            Warning,
        );
        w(
            "pids_limit",
            svc.pids_limit.is_some_and(|n| n != 0),
            "PID limits are per node in Kubernetes (kubelet podPidsLimit): ignored",
            Warning,
        );
        w(
            "storage_opt",
            !svc.storage_opt.is_empty(),
            "storage driver options: ignored",
            Warning,
        );
        w("stop_signal", svc.stop_signal.as_deref().is_some_and(|s| !s.is_empty() && s != "SIGTERM"), "Kubernetes always stops containers with SIGTERM (before 1.33): make the process handle SIGTERM, or add a preStop hook", Warning);
        w(
            "ulimits",
            !svc.ulimits.is_empty(),
            "ulimits are set by the container runtime's defaults in Kubernetes: ignored",
            Warning,
        );
        w(
            "userns_mode",
            svc.userns_mode.as_deref().is_some_and(|s| !s.is_empty()),
            "user namespace mode: ignored",
            Warning,
        );
        w(
            "uts",
            svc.uts.as_deref().is_some_and(|s| !s.is_empty()),
            "UTS namespace mode: ignored",
            Warning,
        );
        w(
            "volume_driver",
            svc.volume_driver.as_deref().is_some_and(|s| !s.is_empty()),
            "volume drivers do not exist in Kubernetes: the storage class decides",
            Warning,
        );
        w(
            "net",
            svc.net.as_deref().is_some_and(|s| !s.is_empty()),
            "legacy `net`: use network_mode",
            Warning,
        );
        w(
            "runtime",
            svc.runtime.as_deref().is_some_and(|s| !s.is_empty()),
            "the OCI runtime is chosen by a RuntimeClass in Kubernetes: ignored",
            Warning,
        );
        if let Some(b) = &svc.build {
            let _ = b;
            self.report.info(
                &svc_path(name, "build"),
                "build settings are not part of the manifests: build and push the image first (berth build, berth bundle push)",
                None,
            );
        }
        if let Some(g) = &st.service_group {
            self.report.warn(
                &svc_path(name, "labels.kompose.service.group"),
                format!("kompose.service.group {g:?}: berth keeps one service per pod (kompose too, unless --service-group-mode is given)"),
                None,
            );
        }
        if let Some(t) = st.volume_type.as_deref() {
            match t {
                "emptyDir" | "persistentVolumeClaim" | "configMap" => {}
                "hostPath" if self.opts.host_path => {}
                other => self.report.error(
                    &svc_path(name, "labels.kompose.volume.type"),
                    format!(
                        "kompose.volume.type {other:?} is not supported{}",
                        if other == "hostPath" {
                            " without --host-path"
                        } else {
                            ""
                        }
                    ),
                    None,
                ),
            }
        }
    }

    fn image(&mut self, name: &str, svc: &ComposeService) -> String {
        let raw = match svc.image.as_deref().filter(|s| !s.is_empty()) {
            Some(i) => i.to_string(),
            None => {
                let i = format!("{}-{}", self.lp.name, name);
                self.report.warn(
                    &svc_path(name, "build"),
                    format!("no image: the pods run {i:?}, the name `berth build` gives it; push it where the cluster can pull it"),
                    Some("set image: to the name the built image is pushed as".into()),
                );
                i
            }
        };
        let Some(parsed) = ImageRef::parse(&raw) else {
            self.report.error(
                &svc_path(name, "image"),
                format!("{raw:?} is not a valid image reference"),
                None,
            );
            return raw;
        };
        match &self.opts.registry {
            Some(r) if image::check_registry(r).is_ok() => parsed.with_registry(r).to_string(),
            _ => raw,
        }
    }

    fn pull_policy(&mut self, name: &str, svc: &ComposeService, st: &ServiceSettings) -> String {
        if let Some(p) = &st.image_pull_policy {
            return p.clone();
        }
        match svc.pull_policy.as_deref() {
            None | Some("") => self.opts.image_pull_policy.clone(),
            Some("always") => "Always".into(),
            Some("never") => "Never".into(),
            Some("missing") | Some("if_not_present") => "IfNotPresent".into(),
            Some(other) => {
                self.report.warn(
                    &svc_path(name, "pull_policy"),
                    format!(
                        "pull_policy {other:?} has no Kubernetes equivalent: {}",
                        self.opts.image_pull_policy
                    ),
                    None,
                );
                self.opts.image_pull_policy.clone()
            }
        }
    }

    fn command(&mut self, name: &str, svc: &ComposeService, c: &mut Container) {
        let esc = |v: &Vec<String>| v.iter().map(|s| escape_kubelet(s)).collect::<Vec<_>>();
        match (&svc.entrypoint, &svc.command) {
            (Some(ep), cmd) if ep.is_empty() => {
                // An empty entrypoint runs the command directly.
                match cmd {
                    Some(cmd) if !cmd.is_empty() => c.command = Some(esc(cmd)),
                    _ => self.report.warn(
                        &svc_path(name, "entrypoint"),
                        "an empty entrypoint with the image's command cannot be expressed without knowing that command: the image's entrypoint is kept",
                        Some("write the command out in command:".into()),
                    ),
                }
            }
            (ep, cmd) => {
                if let Some(ep) = ep {
                    c.command = Some(esc(ep));
                }
                if let Some(cmd) = cmd {
                    if cmd.is_empty() && ep.is_none() {
                        self.report.warn(
                            &svc_path(name, "command"),
                            "an empty command keeps the image's command in Kubernetes",
                            None,
                        );
                    } else {
                        c.args = Some(esc(cmd));
                    }
                }
            }
        }
    }

    /// Environment split into plain settings (ConfigMap) and secret-looking ones (Secret).
    fn environment(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut plain = BTreeMap::new();
        let mut secret = BTreeMap::new();
        for (k, v) in &svc.environment {
            let path = svc_path(name, &format!("environment.{k}"));
            let Some(v) = v else {
                self.report.warn(
                    &path,
                    format!("{k} has no value and is not set in the environment berth converts with: left out"),
                    Some(format!("set {k} before converting, or give it a value")),
                );
                continue;
            };
            if !names::is_config_key(k) {
                self.report.error(
                    &path,
                    format!("{k:?} cannot be a ConfigMap key (letters, digits, '-', '_', '.')"),
                    Some("rename the variable".into()),
                );
                continue;
            }
            if super::lint::looks_secret(k, v) {
                self.report.info(
                    &path,
                    format!("{k} looks like a secret: it goes into the Secret {}-env, not the ConfigMap", self.base[name]),
                    None,
                );
                secret.insert(k.clone(), v.clone());
            } else if super::lint::has_embedded_credentials(v) {
                self.report.info(
                    &path,
                    format!(
                        "{k} holds a URL with a password: it goes into the Secret {}-env",
                        self.base[name]
                    ),
                    None,
                );
                secret.insert(k.clone(), v.clone());
            } else {
                plain.insert(k.clone(), v.clone());
            }
        }
        (plain, secret)
    }

    fn probe_from_test(&mut self, path: &str, test: &[String]) -> Option<ExecAction> {
        let (first, rest) = test.split_first()?;
        match first.as_str() {
            "CMD" if !rest.is_empty() => Some(ExecAction {
                command: Some(rest.to_vec()),
            }),
            "CMD-SHELL" if !rest.is_empty() => Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]),
            }),
            "NONE" => None,
            _ => {
                self.report.error(
                    path,
                    format!("healthcheck test {test:?} is not CMD, CMD-SHELL or NONE"),
                    None,
                );
                None
            }
        }
    }

    fn secs(&mut self, path: &str, v: Option<&str>, default: i64) -> i32 {
        let Some(s) = v.filter(|s| !s.is_empty()) else {
            return default as i32;
        };
        match units::duration_secs(s) {
            Some((n, rounded)) => {
                if rounded {
                    self.report.info(
                        path,
                        format!(
                            "{s} is rounded up to {n}s (Kubernetes probes count whole seconds)"
                        ),
                        None,
                    );
                }
                n.clamp(0, i64::from(i32::MAX)) as i32
            }
            None => {
                self.report
                    .error(path, format!("{s:?} is not a duration"), None);
                default as i32
            }
        }
    }

    fn probes(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
        c: &mut Container,
    ) {
        let hp = svc_path(name, "healthcheck");
        let hc: HealthCheckConfig = svc.healthcheck.clone().unwrap_or_default();
        let disabled = hc.disable || hc.test.first().map(String::as_str) == Some("NONE");
        let mut handler = None;
        if svc.healthcheck.is_some() && !disabled {
            if hc.test.is_empty() {
                if !st.liveness.is_set() && !st.readiness.is_set() {
                    self.report.warn(
                        &hp,
                        "no test: the image's HEALTHCHECK is invisible to Kubernetes, so no probe is made",
                        Some("write the test out in healthcheck.test".into()),
                    );
                }
            } else {
                handler = self.probe_from_test(&format!("{hp}.test"), &hc.test);
            }
        }
        if disabled && svc.healthcheck.is_some() {
            self.report.info(&hp, "disabled: no probes", None);
        }
        let period = self
            .secs(&format!("{hp}.interval"), hc.interval.as_deref(), 30)
            .max(1);
        let timeout = self
            .secs(&format!("{hp}.timeout"), hc.timeout.as_deref(), 30)
            .max(1);
        let retries = hc.retries.map_or(3, |r| r.clamp(1, 1000) as i32);
        let start = self.secs(&format!("{hp}.start_period"), hc.start_period.as_deref(), 0);
        let start_interval = self
            .secs(
                &format!("{hp}.start_interval"),
                hc.start_interval.as_deref(),
                5,
            )
            .max(1);
        let base = |exec: Option<ExecAction>| Probe {
            exec,
            period_seconds: Some(period),
            timeout_seconds: Some(timeout),
            failure_threshold: Some(retries),
            ..Default::default()
        };
        let mut readiness = handler.clone().map(|h| base(Some(h)));
        let mut liveness = handler.clone().map(|h| base(Some(h)));
        if let Some(h) = handler {
            if start > 0 {
                c.startup_probe = Some(Probe {
                    exec: Some(h),
                    period_seconds: Some(start_interval),
                    timeout_seconds: Some(timeout),
                    failure_threshold: Some(
                        (start + start_interval - 1) / start_interval + retries,
                    ),
                    ..Default::default()
                });
            }
        }
        // kompose's labels.
        let lp = svc_path(name, "labels");
        if st.liveness.is_set() {
            liveness = self.label_probe(
                &format!("{lp}.kompose.service.healthcheck.liveness"),
                &st.liveness,
                liveness,
                period,
                timeout,
                retries,
            );
        }
        if st.readiness.is_set() {
            readiness = self.label_probe(
                &format!("{lp}.kompose.service.healthcheck.readiness"),
                &st.readiness,
                readiness,
                period,
                timeout,
                retries,
            );
        }
        c.readiness_probe = readiness;
        c.liveness_probe = liveness;
    }

    #[allow(clippy::too_many_arguments)]
    fn label_probe(
        &mut self,
        path: &str,
        l: &ProbeLabels,
        from_healthcheck: Option<Probe>,
        period: i32,
        timeout: i32,
        retries: i32,
    ) -> Option<Probe> {
        if l.disable {
            return None;
        }
        let mut p = from_healthcheck.unwrap_or(Probe {
            period_seconds: Some(period),
            timeout_seconds: Some(timeout),
            failure_threshold: Some(retries),
            ..Default::default()
        });
        if let Some(t) = &l.test {
            p.exec = Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), t.clone()]),
            });
            p.http_get = None;
            p.tcp_socket = None;
        }
        if let (Some(path_), Some(port)) = (&l.http_get_path, l.http_get_port) {
            p.exec = None;
            p.tcp_socket = None;
            p.http_get = Some(HTTPGetAction {
                path: Some(path_.clone()),
                port: IntOrString::Int(port),
                ..Default::default()
            });
        } else if let Some(port) = l.tcp_port {
            p.exec = None;
            p.http_get = None;
            p.tcp_socket = Some(TCPSocketAction {
                port: IntOrString::Int(port),
                ..Default::default()
            });
        }
        if let Some(i) = &l.interval {
            p.period_seconds = Some(self.secs(&format!("{path}.interval"), Some(i), 30).max(1));
        }
        if let Some(t) = &l.timeout {
            p.timeout_seconds = Some(self.secs(&format!("{path}.timeout"), Some(t), 30).max(1));
        }
        if let Some(r) = l.retries {
            p.failure_threshold = Some(r);
        }
        if let Some(s) = &l.start_period {
            let n = self.secs(&format!("{path}.start_period"), Some(s), 0);
            p.initial_delay_seconds = (n > 0).then_some(n);
        }
        if p.exec.is_none() && p.http_get.is_none() && p.tcp_socket.is_none() {
            self.report.warn(
                path,
                "probe labels without a test, an HTTP path and port, or a TCP port: no probe",
                None,
            );
            return None;
        }
        Some(p)
    }

    fn resources(&mut self, name: &str, svc: &ComposeService) -> Option<ResourceRequirements> {
        let mut limits: BTreeMap<String, Quantity> = BTreeMap::new();
        let mut requests: BTreeMap<String, Quantity> = BTreeMap::new();
        let res = svc
            .deploy
            .as_ref()
            .map(|d| d.resources.clone())
            .unwrap_or_default();
        if let Some(l) = &res.limits {
            if let Some(c) = l.cpus.filter(|c| *c > 0.0) {
                limits.insert("cpu".into(), q(units::cpu_quantity(f64::from(c))));
            }
            if let Some(m) = l.memory.filter(|m| m.0 > 0) {
                limits.insert("memory".into(), q(units::bytes_quantity(m.0)));
            }
            if l.pids.is_some_and(|n| n != 0) {
                self.report.warn(
                    &svc_path(name, "deploy.resources.limits.pids"),
                    "PID limits are per node in Kubernetes: ignored",
                    None,
                );
            }
            self.devices(name, "deploy.resources.limits", &l.devices, &mut limits);
            if !l.generic_resources.is_empty() {
                self.report.warn(
                    &svc_path(name, "deploy.resources.limits.generic_resources"),
                    "generic (swarm) resources: ignored",
                    None,
                );
            }
        }
        if let Some(r) = &res.reservations {
            if let Some(c) = r.cpus.filter(|c| *c > 0.0) {
                requests.insert("cpu".into(), q(units::cpu_quantity(f64::from(c))));
            }
            if let Some(m) = r.memory.filter(|m| m.0 > 0) {
                requests.insert("memory".into(), q(units::bytes_quantity(m.0)));
            }
            if r.pids.is_some_and(|n| n != 0) {
                self.report.warn(
                    &svc_path(name, "deploy.resources.reservations.pids"),
                    "PID reservations do not exist in Kubernetes: ignored",
                    None,
                );
            }
            self.devices(
                name,
                "deploy.resources.reservations",
                &r.devices,
                &mut limits,
            );
            if !r.generic_resources.is_empty() {
                self.report.warn(
                    &svc_path(name, "deploy.resources.reservations.generic_resources"),
                    "generic (swarm) resources: ignored",
                    None,
                );
            }
        }
        // Service-level shorthands (used when deploy.resources does not say).
        if let Some(c) = svc.cpus.filter(|c| *c > 0.0) {
            limits
                .entry("cpu".into())
                .or_insert_with(|| q(units::cpu_quantity(f64::from(c))));
        }
        if let Some(m) = svc.mem_limit.filter(|m| m.0 > 0) {
            limits
                .entry("memory".into())
                .or_insert_with(|| q(units::bytes_quantity(m.0)));
        }
        if let Some(m) = svc.mem_reservation.filter(|m| m.0 > 0) {
            requests
                .entry("memory".into())
                .or_insert_with(|| q(units::bytes_quantity(m.0)));
        }
        if !svc.gpus.is_empty() {
            self.devices(name, "gpus", &svc.gpus, &mut limits);
        }
        // Requests default to the limits (Kubernetes does the same; writing it out keeps the
        // chart values honest).
        for (k, v) in &limits {
            if k == "cpu" || k == "memory" {
                requests.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if limits.is_empty() && requests.is_empty() {
            return None;
        }
        Some(ResourceRequirements {
            limits: (!limits.is_empty()).then_some(limits),
            requests: (!requests.is_empty()).then_some(requests),
            ..Default::default()
        })
    }

    fn devices(
        &mut self,
        name: &str,
        key: &str,
        devs: &[berth_compose::model::DeviceRequest],
        limits: &mut BTreeMap<String, Quantity>,
    ) {
        for (i, d) in devs.iter().enumerate() {
            let path = if key == "gpus" {
                svc_path(name, &format!("gpus[{i}]"))
            } else {
                svc_path(name, &format!("{key}.devices[{i}]"))
            };
            let gpu =
                d.capabilities.iter().any(|c| c == "gpu") || d.driver.as_deref() == Some("nvidia");
            if !gpu {
                self.report.error(
                    &path,
                    "device reservations other than GPUs need a device plugin resource name",
                    None,
                );
                continue;
            }
            let count = match d.count {
                Some(n) if n > 0 => n,
                Some(-1) => {
                    self.report.warn(
                        &path,
                        "count: all is not expressible: one GPU is requested",
                        None,
                    );
                    1
                }
                _ if !d.device_ids.is_empty() => d.device_ids.len() as i64,
                _ => 1,
            };
            if !d.device_ids.is_empty() {
                self.report
                    .warn(&path, "device_ids: Kubernetes assigns GPUs itself", None);
            }
            self.report.warn(
                &path,
                format!("GPU request → nvidia.com/gpu: {count} (needs the NVIDIA device plugin)"),
                None,
            );
            limits.insert("nvidia.com/gpu".into(), q(count.to_string()));
        }
    }

    fn init_security(&self) -> Option<SecurityContext> {
        if !self.opts.harden {
            return None;
        }
        Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            run_as_non_root: Some(true),
            run_as_user: Some(65534),
            run_as_group: Some(65534),
            read_only_root_filesystem: Some(true),
            ..Default::default()
        })
    }

    fn security(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) -> (Option<SecurityContext>, Option<PodSecurityContext>) {
        let harden = self.opts.harden;
        let mut c = SecurityContext::default();
        let mut p = PodSecurityContext::default();
        let strip = |s: &String| s.strip_prefix("CAP_").unwrap_or(s).to_ascii_uppercase();
        let add: Vec<String> = svc.cap_add.iter().map(strip).collect();
        let drop: Vec<String> = svc.cap_drop.iter().map(strip).collect();
        if svc.privileged {
            self.report.info(
                &svc_path(name, "privileged"),
                "privileged: carried as securityContext.privileged; clusters with Pod Security admission refuse it",
                None,
            );
            c.privileged = Some(true);
        }
        if harden && !svc.privileged {
            c.allow_privilege_escalation = Some(false);
            c.capabilities = Some(Capabilities {
                add: (!add.is_empty()).then_some(add.clone()),
                drop: Some(vec!["ALL".into()]),
            });
            p.seccomp_profile = Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            });
        } else if !add.is_empty() || !drop.is_empty() {
            c.capabilities = Some(Capabilities {
                add: (!add.is_empty()).then_some(add.clone()),
                drop: (!drop.is_empty()).then_some(drop),
            });
        }
        if add.iter().any(|a| a == "ALL" || a == "SYS_ADMIN") {
            self.report.warn(
                &svc_path(name, "cap_add"),
                format!(
                    "cap_add {}: nearly as powerful as privileged",
                    add.join(", ")
                ),
                None,
            );
        }
        if svc.read_only {
            c.read_only_root_filesystem = Some(true);
        }
        if let Some(u) = svc.user.as_deref().filter(|u| !u.is_empty()) {
            match parse_user(u) {
                Some((uid, gid)) => {
                    c.run_as_user = Some(uid);
                    c.run_as_group = gid;
                    if uid != 0 {
                        c.run_as_non_root = Some(true);
                    }
                }
                None => {
                    let (n, _) = u.split_once(':').unwrap_or((u, ""));
                    if n == "root" {
                        c.run_as_user = Some(0);
                    } else {
                        self.report.warn(
                            &svc_path(name, "user"),
                            format!("user {u:?} is a name; Kubernetes needs numeric ids, so the image's user is kept"),
                            Some("write the numeric uid[:gid] (`id -u NAME` in the image)".into()),
                        );
                    }
                }
            }
        }
        for (i, g) in svc.group_add.iter().enumerate() {
            match g.parse::<i64>() {
                Ok(n) => p.supplemental_groups.get_or_insert_with(Vec::new).push(n),
                Err(_) => self.report.warn(
                    &svc_path(name, &format!("group_add[{i}]")),
                    format!("group {g:?} is a name; Kubernetes needs numeric ids: ignored"),
                    None,
                ),
            }
        }
        if let Some(fg) = st.fs_group {
            p.fs_group = Some(fg);
        }
        for (i, so) in svc.security_opt.iter().enumerate() {
            let path = svc_path(name, &format!("security_opt[{i}]"));
            let (k, v) = so.split_once([':', '=']).unwrap_or((so, ""));
            match (k, v) {
                ("no-new-privileges", "true" | "") => {
                    if !svc.privileged {
                        c.allow_privilege_escalation = Some(false);
                    }
                }
                ("no-new-privileges", _) => {}
                ("seccomp", "unconfined") => {
                    self.report.warn(&path, "seccomp unconfined: the pod runs without a seccomp profile", None);
                    p.seccomp_profile = Some(SeccompProfile {
                        type_: "Unconfined".into(),
                        localhost_profile: None,
                    });
                }
                ("apparmor", "unconfined") | ("apparmor", _) => self.report.warn(
                    &path,
                    "AppArmor profiles are set by annotation or securityContext.appArmorProfile (1.30+): ignored",
                    None,
                ),
                _ => self.report.warn(&path, format!("security option {so:?}: ignored"), None),
            }
        }
        let mut safe = Vec::new();
        for (k, v) in &svc.sysctls {
            if !SAFE_SYSCTLS.contains(&k.as_str()) {
                self.report.warn(
                    &svc_path(name, &format!("sysctls.{k}")),
                    format!("{k} is not a safe sysctl: the kubelet must allow it (--allowed-unsafe-sysctls) or the pod is rejected"),
                    None,
                );
            }
            safe.push(Sysctl {
                name: k.clone(),
                value: v.clone(),
            });
        }
        if !safe.is_empty() {
            p.sysctls = Some(safe);
        }
        let c = (c != SecurityContext::default()).then_some(c);
        let p = (p != PodSecurityContext::default()).then_some(p);
        (c, p)
    }

    // -----------------------------------------------------------------------------------------
    // Volumes
    // -----------------------------------------------------------------------------------------

    fn volumes(
        &mut self,
        name: &str,
        svc: &ComposeService,
        kind: WorkloadKind,
        pv: &mut PodVolumes,
        templates: &mut Vec<PersistentVolumeClaim>,
    ) -> Vec<VolumeMount> {
        let mut out = Vec::new();
        let st = self.settings[name].clone();
        let sel = self.selector(&self.base[name]);
        let mounts = self.mounts[name].clone();
        for m in &mounts {
            let v = &m.vol;
            let path = &m.path;
            let Some(target) = v.target.clone().filter(|t| !t.is_empty()) else {
                self.report.error(path, "mount without a target", None);
                continue;
            };
            if !target.starts_with('/') {
                self.report.error(
                    path,
                    format!("mount target {target:?} is not an absolute path"),
                    Some("a one-letter volume name reads as a Windows drive (`v:/data`); use a longer name".into()),
                );
                continue;
            }
            let mut vm = VolumeMount {
                mount_path: target.clone(),
                read_only: v.read_only.then_some(true),
                ..Default::default()
            };
            if let Some(sp) = v
                .volume
                .as_ref()
                .and_then(|x| x.subpath.clone())
                .filter(|s| !s.is_empty())
            {
                vm.sub_path = Some(sp);
            }
            if v.volume.as_ref().is_some_and(|x| x.nocopy) {
                self.report.info(
                    &format!("{path}.volume.nocopy"),
                    "Kubernetes never copies image content into a volume",
                    None,
                );
            }
            if let Some(b) = &v.bind {
                if b.propagation.as_deref().is_some_and(|s| !s.is_empty()) {
                    self.report.warn(
                        &format!("{path}.bind.propagation"),
                        "mount propagation: ignored",
                        None,
                    );
                }
                if b.selinux.as_deref().is_some_and(|s| !s.is_empty()) {
                    self.report.warn(
                        &format!("{path}.bind.selinux"),
                        "SELinux relabelling is done by the kubelet: ignored",
                        None,
                    );
                }
            }
            match v.kind.as_str() {
                "volume" => {
                    let Some(src) = v.source.clone().filter(|s| !s.is_empty()) else {
                        self.report.warn(
                            path,
                            format!("anonymous volume at {target}: an emptyDir, lost when the pod is deleted"),
                            Some("name the volume to keep its data in a PersistentVolumeClaim".into()),
                        );
                        vm.name = pv.add(Volume {
                            name: format!("anon-{}", names::label(&target, 40)),
                            empty_dir: Some(EmptyDirVolumeSource::default()),
                            ..Default::default()
                        });
                        out.push(vm);
                        continue;
                    };
                    if vm.sub_path.is_none() {
                        vm.sub_path = st.volume_subpath.clone();
                    }
                    let plan = self
                        .volume_plans
                        .get(&(name.to_string(), src.clone()))
                        .cloned()
                        .unwrap_or(VolumePlan::EmptyDir);
                    match plan {
                        VolumePlan::Template => {
                            let tname = names::label(&src, names::LABEL_MAX);
                            if !templates
                                .iter()
                                .any(|t| t.metadata.name.as_deref() == Some(&tname))
                            {
                                let vs = self.volume_settings(&src);
                                let (spec, _) = self.pvc_spec(&src, &vs, false, Some(name));
                                templates.push(PersistentVolumeClaim {
                                    metadata: meta(&tname, sel.clone()),
                                    spec: Some(spec),
                                    ..Default::default()
                                });
                            }
                            vm.name = tname;
                        }
                        VolumePlan::Claim(c) | VolumePlan::External(c) => {
                            if kind == WorkloadKind::DaemonSet {
                                self.report.warn(path, format!("a DaemonSet mounts the claim {c:?} on every node: it needs ReadWriteMany storage"), None);
                            }
                            vm.name = pv.add(Volume {
                                name: names::label(&src, names::LABEL_MAX),
                                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                    claim_name: c,
                                    read_only: None,
                                }),
                                ..Default::default()
                            });
                        }
                        VolumePlan::EmptyDir => {
                            self.report.warn(path, format!("volume {src} is an emptyDir (kompose.volume.type): its data is lost with the pod"), None);
                            vm.name = pv.add(Volume {
                                name: names::label(&src, names::LABEL_MAX),
                                empty_dir: Some(EmptyDirVolumeSource::default()),
                                ..Default::default()
                            });
                        }
                    }
                    out.push(vm);
                }
                "bind" => {
                    let Some(src) = v.source.clone().filter(|s| !s.is_empty()) else {
                        self.report.error(path, "bind mount without a source", None);
                        continue;
                    };
                    if let Some(vm) = self.bind_mount(name, path, &src, vm, pv) {
                        out.push(vm);
                    }
                }
                "tmpfs" => {
                    let size = v.tmpfs.as_ref().and_then(|t| t.size).filter(|s| s.0 > 0);
                    if v.tmpfs.as_ref().is_some_and(|t| t.mode != 0) {
                        self.report.warn(
                            &format!("{path}.tmpfs.mode"),
                            "tmpfs mode: the emptyDir is world-writable",
                            None,
                        );
                    }
                    vm.name = pv.add(Volume {
                        name: format!("tmpfs-{}", names::label(&target, 40)),
                        empty_dir: Some(EmptyDirVolumeSource {
                            medium: Some("Memory".into()),
                            size_limit: size.map(|s| q(units::bytes_quantity(s.0))),
                        }),
                        ..Default::default()
                    });
                    out.push(vm);
                }
                other => {
                    self.report.error(
                        path,
                        format!("{other} mounts do not exist in Kubernetes"),
                        None,
                    );
                }
            }
        }
        for (i, t) in svc.tmpfs.iter().enumerate() {
            let (target, opts) = t.split_once(':').unwrap_or((t, ""));
            let mut size = None;
            for o in opts.split(',') {
                if let Some(s) = o.strip_prefix("size=") {
                    size = units::size_quantity(s);
                    if size.is_none() {
                        self.report.warn(
                            &svc_path(name, &format!("tmpfs[{i}]")),
                            format!("size {s:?} is not understood: no limit"),
                            None,
                        );
                    }
                }
            }
            let vm_name = pv.add(Volume {
                name: format!("tmpfs-{}", names::label(target, 40)),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    size_limit: size.map(q),
                }),
                ..Default::default()
            });
            out.push(VolumeMount {
                name: vm_name,
                mount_path: target.to_string(),
                ..Default::default()
            });
        }
        if let Some(shm) = svc.shm_size.filter(|s| s.0 > 0) {
            let vm_name = pv.add(Volume {
                name: "dshm".into(),
                empty_dir: Some(EmptyDirVolumeSource {
                    medium: Some("Memory".into()),
                    size_limit: Some(q(units::bytes_quantity(shm.0))),
                }),
                ..Default::default()
            });
            out.push(VolumeMount {
                name: vm_name,
                mount_path: "/dev/shm".into(),
                ..Default::default()
            });
        }
        out
    }

    /// A bind mount: project files become a ConfigMap, data directories a PVC, paths outside
    /// the project a hostPath (with `--host-path`) or an error.
    fn bind_mount(
        &mut self,
        name: &str,
        path: &str,
        src: &str,
        mut vm: VolumeMount,
        pv: &mut PodVolumes,
    ) -> Option<VolumeMount> {
        let src_path = PathBuf::from(src);
        let inside = src_path.starts_with(&self.lp.working_dir);
        if !inside {
            let sock = src.ends_with(".sock");
            if self.opts.host_path {
                self.report.warn(
                    path,
                    format!(
                        "hostPath {src}: the pod sees that path of whatever node it runs on{}",
                        if sock {
                            " (a container engine socket gives root on the node)"
                        } else {
                            ""
                        }
                    ),
                    None,
                );
                vm.name = pv.add(Volume {
                    name: format!("host-{}", names::label(src, 40)),
                    host_path: Some(HostPathVolumeSource {
                        path: src.to_string(),
                        type_: None,
                    }),
                    ..Default::default()
                });
                return Some(vm);
            }
            self.report.error(
                path,
                format!("bind mount of {src}, outside the project: Kubernetes nodes do not have it"),
                Some("pass --host-path to mount the node's path (hostPath), or put the content in a config or the image".into()),
            );
            return None;
        }
        let shown = self.show_path(&src_path);
        let meta_ = std::fs::metadata(&src_path);
        // A file, or a flat directory of small files: a ConfigMap.
        if let Some((cm_name, items, is_file)) = self.bind_configmap(path, &src_path, &shown) {
            if !vm.read_only.unwrap_or(false) {
                self.report.warn(
                    path,
                    format!("{shown} becomes the ConfigMap {cm_name:?}: read-only in the pod, and changes to the file need a new conversion"),
                    None,
                );
            } else {
                self.report.info(
                    path,
                    format!("{shown} becomes the ConfigMap {cm_name:?}"),
                    None,
                );
            }
            vm.read_only = Some(true);
            let key_items: Vec<KeyToPath> = items
                .iter()
                .map(|(k, f)| KeyToPath {
                    key: k.clone(),
                    path: f.clone(),
                    mode: None,
                })
                .collect();
            let needs_items = items.iter().any(|(k, f)| k != f);
            vm.name = pv.add(Volume {
                name: format!("cm-{cm_name}"),
                config_map: Some(ConfigMapVolumeSource {
                    name: cm_name,
                    items: needs_items.then_some(key_items),
                    ..Default::default()
                }),
                ..Default::default()
            });
            if is_file {
                vm.sub_path = items.first().map(|(_, f)| f.clone());
            }
            return Some(vm);
        }
        let empty_or_missing = match &meta_ {
            Err(_) => true,
            Ok(m) if m.is_dir() => std::fs::read_dir(&src_path)
                .map(|mut d| d.next().is_none())
                .unwrap_or(true),
            Ok(_) => false,
        };
        if !empty_or_missing {
            self.report.error(
                path,
                format!("{shown} is a directory with subdirectories or more than 1 MiB: it cannot be a ConfigMap, and nodes do not have it"),
                Some("bake it into the image, or use a named volume; --allow-lossy mounts an empty PersistentVolumeClaim".into()),
            );
        }
        // A data directory (missing or empty here): a PVC, like a named volume.
        let rel = src_path
            .strip_prefix(&self.lp.working_dir)
            .map(|r| r.display().to_string())
            .unwrap_or_default();
        let want = names::label(&rel, names::LABEL_MAX);
        let claim = self.book.claim("PersistentVolumeClaim", &want, src);
        // Services that bind-mount the same path share one claim.
        let users: BTreeSet<&String> = self
            .mounts
            .iter()
            .filter(|(_, ms)| {
                ms.iter()
                    .any(|m| m.vol.kind == "bind" && m.vol.source.as_deref() == Some(src))
            })
            .map(|(s, _)| s)
            .collect();
        let shared = users.len() > 1;
        if !self.claims.contains_key(&claim) {
            if empty_or_missing {
                self.report.warn(
                    path,
                    format!("{shown} holds data: it becomes the PersistentVolumeClaim {claim:?} (its current content is not copied)"),
                    Some("use a named volume to set its size (x-berth.size)".into()),
                );
            }
            let st = self.settings[name].clone();
            let size = st
                .volume_size
                .clone()
                .or(self.ps.volume_size.clone())
                .unwrap_or_else(|| "1Gi".into());
            let class = st.storage_class.clone().or(self.ps.storage_class.clone());
            let modes = if shared {
                self.report.warn(
                    path,
                    format!("{shown} is mounted by several services: the claim asks for ReadWriteMany, which needs a storage class that supports it"),
                    None,
                );
                vec!["ReadWriteMany".to_string()]
            } else {
                vec!["ReadWriteOnce".to_string()]
            };
            self.claims.insert(
                claim.clone(),
                (rel.clone(), VolumeSettings::default(), shared),
            );
            self.chart.volumes.insert(
                claim.clone(),
                ChartPvc {
                    size: size.clone(),
                    storage_class: class.clone().unwrap_or_default(),
                    access_modes: modes.clone(),
                },
            );
            let labels = if shared {
                self.project_labels()
            } else {
                self.selector(&self.base[name])
            };
            self.objects
                .push(Object::PersistentVolumeClaim(PersistentVolumeClaim {
                    metadata: meta(&claim, labels),
                    spec: Some(PersistentVolumeClaimSpec {
                        access_modes: Some(modes),
                        resources: Some(VolumeResourceRequirements {
                            requests: Some(BTreeMap::from([("storage".to_string(), q(size))])),
                            ..Default::default()
                        }),
                        storage_class_name: class,
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
        }
        vm.name = pv.add(Volume {
            name: names::label(&rel, 50),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim,
                read_only: None,
            }),
            ..Default::default()
        });
        Some(vm)
    }

    /// The ConfigMap for a bind-mounted file or flat directory, made once per source path:
    /// `(name, [(key, file name)], is a file)`.
    fn bind_configmap(&mut self, path: &str, src: &Path, shown: &str) -> Option<BindMap> {
        if let Some(have) = self.bind_maps.get(src) {
            return Some(have.clone());
        }
        let md = std::fs::metadata(src).ok()?;
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let is_file = md.is_file();
        if is_file {
            let fname = src.file_name()?.to_string_lossy().to_string();
            files.push((fname, std::fs::read(src).ok()?));
        } else if md.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(src)
                .ok()?
                .filter_map(|e| e.ok())
                .collect();
            entries.sort_by_key(|e| e.file_name());
            if entries.is_empty() {
                return None;
            }
            for e in entries {
                let ft = std::fs::metadata(e.path()).ok()?;
                if !ft.is_file() {
                    return None;
                }
                files.push((
                    e.file_name().to_string_lossy().to_string(),
                    std::fs::read(e.path()).ok()?,
                ));
            }
        } else {
            return None;
        }
        let total: usize = files.iter().map(|(_, b)| b.len()).sum();
        if total > CONFIGMAP_MAX {
            return None;
        }
        let rel = src
            .strip_prefix(&self.lp.working_dir)
            .map(|r| r.display().to_string())
            .unwrap_or_default();
        let want = names::label(&rel, names::LABEL_MAX);
        let cm_name = self
            .book
            .claim("ConfigMap", &want, &src.display().to_string());
        let mut data = BTreeMap::new();
        let mut binary = BTreeMap::new();
        let mut items = Vec::new();
        for (fname, bytes) in files {
            let key = names::config_key(&fname);
            if fname.contains('/') || fname == ".." {
                continue;
            }
            items.push((key.clone(), fname));
            match String::from_utf8(bytes) {
                Ok(s) => {
                    data.insert(key, s);
                }
                Err(e) => {
                    binary.insert(key, ByteString(e.into_bytes()));
                }
            }
        }
        let _ = (path, shown);
        self.objects.push(Object::ConfigMap(ConfigMap {
            metadata: meta(&cm_name, self.project_labels()),
            data: (!data.is_empty()).then_some(data),
            binary_data: (!binary.is_empty()).then_some(binary),
            ..Default::default()
        }));
        let entry = (cm_name, items, is_file);
        self.bind_maps.insert(src.to_path_buf(), entry.clone());
        Some(entry)
    }

    fn secret_mounts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        pv: &mut PodVolumes,
        c: &mut Container,
    ) {
        let mut mounts = Vec::new();
        // Secrets under /run/secrets share one projected volume mounted there.
        let mut run_secrets: Vec<VolumeProjection> = Vec::new();
        for (i, s) in svc.secrets.iter().enumerate() {
            let path = svc_path(name, &format!("secrets[{i}]"));
            let Some(src) = s.source.clone() else {
                continue;
            };
            let Some((obj, key)) = self.secret_objects.get(&src).cloned() else {
                if !self.p.secrets.contains_key(&src) {
                    self.report
                        .error(&path, format!("secret {src} is not defined"), None);
                }
                continue;
            };
            let target = s
                .target
                .clone()
                .unwrap_or_else(|| format!("/run/secrets/{src}"));
            let target = if target.starts_with('/') {
                target
            } else {
                format!("/run/secrets/{target}")
            };
            if s.uid.is_some() || s.gid.is_some() {
                self.report.warn(
                    &path,
                    "uid/gid of a secret file: Kubernetes mounts it owned by root (the pod's fsGroup, if set, owns the group)",
                    Some("set x-berth.fs_group to the gid that must read it".into()),
                );
            }
            let mode = s.mode.map(|m| m as i32);
            match target
                .strip_prefix("/run/secrets/")
                .filter(|r| !r.is_empty())
            {
                Some(rel) => run_secrets.push(VolumeProjection {
                    secret: Some(SecretProjection {
                        name: obj,
                        items: Some(vec![KeyToPath {
                            key,
                            path: rel.to_string(),
                            mode,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                }),
                None => {
                    let fname = Path::new(&target)
                        .file_name()
                        .map(|f| f.to_string_lossy().to_string())
                        .unwrap_or_else(|| key.clone());
                    let vname = pv.add(Volume {
                        name: format!("secret-{}", names::label(&src, 40)),
                        secret: Some(SecretVolumeSource {
                            secret_name: Some(obj),
                            items: Some(vec![KeyToPath {
                                key,
                                path: fname.clone(),
                                mode,
                            }]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                    mounts.push(VolumeMount {
                        name: vname,
                        mount_path: target,
                        sub_path: Some(fname),
                        read_only: Some(true),
                        ..Default::default()
                    });
                }
            }
        }
        if !run_secrets.is_empty() {
            let vname = pv.add(Volume {
                name: "secrets".into(),
                projected: Some(ProjectedVolumeSource {
                    sources: Some(run_secrets),
                    // Compose's default mode for secret files.
                    default_mode: Some(0o444),
                }),
                ..Default::default()
            });
            mounts.push(VolumeMount {
                name: vname,
                mount_path: "/run/secrets".into(),
                read_only: Some(true),
                ..Default::default()
            });
        }
        for (i, cfg) in svc.configs.iter().enumerate() {
            let path = svc_path(name, &format!("configs[{i}]"));
            let Some(src) = cfg.source.clone() else {
                continue;
            };
            let Some((obj, key)) = self.config_objects.get(&src).cloned() else {
                if !self.p.configs.contains_key(&src) {
                    self.report
                        .error(&path, format!("config {src} is not defined"), None);
                }
                continue;
            };
            let target = cfg.target.clone().unwrap_or_else(|| format!("/{src}"));
            let target = if target.starts_with('/') {
                target
            } else {
                format!("/{target}")
            };
            if cfg.uid.is_some() || cfg.gid.is_some() {
                self.report.warn(
                    &path,
                    "uid/gid of a config file: Kubernetes mounts it owned by root",
                    None,
                );
            }
            let fname = Path::new(&target)
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_else(|| key.clone());
            let vname = pv.add(Volume {
                name: format!("config-{}", names::label(&src, 40)),
                config_map: Some(ConfigMapVolumeSource {
                    name: obj,
                    items: Some(vec![KeyToPath {
                        key,
                        path: fname.clone(),
                        mode: cfg.mode.map(|m| m as i32),
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            });
            mounts.push(VolumeMount {
                name: vname,
                mount_path: target,
                sub_path: Some(fname),
                read_only: Some(true),
                ..Default::default()
            });
        }
        if !mounts.is_empty() {
            c.volume_mounts = Some(mounts);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Ordering: depends_on as init containers
    // -----------------------------------------------------------------------------------------

    fn waits(
        &mut self,
        name: &str,
        svc: &ComposeService,
        init: &mut Vec<Container>,
        jobs: &mut Vec<String>,
        pv: &mut PodVolumes,
    ) {
        let harden_sc = self.init_security();
        let resources = Some(ResourceRequirements {
            limits: Some(BTreeMap::from([
                ("cpu".to_string(), q("100m")),
                ("memory".to_string(), q("32Mi")),
            ])),
            requests: Some(BTreeMap::from([
                ("cpu".to_string(), q("10m")),
                ("memory".to_string(), q("16Mi")),
            ])),
            ..Default::default()
        });
        for (dep, d) in &svc.depends_on {
            let path = svc_path(name, &format!("depends_on.{dep}"));
            if !self.p.services.contains_key(dep) {
                self.report.info(&path, format!("{dep} is not part of this conversion (profile or selection): not waited for"), None);
                continue;
            }
            if d.restart {
                self.report.warn(
                    &format!("{path}.restart"),
                    "Kubernetes does not restart a pod when its dependency is updated",
                    None,
                );
            }
            let dep_base = self.base[dep].clone();
            let dep_kind = self.kinds[dep];
            let cond = d.condition.as_deref().unwrap_or("service_started");
            let cname = names::label(&format!("wait-for-{dep_base}"), names::LABEL_MAX);
            if cond == "service_healthy" && self.p.services[dep].healthcheck.is_none() {
                self.report.warn(
                    &path,
                    format!("waits for {dep} to be healthy, but {dep} has no healthcheck: the pod waits for its port only"),
                    Some(format!("add a healthcheck to {dep}")),
                );
            }
            if cond == "service_completed_successfully" && dep_kind.is_batch() {
                if dep_kind == WorkloadKind::CronJob {
                    self.report.error(
                        &path,
                        format!("{dep} is a CronJob: there is no single run to wait for"),
                        None,
                    );
                    continue;
                }
                jobs.push(dep_base.clone());
                let sa = "/var/run/secrets/kubernetes.io/serviceaccount";
                let script = format!(
                    "until curl -sf --cacert {sa}/ca.crt -H \"Authorization: Bearer $(cat {sa}/token)\" \"https://kubernetes.default.svc/apis/batch/v1/namespaces/$(cat {sa}/namespace)/jobs/{dep_base}\" | grep -q '\"succeeded\": *[1-9]'; do echo 'waiting for job {dep_base} to complete'; sleep 2; done"
                );
                let vol = pv.add(api_access_volume());
                init.push(Container {
                    name: cname,
                    image: Some(self.job_wait_image.clone()),
                    image_pull_policy: Some(self.opts.image_pull_policy.clone()),
                    command: Some(vec!["sh".into(), "-c".into(), escape_kubelet(&script)]),
                    security_context: harden_sc.clone(),
                    resources: resources.clone(),
                    volume_mounts: Some(vec![VolumeMount {
                        name: vol,
                        mount_path: sa.into(),
                        read_only: Some(true),
                        ..Default::default()
                    }]),
                    ..Default::default()
                });
                continue;
            }
            // Wait for the dependency's Service.
            let ports = &self.ports[dep];
            let tcp = ports.iter().find(|p| p.protocol == "TCP").map(|p| p.port);
            let resolve = format!(
                "d=$(sed -n 's/^search \\([^ ]*\\).*/\\1/p' /etc/resolv.conf); h=\"{dep_base}${{d:+.$d}}\""
            );
            let script = match tcp {
                Some(port) => format!(
                    "{resolve}; until nc -z -w 2 \"$h\" {port}; do echo 'waiting for {dep_base}:{port}'; sleep 2; done"
                ),
                None => format!(
                    "{resolve}; until nslookup \"$h\" >/dev/null 2>&1; do echo 'waiting for {dep_base}'; sleep 2; done"
                ),
            };
            if dep_kind.is_batch() && ports.is_empty() {
                self.report.warn(
                    &path,
                    format!("{dep} runs as a {} without ports: waiting for it to start is not possible, so it is not waited for", dep_kind.as_str()),
                    Some("wait with condition: service_completed_successfully".into()),
                );
                continue;
            }
            init.push(Container {
                name: cname,
                image: Some(self.wait_image.clone()),
                image_pull_policy: Some(self.opts.image_pull_policy.clone()),
                command: Some(vec!["sh".into(), "-c".into(), escape_kubelet(&script)]),
                security_context: harden_sc.clone(),
                resources: resources.clone(),
                ..Default::default()
            });
        }
    }

    /// ServiceAccount, Role and RoleBinding that let a pod read the Jobs it waits for.
    fn job_rbac(&mut self, name: &str, base: &str, sa: &str, jobs: &[String], create_sa: bool) {
        let sel = self.selector(base);
        if create_sa {
            self.objects.push(Object::ServiceAccount(ServiceAccount {
                metadata: meta(sa, sel.clone()),
                automount_service_account_token: Some(false),
                ..Default::default()
            }));
        }
        let role = names::derived(base, "wait");
        self.objects.push(Object::Role(Role {
            metadata: meta(&role, sel.clone()),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec!["batch".into()]),
                resources: Some(vec!["jobs".into()]),
                resource_names: Some(jobs.to_vec()),
                verbs: vec!["get".into()],
                ..Default::default()
            }]),
        }));
        self.objects.push(Object::RoleBinding(RoleBinding {
            metadata: meta(&role, sel),
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "Role".into(),
                name: role.clone(),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa.to_string(),
                namespace: self.opts.namespace.clone(),
                ..Default::default()
            }]),
        }));
        self.report.info(
            &svc_path(name, "depends_on"),
            format!("waits for Job(s) {} through the API: ServiceAccount {sa:?} may read them (Role {role:?})", jobs.join(", ")),
            None,
        );
    }

    fn lifecycle(&mut self, name: &str, svc: &ComposeService) -> Option<Lifecycle> {
        let mut lc = Lifecycle::default();
        for (key, hooks) in [("post_start", &svc.post_start), ("pre_stop", &svc.pre_stop)] {
            if hooks.is_empty() {
                continue;
            }
            let path = svc_path(name, key);
            let mut cmds = Vec::new();
            for (i, h) in hooks.iter().enumerate() {
                if h.user.as_deref().is_some_and(|u| !u.is_empty())
                    || h.privileged
                    || !h.environment.is_empty()
                    || h.working_dir.as_deref().is_some_and(|w| !w.is_empty())
                {
                    self.report.warn(&format!("{path}[{i}]"), "hook user, privileged, environment and working_dir: the hook runs like the container", None);
                }
                if let Some(c) = &h.command {
                    cmds.push(c.clone());
                }
            }
            let command = match cmds.len() {
                0 => continue,
                1 => cmds.remove(0),
                _ => {
                    self.report.info(
                        &path,
                        "several hooks run one after the other in one shell",
                        None,
                    );
                    vec![
                        "/bin/sh".into(),
                        "-c".into(),
                        cmds.iter()
                            .map(shell_words::join)
                            .collect::<Vec<_>>()
                            .join(" && "),
                    ]
                }
            };
            let handler = Some(LifecycleHandler {
                exec: Some(ExecAction {
                    command: Some(command),
                }),
                ..Default::default()
            });
            if key == "post_start" {
                lc.post_start = handler;
            } else {
                lc.pre_stop = handler;
            }
        }
        (lc != Lifecycle::default()).then_some(lc)
    }

    fn networks_of(&self, svc: &ComposeService) -> Vec<String> {
        svc.networks.keys().cloned().collect()
    }

    /// hostname, DNS, hosts, placement, host namespaces, grace period.
    fn pod_extras(&mut self, name: &str, svc: &ComposeService, pod: &mut PodSpec) {
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
        // extra_hosts → hostAliases, grouped by IP.
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
        if !by_ip.is_empty() {
            pod.host_aliases = Some(
                by_ip
                    .into_iter()
                    .map(|(ip, hostnames)| HostAlias {
                        ip,
                        hostnames: Some(hostnames),
                    })
                    .collect(),
            );
        }
        if !svc.dns.is_empty() || !svc.dns_search.is_empty() || !svc.dns_opt.is_empty() {
            if !svc.dns.is_empty() {
                self.report.warn(
                    &svc_path(name, "dns"),
                    "extra name servers are added after the cluster DNS (at most 3 in all)",
                    None,
                );
            }
            pod.dns_config = Some(PodDNSConfig {
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
            });
        }
        if let Some(g) = svc.stop_grace_period.as_deref() {
            pod.termination_grace_period_seconds = Some(i64::from(self.secs(
                &svc_path(name, "stop_grace_period"),
                Some(g),
                30,
            )));
        }
        // Host namespaces.
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
        // Placement.
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
        let mut exprs: Vec<NodeSelectorRequirement> = Vec::new();
        let mut spread = Vec::new();
        if let Some(d) = &svc.deploy {
            for (i, c) in d.placement.constraints.iter().enumerate() {
                let path = svc_path(name, &format!("deploy.placement.constraints[{i}]"));
                let (k, op, v) = if let Some((k, v)) = c.split_once("==") {
                    (k.trim(), "In", v.trim())
                } else if let Some((k, v)) = c.split_once("!=") {
                    (k.trim(), "NotIn", v.trim())
                } else {
                    self.report.error(
                        &path,
                        format!("constraint {c:?} is not KEY==VALUE or KEY!=VALUE"),
                        None,
                    );
                    continue;
                };
                let key = match k {
                    "node.hostname" => "kubernetes.io/hostname".to_string(),
                    "node.platform.os" => "kubernetes.io/os".to_string(),
                    "node.platform.arch" => "kubernetes.io/arch".to_string(),
                    "engine.labels.operatingsystem" => {
                        self.report.warn(&path, format!("engine OS {v:?} has no node label; kubernetes.io/os only knows linux and windows: ignored"), None);
                        continue;
                    }
                    k if k.starts_with("node.labels.") => {
                        k.trim_start_matches("node.labels.").to_string()
                    }
                    k if k.starts_with("engine.labels.") => {
                        k.trim_start_matches("engine.labels.").to_string()
                    }
                    other => {
                        self.report.warn(
                            &path,
                            format!(
                                "constraint on {other:?} has no Kubernetes node label: ignored"
                            ),
                            None,
                        );
                        continue;
                    }
                };
                if !names::is_qualified_key(&key) || !names::is_label_value(v) {
                    self.report.warn(
                        &path,
                        format!("{key}={v} is not a valid node label: ignored"),
                        None,
                    );
                    continue;
                }
                exprs.push(NodeSelectorRequirement {
                    key,
                    operator: op.into(),
                    values: Some(vec![v.to_string()]),
                });
            }
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
                spread.push(TopologySpreadConstraint {
                    max_skew: 1,
                    topology_key: key.to_string(),
                    when_unsatisfiable: "ScheduleAnyway".into(),
                    label_selector: Some(LabelSelector {
                        match_labels: Some(self.selector(&self.base[name])),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
            if let Some(n) = d.placement.max_replicas_per_node.filter(|n| *n > 0) {
                self.report.warn(&svc_path(name, "deploy.placement.max_replicas_per_node"), format!("at most {n} per node → a hard topologySpreadConstraint over hostnames (maxSkew {n})"), None);
                spread.push(TopologySpreadConstraint {
                    max_skew: i32::try_from(n).unwrap_or(i32::MAX),
                    topology_key: "kubernetes.io/hostname".into(),
                    when_unsatisfiable: "DoNotSchedule".into(),
                    label_selector: Some(LabelSelector {
                        match_labels: Some(self.selector(&self.base[name])),
                        ..Default::default()
                    }),
                    ..Default::default()
                });
            }
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
        // Networks without --network-policies: say once per service what is lost.
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
                if !c.aliases.is_empty() {
                    // Aliases become Services in k8s_services.
                }
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

    fn restart_policy(&mut self, name: &str, svc: &ComposeService, kind: WorkloadKind) -> String {
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

    fn replicas(&mut self, name: &str, svc: &ComposeService, kind: WorkloadKind) -> i32 {
        let _ = kind;
        let n = svc.scale();
        match i32::try_from(n) {
            Ok(n) if n >= 0 => n,
            _ => {
                self.report.error(
                    &svc_path(name, "deploy.replicas"),
                    format!("{n} replicas is out of range"),
                    None,
                );
                1
            }
        }
    }

    fn strategy(
        &mut self,
        name: &str,
        svc: &ComposeService,
        rwo_claim: bool,
        replicas: i32,
    ) -> Option<DeploymentStrategy> {
        let uc = svc.deploy.as_ref().and_then(|d| d.update_config.clone());
        if svc
            .deploy
            .as_ref()
            .is_some_and(|d| d.rollback_config.is_some())
        {
            self.report.warn(
                &svc_path(name, "deploy.rollback_config"),
                "rollbacks are done with `kubectl rollout undo`: ignored",
                None,
            );
        }
        if rwo_claim {
            if replicas > 1 {
                self.report.warn(
                    &svc_path(name, "volumes"),
                    format!("{replicas} replicas mount one ReadWriteOnce claim: pods on different nodes cannot start"),
                    Some("use ReadWriteMany storage (x-berth.access_modes), or one replica".into()),
                );
            }
            if uc.is_some() {
                self.report.warn(
                    &svc_path(name, "deploy.update_config"),
                    "the service mounts a ReadWriteOnce claim, so it is updated with Recreate",
                    None,
                );
            }
            return Some(DeploymentStrategy {
                type_: Some("Recreate".into()),
                rolling_update: None,
            });
        }
        let uc = uc?;
        let path = svc_path(name, "deploy.update_config");
        if uc.delay.is_some()
            || uc.failure_action.is_some()
            || uc.monitor.is_some()
            || uc.max_failure_ratio.is_some()
        {
            self.report.warn(&path, "delay, failure_action, monitor and max_failure_ratio: ignored (use minReadySeconds and progressDeadlineSeconds)", None);
        }
        let par = uc
            .parallelism
            .filter(|p| *p > 0)
            .map_or(1, |p| p.min(i32::MAX as u64) as i32);
        let (surge, unavail) = match uc.order.as_deref() {
            Some("start-first") => (par, 0),
            _ => (0, par),
        };
        Some(DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(IntOrString::Int(surge)),
                max_unavailable: Some(IntOrString::Int(unavail)),
            }),
        })
    }

    fn job_spec(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
        template: PodTemplateSpec,
        replicas: i32,
    ) -> JobSpec {
        let restart = svc.restart.as_deref().unwrap_or("");
        let mut backoff = st.backoff_limit;
        if backoff.is_none() {
            if let Some(n) = restart.strip_prefix("on-failure:") {
                backoff = n.parse().ok();
            } else if restart == "no" {
                backoff = Some(0);
            }
            if let Some(n) = svc
                .deploy
                .as_ref()
                .and_then(|d| d.restart_policy.as_ref())
                .and_then(|r| r.max_attempts)
            {
                backoff = Some(n.min(1000) as i32);
            }
        }
        if replicas != 1 {
            self.report.warn(&svc_path(name, "deploy.replicas"), format!("{replicas} replicas of a one-shot task: run {replicas} pods in parallel (completions {replicas})"), None);
        }
        JobSpec {
            backoff_limit: backoff,
            completions: (replicas != 1).then_some(replicas),
            parallelism: (replicas != 1).then_some(replicas),
            template,
            ..Default::default()
        }
    }

    fn annotations(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (k, v) in svc.labels.iter().chain(svc.annotations.iter()) {
            if st.consumed_labels.contains(k) || k.starts_with("com.docker.compose.") {
                continue;
            }
            if names::is_qualified_key(k) {
                out.insert(k.clone(), v.clone());
            } else {
                self.report.warn(
                    &svc_path(name, &format!("labels.{k}")),
                    format!("{k:?} is not a valid annotation key: not copied"),
                    None,
                );
            }
        }
        out
    }

    fn workload_annotations(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if let Some(d) = &svc.deploy {
            for (k, v) in &d.labels {
                if names::is_qualified_key(k) {
                    out.insert(k.clone(), v.clone());
                } else {
                    self.report.warn(
                        &svc_path(name, &format!("deploy.labels.{k}")),
                        format!("{k:?} is not a valid annotation key: not copied"),
                        None,
                    );
                }
            }
            if d.endpoint_mode.as_deref() == Some("dnsrr") {
                // Handled in k8s_services.
            }
        }
        out
    }

    // -----------------------------------------------------------------------------------------
    // Services, Ingress, HPA
    // -----------------------------------------------------------------------------------------

    /// The Service(s) of a service: returns the name of the main one and its type value.
    fn k8s_services(
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
            if let Some(by) = &reached_by {
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
            headless = true;
        }
        let t = stype.unwrap_or(ServiceType::ClusterIp);
        let k8s_ports: Vec<ServicePort> = ports
            .iter()
            .enumerate()
            .map(|(i, p)| ServicePort {
                name: p.name.clone(),
                port: p.port,
                target_port: Some(IntOrString::Int(p.target)),
                protocol: Some(p.protocol.clone()),
                app_protocol: p.app_protocol.clone(),
                node_port: (i == 0
                    && matches!(t, ServiceType::NodePort | ServiceType::LoadBalancer))
                .then_some(st.node_port)
                .flatten(),
            })
            .collect();
        if st.node_port.is_some() && !matches!(t, ServiceType::NodePort | ServiceType::LoadBalancer)
        {
            self.report.warn(
                &svc_path(name, "labels"),
                "a node port needs a NodePort or LoadBalancer Service: ignored",
                None,
            );
        }
        if st.node_port.is_some() && ports.len() > 1 {
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
        // Aliases on networks and links: more names for the same pods.
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
        let type_value = (!headless).then_some(t.k8s_type());
        (Some(base.to_string()), type_value)
    }

    /// The headless Service that governs a StatefulSet's pod names.
    fn governing_service(
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

    fn ingress(
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

    fn hpa(&mut self, name: &str, base: &str, st: &ServiceSettings, kind: WorkloadKind) {
        let Some(h) = &st.hpa else { return };
        if !matches!(kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet) {
            self.report.error(
                &svc_path(name, "x-berth.hpa"),
                format!("a {} cannot be autoscaled", kind.as_str()),
                None,
            );
            return;
        }
        let mut metrics = Vec::new();
        for (res, pct) in [("cpu", h.cpu), ("memory", h.memory)] {
            if let Some(p) = pct {
                metrics.push(MetricSpec {
                    type_: "Resource".into(),
                    resource: Some(ResourceMetricSource {
                        name: res.into(),
                        target: MetricTarget {
                            type_: "Utilization".into(),
                            average_utilization: Some(p),
                            ..Default::default()
                        },
                    }),
                    ..Default::default()
                });
            }
        }
        let has_requests =
            self.p.services[name].deploy.as_ref().is_some_and(|d| {
                d.resources.limits.is_some() || d.resources.reservations.is_some()
            }) || self.p.services[name].mem_limit.is_some()
                || self.p.services[name].cpus.is_some();
        if !has_requests {
            self.report.warn(
                &svc_path(name, "deploy.resources"),
                "the autoscaler measures utilisation against requests, and the service has none",
                Some("set deploy.resources.reservations".into()),
            );
        }
        self.objects
            .push(Object::HorizontalPodAutoscaler(HorizontalPodAutoscaler {
                metadata: meta(base, self.selector(base)),
                spec: Some(HorizontalPodAutoscalerSpec {
                    min_replicas: Some(h.min),
                    max_replicas: h.max,
                    metrics: (!metrics.is_empty()).then_some(metrics),
                    scale_target_ref: CrossVersionObjectReference {
                        api_version: Some("apps/v1".into()),
                        kind: kind.as_str().into(),
                        name: base.to_string(),
                    },
                    ..Default::default()
                }),
                ..Default::default()
            }));
    }

    // -----------------------------------------------------------------------------------------
    // NetworkPolicies and top-level keys
    // -----------------------------------------------------------------------------------------

    fn network_policies(&mut self) {
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
            let users = p
                .services
                .values()
                .filter(|s| s.networks.contains_key(net))
                .count();
            if users == 0 {
                continue;
            }
            let key = network_label(net);
            let sel = BTreeMap::from([(key, "true".to_string())]);
            let mut labels = plabels.clone();
            labels.extend(sel.clone());
            self.objects.push(Object::NetworkPolicy(NetworkPolicy {
                metadata: meta(
                    &names::derived(&proj, &format!("net-{}", names::label(net, 40))),
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
        // Services reachable from outside the cluster.
        for (name, svc) in &p.services {
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
            let _ = svc;
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

    fn top_level_keys(&mut self) {
        let p = self.p;
        for (name, n) in &p.networks {
            let path = format!("networks.{name}");
            if n.driver
                .as_deref()
                .is_some_and(|d| !d.is_empty() && d != "bridge" && d != "overlay")
            {
                self.report.warn(
                    &format!("{path}.driver"),
                    "network drivers do not exist in Kubernetes: ignored",
                    None,
                );
            }
            if !n.ipam.is_empty() {
                self.report.warn(
                    &format!("{path}.ipam"),
                    "address ranges are set by the cluster: ignored",
                    None,
                );
            }
            if n.external {
                self.report.info(
                    &format!("{path}.external"),
                    "external network: the services on it are reached through their own Services",
                    None,
                );
            }
            if n.enable_ipv6 == Some(true) {
                self.report.info(
                    &format!("{path}.enable_ipv6"),
                    "IP families are set by the cluster",
                    None,
                );
            }
        }
        for (name, v) in &p.volumes {
            if !v.labels.is_empty() && v.labels.keys().any(|k| !k.starts_with("kompose.")) {
                self.report.info(
                    &format!("volumes.{name}.labels"),
                    "volume labels are not copied",
                    None,
                );
            }
        }
        for k in p.extensions.keys() {
            if k != "x-berth" {
                self.report
                    .info(k, "extension key: not used by berth", None);
            }
        }
    }
}

/// The label that marks pods on compose network `net`.
pub fn network_label(net: &str) -> String {
    format!("berth/network-{}", names::label(net, 50))
}

/// The projected service-account token an init container uses to read Jobs.
fn api_access_volume() -> Volume {
    Volume {
        name: "kube-api-access".into(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o444),
            sources: Some(vec![
                VolumeProjection {
                    service_account_token: Some(ServiceAccountTokenProjection {
                        path: "token".into(),
                        expiration_seconds: Some(3600),
                        audience: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    config_map: Some(ConfigMapProjection {
                        name: "kube-root-ca.crt".into(),
                        items: Some(vec![KeyToPath {
                            key: "ca.crt".into(),
                            path: "ca.crt".into(),
                            mode: None,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                },
                VolumeProjection {
                    downward_api: Some(DownwardAPIProjection {
                        items: Some(vec![DownwardAPIVolumeFile {
                            path: "namespace".into(),
                            field_ref: Some(ObjectFieldSelector {
                                api_version: Some("v1".into()),
                                field_path: "metadata.namespace".into(),
                            }),
                            ..Default::default()
                        }]),
                    }),
                    ..Default::default()
                },
            ]),
        }),
        ..Default::default()
    }
}

/// Whether the pod mounts a claim that is ReadWriteOnce (so a rolling update could deadlock).
fn pod_has_rwo_claim(t: &PodTemplateSpec, objects: &[Object]) -> bool {
    let Some(spec) = &t.spec else { return false };
    for v in spec.volumes.iter().flatten() {
        let Some(c) = &v.persistent_volume_claim else {
            continue;
        };
        let rwo = objects.iter().any(|o| match o {
            Object::PersistentVolumeClaim(p) => {
                p.metadata.name.as_deref() == Some(c.claim_name.as_str())
                    && p.spec
                        .as_ref()
                        .and_then(|s| s.access_modes.as_ref())
                        .is_some_and(|m| m.iter().any(|x| x == "ReadWriteOnce"))
            }
            _ => false,
        });
        // An external claim's modes are unknown: assume the common case.
        let external = !objects.iter().any(|o| matches!(o, Object::PersistentVolumeClaim(p) if p.metadata.name.as_deref() == Some(c.claim_name.as_str())));
        if rwo || external {
            return true;
        }
    }
    false
}
