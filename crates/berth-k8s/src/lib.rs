//! Compose to Kubernetes: `berth convert` and `berth lint`.
//!
//! [`convert`] maps a loaded project ([`berth_compose::load::LoadedProject`]) to typed
//! Kubernetes objects (k8s-openapi, API surface of Kubernetes 1.29, the oldest version berth
//! targets) and a [`report::Report`] of everything approximated or refused. It reads no files:
//! the caller lists what it needs with [`files_needed`] and reads it with [`read_files`]. [`output`] prints
//! them (YAML or JSON, one stream or a file per object), [`helm`] writes a chart whose default
//! rendering is the same objects, [`check`] verifies what the API server would reject and
//! schemas do not catch, and [`lint`] lists what a security review will ask about.
//! [`pulled_images`] is the one rule for which images the objects pull (`convert --images`,
//! `bundle save`); [`secrets`] lists the Secrets the objects reference without holding their
//! values, and writes the `kubectl create secret` commands that create them.
//!
//! docs/convert.md explains every mapping decision.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod check;
mod convert;
pub mod customer;
pub mod helm;
mod image_facts;
mod images;
pub mod lint;
pub mod names;
pub mod output;
mod read;
pub mod report;
mod review;
pub mod secrets;
pub mod settings;
mod sources;
mod units;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, PodTemplateSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub use convert::{
    convert, ChartModel, ChartPvc, ChartService, Conversion, ConvertOptions, ImageParts,
};
pub use image_facts::ImageFacts;
pub use images::{images, pulled_images, ImageUse, PulledImage};
pub use read::read_files;
pub use review::{convert_reviewed, Reviewed};
pub use sources::{files_needed, Mounted, Needed, Sources};

/// The Kubernetes versions berth's output is valid for.
pub const KUBE_VERSIONS: &[&str] = &["1.29", "1.30", "1.31", "1.32"];

/// Default image of the init containers that wait for a Service (busybox: `nc` and `nslookup`).
pub const DEFAULT_WAIT_IMAGE: &str = "busybox:1.36.1";
/// Default image of the init containers that wait for a Job to complete (`curl` to the API).
pub const DEFAULT_JOB_WAIT_IMAGE: &str = "curlimages/curl:8.11.1";

/// One Kubernetes object of the output. (Variants differ in size; a conversion holds a few
/// thousand objects at most, so they are not boxed.)
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    ServiceAccount(ServiceAccount),
    Role(Role),
    RoleBinding(RoleBinding),
    Secret(Secret),
    ConfigMap(ConfigMap),
    PersistentVolumeClaim(PersistentVolumeClaim),
    Service(Service),
    Deployment(Deployment),
    StatefulSet(StatefulSet),
    DaemonSet(DaemonSet),
    Job(Job),
    CronJob(CronJob),
    Ingress(Ingress),
    NetworkPolicy(NetworkPolicy),
    HorizontalPodAutoscaler(HorizontalPodAutoscaler),
}

impl Object {
    /// The kind, as in `kind:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::Namespace(_) => "Namespace",
            Object::ServiceAccount(_) => "ServiceAccount",
            Object::Role(_) => "Role",
            Object::RoleBinding(_) => "RoleBinding",
            Object::Secret(_) => "Secret",
            Object::ConfigMap(_) => "ConfigMap",
            Object::PersistentVolumeClaim(_) => "PersistentVolumeClaim",
            Object::Service(_) => "Service",
            Object::Deployment(_) => "Deployment",
            Object::StatefulSet(_) => "StatefulSet",
            Object::DaemonSet(_) => "DaemonSet",
            Object::Job(_) => "Job",
            Object::CronJob(_) => "CronJob",
            Object::Ingress(_) => "Ingress",
            Object::NetworkPolicy(_) => "NetworkPolicy",
            Object::HorizontalPodAutoscaler(_) => "HorizontalPodAutoscaler",
        }
    }

    /// Apply order: what others refer to comes first (Namespace, then identities, then
    /// configuration and storage, then Services, then workloads, then what points at them).
    pub fn rank(&self) -> u8 {
        match self {
            Object::Namespace(_) => 0,
            Object::ServiceAccount(_) => 1,
            Object::Role(_) => 2,
            Object::RoleBinding(_) => 3,
            Object::Secret(_) => 4,
            Object::ConfigMap(_) => 5,
            Object::PersistentVolumeClaim(_) => 6,
            Object::Service(_) => 7,
            Object::Deployment(_) => 8,
            Object::StatefulSet(_) => 9,
            Object::DaemonSet(_) => 10,
            Object::Job(_) => 11,
            Object::CronJob(_) => 12,
            Object::Ingress(_) => 13,
            Object::NetworkPolicy(_) => 14,
            Object::HorizontalPodAutoscaler(_) => 15,
        }
    }

    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Object::Namespace(o) => &o.metadata,
            Object::ServiceAccount(o) => &o.metadata,
            Object::Role(o) => &o.metadata,
            Object::RoleBinding(o) => &o.metadata,
            Object::Secret(o) => &o.metadata,
            Object::ConfigMap(o) => &o.metadata,
            Object::PersistentVolumeClaim(o) => &o.metadata,
            Object::Service(o) => &o.metadata,
            Object::Deployment(o) => &o.metadata,
            Object::StatefulSet(o) => &o.metadata,
            Object::DaemonSet(o) => &o.metadata,
            Object::Job(o) => &o.metadata,
            Object::CronJob(o) => &o.metadata,
            Object::Ingress(o) => &o.metadata,
            Object::NetworkPolicy(o) => &o.metadata,
            Object::HorizontalPodAutoscaler(o) => &o.metadata,
        }
    }

    pub fn metadata_mut(&mut self) -> &mut ObjectMeta {
        match self {
            Object::Namespace(o) => &mut o.metadata,
            Object::ServiceAccount(o) => &mut o.metadata,
            Object::Role(o) => &mut o.metadata,
            Object::RoleBinding(o) => &mut o.metadata,
            Object::Secret(o) => &mut o.metadata,
            Object::ConfigMap(o) => &mut o.metadata,
            Object::PersistentVolumeClaim(o) => &mut o.metadata,
            Object::Service(o) => &mut o.metadata,
            Object::Deployment(o) => &mut o.metadata,
            Object::StatefulSet(o) => &mut o.metadata,
            Object::DaemonSet(o) => &mut o.metadata,
            Object::Job(o) => &mut o.metadata,
            Object::CronJob(o) => &mut o.metadata,
            Object::Ingress(o) => &mut o.metadata,
            Object::NetworkPolicy(o) => &mut o.metadata,
            Object::HorizontalPodAutoscaler(o) => &mut o.metadata,
        }
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    /// Whether the object lives in a namespace.
    pub fn is_namespaced(&self) -> bool {
        !matches!(self, Object::Namespace(_))
    }

    /// The pod template of a workload.
    pub fn pod_template(&self) -> Option<&PodTemplateSpec> {
        match self {
            Object::Deployment(o) => o.spec.as_ref().map(|s| &s.template),
            Object::StatefulSet(o) => o.spec.as_ref().map(|s| &s.template),
            Object::DaemonSet(o) => o.spec.as_ref().map(|s| &s.template),
            Object::Job(o) => o.spec.as_ref().map(|s| &s.template),
            Object::CronJob(o) => o
                .spec
                .as_ref()
                .and_then(|s| s.job_template.spec.as_ref())
                .map(|s| &s.template),
            _ => None,
        }
    }

    /// The object as JSON, keys sorted at every level (the order `kubectl get -o yaml` uses).
    pub fn to_value(&self) -> serde_json::Value {
        let v = match self {
            Object::Namespace(o) => serde_json::to_value(o),
            Object::ServiceAccount(o) => serde_json::to_value(o),
            Object::Role(o) => serde_json::to_value(o),
            Object::RoleBinding(o) => serde_json::to_value(o),
            Object::Secret(o) => serde_json::to_value(o),
            Object::ConfigMap(o) => serde_json::to_value(o),
            Object::PersistentVolumeClaim(o) => serde_json::to_value(o),
            Object::Service(o) => serde_json::to_value(o),
            Object::Deployment(o) => serde_json::to_value(o),
            Object::StatefulSet(o) => serde_json::to_value(o),
            Object::DaemonSet(o) => serde_json::to_value(o),
            Object::Job(o) => serde_json::to_value(o),
            Object::CronJob(o) => serde_json::to_value(o),
            Object::Ingress(o) => serde_json::to_value(o),
            Object::NetworkPolicy(o) => serde_json::to_value(o),
            Object::HorizontalPodAutoscaler(o) => serde_json::to_value(o),
        };
        // The k8s-openapi types serialise infallibly (no maps with non-string keys).
        sort_keys(v.unwrap_or(serde_json::Value::Null))
    }
}

/// Sorts object keys at every level.
pub fn sort_keys(mut v: serde_json::Value) -> serde_json::Value {
    sort_keys_in_place(&mut v);
    v
}

/// [`sort_keys`] without moving the value: each map is reordered where it is.
fn sort_keys_in_place(v: &mut serde_json::Value) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            m.sort_keys();
            m.values_mut().for_each(sort_keys_in_place);
        }
        J::Array(a) => a.iter_mut().for_each(sort_keys_in_place),
        _ => {}
    }
}

/// Sorts objects by kind (apply order) then name.
pub fn sort_objects(objects: &mut [Object]) {
    objects.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.name().cmp(b.name())));
}
