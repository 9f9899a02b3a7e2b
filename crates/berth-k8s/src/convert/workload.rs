//! One service as a workload: the steps that make its container, init containers and pod, then
//! the Deployment, StatefulSet, DaemonSet, Job or CronJob around them, its update strategy and
//! restart limits, and its autoscaler.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, DeploymentStrategy, StatefulSet,
    StatefulSetSpec,
};
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, LocalObjectReference, PersistentVolumeClaim, PodSecurityContext,
    PodSpec, PodTemplateSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::container::escape_kubelet;
use super::network::network_label;
use super::rollout::REVISION_HISTORY;
use super::storage::PodVolumes;
use super::{meta, names, svc_path, Ctx, Object};
use crate::settings::{ServiceSettings, WorkloadKind};
use berth_compose::model::Service as ComposeService;

/// One service being converted: what every step needs to know about it.
pub(super) struct Unit<'s> {
    pub(super) name: &'s str,
    pub(super) svc: &'s ComposeService,
    /// The Kubernetes name.
    pub(super) base: String,
    pub(super) kind: WorkloadKind,
    pub(super) st: ServiceSettings,
    /// The labels that select its pods.
    pub(super) sel: BTreeMap<String, String>,
}

/// The main container, and what was made along with it.
pub(super) struct MainContainer {
    pub(super) container: Container,
    /// The image, as the pods run it.
    pub(super) image: String,
    /// The environment: plain settings, and the secret-looking ones.
    pub(super) env: BTreeMap<String, String>,
    pub(super) secret_env: BTreeMap<String, String>,
    /// Names of the ConfigMap and the Secret of the environment.
    pub(super) env_configmap: String,
    pub(super) env_secret: String,
    /// The pod's security context (some compose keys are pod-wide in Kubernetes).
    pub(super) pod_security: Option<PodSecurityContext>,
}

impl<'a> Ctx<'a> {
    /// Converts service `name`: its objects, findings and chart values.
    pub(super) fn service(&mut self, name: &str) {
        let p = self.p;
        let svc = &p.services[name];
        let base = self.base[name].clone();
        let u = Unit {
            name,
            svc,
            sel: self.selector(&base),
            base,
            kind: self.kinds[name],
            st: self.settings[name].clone(),
        };
        self.unhandled_keys(name, svc);
        self.simple_warnings(name, svc, &u.st);
        let mut pod_volumes = PodVolumes::default();
        let mut claim_templates = Vec::new();
        let main = self.main_container(&u, &mut pod_volumes, &mut claim_templates);
        let mut waits_for_jobs = Vec::new();
        let init = self.init_containers(&u, &mut waits_for_jobs, &mut pod_volumes);
        let template = self.pod_template(&u, &main, init, &waits_for_jobs, pod_volumes);
        let (service_name, primary_type) = self.k8s_services(name, svc, &u.base, &u.st, u.kind);
        let replicas = self.workload(&u, template, claim_templates);
        let ingress_port = self.ingress(name, &u.base, &u.st, service_name.as_deref());
        self.hpa(name, &u.base, &u.st, u.kind);
        let service = service_name.zip(primary_type.map(|t| t.to_string()));
        self.chart_service(&u, &main, replicas, service, ingress_port);
    }

    /// The main container: image, command, environment, ports, probes, resources, security
    /// and mounts (the volumes go into `pv`, claim templates into `templates`).
    fn main_container(
        &mut self,
        u: &Unit,
        pv: &mut PodVolumes,
        templates: &mut Vec<PersistentVolumeClaim>,
    ) -> MainContainer {
        let (name, svc) = (u.name, u.svc);
        let mut container = Container {
            name: names::label(&u.base, names::LABEL_MAX),
            ..Default::default()
        };
        let image = self.image(name, svc);
        container.image = Some(image.clone());
        container.image_pull_policy = Some(self.pull_policy(name, svc, &u.st));
        self.command(name, svc, &mut container);
        let (env, secret_env) = self.environment(name, svc);
        let (env_from, env_configmap, env_secret) =
            self.env_objects(name, &u.base, &u.sel, &env, &secret_env);
        if !env_from.is_empty() {
            container.env_from = Some(env_from);
        }
        container.ports = self.container_port_list(name);
        self.probes(name, svc, &u.st, &mut container);
        container.resources = self.resources(name, svc);
        let (ctr_sc, mut pod_security) = self.security(name, svc, &u.st);
        container.security_context = ctr_sc;
        let mut mounts = self.volumes(name, svc, u.kind, pv, templates);
        self.claim_storage(
            name,
            svc,
            &env,
            &mut container,
            &mut mounts,
            pv,
            templates,
            &mut pod_security,
        );
        mounts.extend(self.secret_mounts(name, svc, pv));
        if !mounts.is_empty() {
            container.volume_mounts = Some(mounts);
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
        MainContainer {
            container,
            image,
            env,
            secret_env,
            env_configmap,
            env_secret,
            pod_security,
        }
    }

    /// The container's `ports`.
    fn container_port_list(&self, name: &str) -> Option<Vec<ContainerPort>> {
        let ctr_ports = &self.container_ports[name];
        (!ctr_ports.is_empty()).then(|| {
            ctr_ports
                .iter()
                .map(|p| ContainerPort {
                    container_port: p.target,
                    name: p.name.clone(),
                    protocol: Some(p.protocol.clone()),
                    ..Default::default()
                })
                .collect()
        })
    }

    /// The init containers: one per dependency to wait for (the Jobs among them go into
    /// `waits_for_jobs`), then the one the settings add.
    fn init_containers(
        &mut self,
        u: &Unit,
        waits_for_jobs: &mut Vec<String>,
        pv: &mut PodVolumes,
    ) -> Vec<Container> {
        let mut init = Vec::new();
        self.waits(u.name, u.svc, &mut init, waits_for_jobs, pv);
        if let Some(ic) = &u.st.init_container {
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
        init
    }

    /// The pull secrets of a service's pods: its own, then the project's.
    pub(super) fn pull_secrets(&self, st: &ServiceSettings) -> Vec<String> {
        let mut pull_secrets = st.image_pull_secrets.clone();
        for s in &self.ps.image_pull_secrets {
            if !pull_secrets.contains(s) {
                pull_secrets.push(s.clone());
            }
        }
        pull_secrets
    }

    /// The pod template: the containers, the pod-level settings, labels and annotations.
    fn pod_template(
        &mut self,
        u: &Unit,
        main: &MainContainer,
        init: Vec<Container>,
        waits_for_jobs: &[String],
        pod_volumes: PodVolumes,
    ) -> PodTemplateSpec {
        let (name, svc) = (u.name, u.svc);
        let mut pod = PodSpec {
            containers: vec![main.container.clone()],
            enable_service_links: Some(false),
            ..Default::default()
        };
        if !init.is_empty() {
            pod.init_containers = Some(init);
        }
        pod.security_context = main.pod_security.clone();
        if self.opts.harden {
            pod.automount_service_account_token = Some(false);
        }
        pod.service_account_name = self.service_account(name, &u.base, &u.st, waits_for_jobs);
        let pull_secrets = self.pull_secrets(&u.st);
        if !pull_secrets.is_empty() {
            pod.image_pull_secrets = Some(
                pull_secrets
                    .iter()
                    .map(|s| LocalObjectReference { name: s.clone() })
                    .collect(),
            );
        }
        self.pod_extras(name, svc, &mut pod);
        pod.restart_policy = Some(self.restart_policy(name, svc, u.kind));
        if !pod_volumes.volumes.is_empty() {
            pod.volumes = Some(pod_volumes.volumes);
        }
        let mut pod_labels = u.sel.clone();
        if self.opts.network_policies {
            for net in self.networks_of(svc) {
                pod_labels.insert(network_label(&net), "true".into());
            }
        }
        let annotations = self.annotations(name, svc, &u.st);
        PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..Default::default()
            }),
            spec: Some(pod),
        }
    }

    /// The workload object of the service's kind around `template`; its replicas.
    fn workload(
        &mut self,
        u: &Unit,
        template: PodTemplateSpec,
        claim_templates: Vec<PersistentVolumeClaim>,
    ) -> i32 {
        let (name, svc) = (u.name, u.svc);
        let replicas = self.replicas(name, svc, u.kind);
        let workload_meta = {
            let mut m = meta(&u.base, u.sel.clone());
            let wa = self.workload_annotations(name, svc);
            if !wa.is_empty() {
                m.annotations = Some(wa);
            }
            m
        };
        let selector = LabelSelector {
            match_labels: Some(u.sel.clone()),
            ..Default::default()
        };
        let object = match u.kind {
            WorkloadKind::Deployment => {
                let has_rwo_claim = pod_has_rwo_claim(&template, &self.objects);
                if has_rwo_claim && replicas > 1 {
                    self.report.warn(
                        &svc_path(name, "volumes"),
                        format!("{replicas} replicas mount one ReadWriteOnce claim: pods on different nodes cannot start"),
                        Some("use ReadWriteMany storage (x-berth.access_modes), or one replica".into()),
                    );
                }
                let rollout = self.rollout(name, svc, u.kind, &u.base, has_rwo_claim);
                // A rolling update would start the new pod while the old one holds the claim.
                let strategy = if has_rwo_claim {
                    Some(DeploymentStrategy {
                        type_: Some("Recreate".into()),
                        rolling_update: None,
                    })
                } else {
                    rollout.deployment_strategy()
                };
                Object::Deployment(Deployment {
                    metadata: workload_meta,
                    spec: Some(DeploymentSpec {
                        replicas: Some(replicas),
                        selector,
                        strategy,
                        min_ready_seconds: rollout.min_ready_seconds,
                        revision_history_limit: Some(REVISION_HISTORY),
                        template,
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            }
            WorkloadKind::StatefulSet => {
                if replicas > 1 && !claim_templates.is_empty() {
                    self.report.warn(
                        &svc_path(name, "deploy.replicas"),
                        format!("{replicas} replicas of a StatefulSet get one volume each (compose shares one volume between replicas)"),
                        None,
                    );
                }
                let governing = self.governing_service(name, &u.base, &u.sel);
                let rollout = self.rollout(name, svc, u.kind, &u.base, false);
                Object::StatefulSet(StatefulSet {
                    metadata: workload_meta,
                    spec: Some(StatefulSetSpec {
                        replicas: Some(replicas),
                        selector,
                        service_name: governing,
                        min_ready_seconds: rollout.min_ready_seconds,
                        revision_history_limit: Some(REVISION_HISTORY),
                        template,
                        volume_claim_templates: (!claim_templates.is_empty())
                            .then_some(claim_templates),
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            }
            WorkloadKind::DaemonSet => {
                if svc.deploy.as_ref().and_then(|d| d.replicas).is_some() || svc.scale.is_some() {
                    self.report.warn(
                        &svc_path(name, "deploy.replicas"),
                        "a DaemonSet runs one pod per node: replicas is ignored",
                        None,
                    );
                }
                let rollout = self.rollout(name, svc, u.kind, &u.base, false);
                Object::DaemonSet(DaemonSet {
                    metadata: workload_meta,
                    spec: Some(DaemonSetSpec {
                        selector,
                        update_strategy: rollout.daemonset_strategy(),
                        min_ready_seconds: rollout.min_ready_seconds,
                        revision_history_limit: Some(REVISION_HISTORY),
                        template,
                    }),
                    ..Default::default()
                })
            }
            WorkloadKind::Job => {
                self.rollout(name, svc, u.kind, &u.base, false);
                let mut spec = self.job_spec(name, svc, &u.st, template, replicas);
                let mut metadata = workload_meta;
                metadata.name = Some(self.upgradable_job(name, &u.base, &mut spec));
                Object::Job(Job {
                    metadata,
                    spec: Some(spec),
                    ..Default::default()
                })
            }
            WorkloadKind::CronJob => {
                self.rollout(name, svc, u.kind, &u.base, false);
                let spec = self.job_spec(name, svc, &u.st, template, replicas);
                Object::CronJob(CronJob {
                    metadata: workload_meta,
                    spec: Some(CronJobSpec {
                        schedule: u.st.schedule.clone().unwrap_or_default(),
                        concurrency_policy: u.st.concurrency_policy.clone(),
                        job_template: JobTemplateSpec {
                            metadata: Some(ObjectMeta {
                                labels: Some(u.sel.clone()),
                                ..Default::default()
                            }),
                            spec: Some(spec),
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                })
            }
        };
        self.objects.push(object);
        replicas
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

    fn workload_annotations(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> BTreeMap<String, String> {
        // (`deploy.endpoint_mode: dnsrr` is handled in k8s_services.)
        match &svc.deploy {
            Some(d) => self.valid_annotations(name, "deploy.labels", d.labels.iter()),
            None => BTreeMap::new(),
        }
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
