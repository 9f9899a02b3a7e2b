//! What a Helm chart parameterises: the model [`crate::helm`] writes values and templates from,
//! filled as each service is converted.

use std::collections::BTreeMap;

use super::workload::{MainContainer, Unit};
use super::{Ctx, Object};
use crate::settings::{IngressSettings, WorkloadKind};
use berth_compose::image::ImageRef;

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
    /// The claim's own class; empty when it is the chart's default ([`ChartModel::storage_class`]).
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
    /// Job name → the annotations that make it a Helm hook (see `jobs.rs`).
    pub job_hooks: BTreeMap<String, BTreeMap<String, String>>,
    /// Images of the init containers, as written.
    pub wait_image: String,
    pub job_wait_image: String,
    /// Whether secret values are in the objects (`--embed-secrets`).
    pub embed_secrets: bool,
    /// The Secrets of compose `secrets:` that the objects reference and do not hold: compose
    /// key → the Secret's name (values `secrets.<key>.existingSecret`).
    pub secrets: BTreeMap<String, String>,
    /// The storage class of claims that name none of their own (`--storage-class`, project
    /// `x-berth.storage_class`; values `global.storageClass`), empty for the cluster's default.
    pub storage_class: String,
}

impl<'a> Ctx<'a> {
    /// The chart values of a converted service.
    pub(super) fn chart_service(
        &mut self,
        u: &Unit,
        main: &MainContainer,
        replicas: i32,
        service: Option<(String, String)>,
        ingress_port: Option<i32>,
    ) {
        let persistence = self.chart_templates(u.name);
        let kind = u.kind;
        self.chart.services.insert(
            u.name.to_string(),
            ChartService {
                base: u.base.clone(),
                kind,
                image: ImageParts::of(&main.image),
                replicas: matches!(kind, WorkloadKind::Deployment | WorkloadKind::StatefulSet)
                    .then_some(replicas),
                resources: main
                    .container
                    .resources
                    .as_ref()
                    .map(|r| crate::sort_keys(serde_json::to_value(r).unwrap_or_default()))
                    .unwrap_or_else(|| serde_json::json!({})),
                env: main.env.clone(),
                secret_env: main.secret_env.clone(),
                env_configmap: main.env_configmap.clone(),
                env_secret: main.env_secret.clone(),
                image_pull_secrets: self.pull_secrets(&u.st),
                persistence,
                service,
                ingress: u.st.ingress.clone().filter(|_| ingress_port.is_some()),
                ingress_port: ingress_port.unwrap_or(0),
                ports: self.ports[u.name].iter().map(|p| p.port).collect(),
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
                            storage_class: spec
                                .storage_class_name
                                .filter(|c| *c != self.chart.storage_class)
                                .unwrap_or_default(),
                            access_modes: spec.access_modes.unwrap_or_default(),
                        },
                    );
                }
            }
        }
        out
    }
}
