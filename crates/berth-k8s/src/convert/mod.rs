//! The compose → Kubernetes mapping. docs/convert.md is the prose version of this module.
//!
//! One pass over the project ([`plan`]) decides, for every service, its workload kind, its base
//! name, which named volumes it owns and whether it needs a Service; a second pass builds the
//! typed objects, a file per concern. Every compose key a service uses is either converted,
//! approximated with a warning or refused with an error (see [`warnings`]); nothing is dropped
//! without a word. Files are read at the edge ([`crate::read_files`]): the conversion looks
//! their contents up in [`Sources`] and touches no filesystem.

mod bare_metal;
mod chart;
mod container;
mod files;
mod jobs;
mod network;
mod plan;
mod pod;
mod probes;
mod rbac;
mod rollout;
mod secrets;
mod storage;
mod waits;
mod warnings;
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::check::Externals;
use super::names;
use super::report::Report;
use super::secrets::SecretToCreate;
use super::settings::{self, ProjectSettings, ServiceSettings, VolumeSettings, WorkloadKind};
use super::sources::Sources;
use super::{Object, DEFAULT_JOB_WAIT_IMAGE, DEFAULT_WAIT_IMAGE};
use berth_compose::image::{self, ImageRef};
use berth_compose::load::LoadedProject;
use berth_compose::model::Project;

pub use chart::{ChartModel, ChartPvc, ChartService, ImageParts};
use network::PortSpec;
use plan::{Mount, VolumePlan};
use storage::BindMap;

/// What the user asked for on the command line.
#[derive(Clone, Debug)]
pub struct ConvertOptions {
    /// Namespace of every object (emitted as a Namespace too); `None` leaves it to kubectl.
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
    /// Put secret values into the output (Secrets with data) instead of referencing Secrets
    /// created outside it ([`crate::secrets`]).
    pub embed_secrets: bool,
    /// `storageClassName` of every claim whose volume or service names no class of its own
    /// (`--storage-class`; wins over the project's `x-berth.storage_class`).
    pub storage_class: Option<String>,
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
            embed_secrets: false,
            storage_class: None,
        }
    }
}

/// The result of a conversion.
#[derive(Clone, Debug)]
pub struct Conversion {
    /// Sorted by kind (apply order) then name.
    pub objects: Vec<Object>,
    /// Everything converted with a loss, refused, or worth a note.
    pub report: Report,
    /// What a chart parameterises.
    pub chart: ChartModel,
    /// Objects referred to but expected to exist already (external volumes, secrets, ...).
    pub externals: Externals,
    /// The Secrets the objects reference and the output does not hold, sorted by name.
    pub secrets: Vec<SecretToCreate>,
}

/// Largest ConfigMap berth writes (the API server's limit is 1 MiB for the whole object).
const CONFIGMAP_MAX: usize = 1000 * 1024;

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

/// The state of one conversion: the plan of the first pass, and the objects and report the
/// second pass adds to.
struct Ctx<'a> {
    lp: &'a LoadedProject,
    p: &'a Project,
    opts: &'a ConvertOptions,
    /// File contents, read by the caller.
    sources: &'a Sources,
    report: Report,
    ps: ProjectSettings,
    instance: String,
    /// compose service → base name.
    base: BTreeMap<String, String>,
    settings: BTreeMap<String, ServiceSettings>,
    kinds: BTreeMap<String, WorkloadKind>,
    mounts: BTreeMap<String, Vec<Mount>>,
    /// Named volume → the services that mount it (from `mounts`).
    volume_users: BTreeMap<String, BTreeSet<String>>,
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
    /// The one-shot tasks: which are waited for, their names.
    jobs: jobs::JobBook,
    wait_image: String,
    job_wait_image: String,
    externals: Externals,
    /// Secrets referenced, not written (see [`crate::secrets`]).
    to_create: Vec<SecretToCreate>,
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

fn svc_path(name: &str, key: &str) -> String {
    format!("services.{name}.{key}")
}

/// Converts a loaded project, with the contents of the files it reads (see
/// [`crate::files_needed`]).
pub fn convert(lp: &LoadedProject, sources: &Sources, opts: &ConvertOptions) -> Conversion {
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
        sources,
        report,
        ps,
        instance: instance.clone(),
        base: BTreeMap::new(),
        settings: BTreeMap::new(),
        kinds: BTreeMap::new(),
        mounts: BTreeMap::new(),
        volume_users: BTreeMap::new(),
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
        jobs: Default::default(),
        wait_image: String::new(),
        job_wait_image: String::new(),
        externals: Default::default(),
        to_create: Vec::new(),
    };
    ctx.wait_image = ctx.image_for_init(&wait_image);
    ctx.job_wait_image = ctx.image_for_init(&job_wait_image);
    ctx.chart.wait_image = ctx.wait_image.clone();
    ctx.chart.job_wait_image = ctx.job_wait_image.clone();
    ctx.chart.embed_secrets = opts.embed_secrets;
    ctx.chart.storage_class = ctx.default_storage_class().unwrap_or_default();
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
    let mut secrets = ctx.to_create;
    secrets.sort_by(|a, b| a.name.cmp(&b.name));
    Conversion {
        objects,
        report,
        chart: ctx.chart,
        externals: ctx.externals,
        secrets,
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

    /// Both passes, in order.
    fn run(&mut self) {
        let p = self.p;
        self.check_options();
        self.name_services();
        for (name, svc) in &p.services {
            let st = settings::service_settings(name, svc, &mut self.report);
            self.settings.insert(name.clone(), st);
        }
        self.expand_mounts();
        self.decide_kinds();
        self.plan_volumes();
        self.plan_services();
        self.project_objects();
        for name in self.conversion_order() {
            self.service(&name);
        }
        self.network_policies();
        self.top_level_keys();
        self.storage_class_warning();
    }

    /// The Kubernetes (base) name of every service: a DNS-1035 label, unique.
    fn name_services(&mut self) {
        let mut by_base: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in self.p.services.keys() {
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
    }

    fn check_options(&mut self) {
        self.check_storage_class();
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
}

/// Converts a project written inline, for the table tests of the concern files.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use berth_compose::load::{load, LoadFlags};
    use berth_compose::options::{ConfigFile, EnvSource, Environment, ProjectOptions};

    /// The project directory of [`load_yaml`]'s projects.
    pub(crate) const DIR: &str = "/proj";

    /// Loads `yaml` as `/proj/compose.yaml`, project `proj`, with `env` as the environment;
    /// nothing is read from disk.
    pub(crate) fn load_yaml(yaml: &str, env: &[(&str, &str)]) -> LoadedProject {
        let mut environment = Environment::default();
        for (k, v) in env {
            environment.set(*k, *v, EnvSource::Shell);
        }
        let opts = ProjectOptions {
            files: vec![ConfigFile {
                path: PathBuf::from(DIR).join("compose.yaml"),
                content: Some(yaml.to_string()),
            }],
            working_dir: PathBuf::from(DIR),
            environment,
            explicit_name: Some("proj".into()),
            profiles: Vec::new(),
            env_files: Vec::new(),
            warnings: Vec::new(),
        };
        load(&opts, &LoadFlags::default()).expect("the test project loads")
    }

    /// Loads and converts `yaml` with `sources` and default options.
    pub(crate) fn convert_yaml(yaml: &str, sources: &Sources) -> Conversion {
        convert(&load_yaml(yaml, &[]), sources, &ConvertOptions::default())
    }

    /// Converts `yaml`, a project that reads no files, with default options.
    pub(crate) fn convert_plain(yaml: &str) -> Conversion {
        convert_yaml(yaml, &Sources::default())
    }

    /// The pod spec of the Deployment called `name`, as JSON.
    pub(crate) fn pod_spec(c: &Conversion, name: &str) -> serde_json::Value {
        object(c, "Deployment", name)["spec"]["template"]["spec"].clone()
    }

    /// The findings of a conversion as `severity path: message` lines, in report order.
    pub(crate) fn findings(c: &Conversion) -> Vec<String> {
        c.report
            .findings
            .iter()
            .map(|f| format!("{:?} {}: {}", f.severity, f.key, f.message))
            .collect()
    }

    /// The object of `kind` called `name`, as JSON.
    pub(crate) fn object(c: &Conversion, kind: &str, name: &str) -> serde_json::Value {
        c.objects
            .iter()
            .find(|o| o.kind() == kind && o.name() == name)
            .map(|o| o.to_value())
            .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", names_of(c)))
    }

    /// `Kind/name` of every object.
    pub(crate) fn names_of(c: &Conversion) -> Vec<String> {
        c.objects
            .iter()
            .map(|o| format!("{}/{}", o.kind(), o.name()))
            .collect()
    }
}
