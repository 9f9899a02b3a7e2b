//! Storage on bare-metal clusters: the storage class of every claim (`--storage-class`, and one
//! warning when claims rely on the cluster's default StorageClass), the pod's `fsGroup` so that
//! a non-root process can write a fresh volume, and the data directories of official images
//! that refuse a non-empty directory (a fresh ext4 volume has `lost+found`).

use k8s_openapi::api::core::v1::{
    Container, EnvVar, PersistentVolumeClaim, PodSecurityContext, VolumeMount,
};

use super::container::parse_user;
use super::storage::PodVolumes;
use super::{names, svc_path, Ctx, Object};
use berth_compose::model::Service as ComposeService;
use std::collections::BTreeMap;

/// How a data directory is kept free of `lost+found`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum DataDir {
    /// `PGDATA` one level below the mount: the postgres entrypoint creates that directory
    /// itself, owned by the user it runs as (initdb must be able to `chmod 0700` it).
    Pgdata,
    /// `subPath: data`: the claim's subdirectory `data` is mounted at the path.
    SubPath,
}

/// Data directories of official images that must be empty on first start: (mount path,
/// images, how).
const DATA_DIRS: &[(&str, &str, DataDir)] = &[
    ("/var/lib/postgresql/data", "postgres", DataDir::Pgdata),
    ("/var/lib/mysql", "mysql and mariadb", DataDir::SubPath),
];

/// Where `PGDATA` goes below a claim mounted at postgres's data directory.
pub(super) const PGDATA: &str = "/var/lib/postgresql/data/pgdata";

/// The subdirectory of the claim mounted at mysql's and mariadb's data directory.
pub(super) const DATA_SUBPATH: &str = "data";

impl<'a> Ctx<'a> {
    /// The storage class of claims whose volume and service name none: `--storage-class`,
    /// else the project's `x-berth.storage_class`.
    pub(super) fn default_storage_class(&self) -> Option<String> {
        self.opts
            .storage_class
            .clone()
            .filter(|c| !c.is_empty())
            .or_else(|| self.ps.storage_class.clone())
    }

    /// `--storage-class` must be a StorageClass name (a DNS-1123 subdomain).
    pub(super) fn check_storage_class(&mut self) {
        if let Some(c) = &self.opts.storage_class {
            if !names::is_dns1123_subdomain(c) {
                self.report.error(
                    "--storage-class",
                    format!("{c:?} is not a StorageClass name (a DNS-1123 subdomain)"),
                    Some("kubectl get storageclass lists the cluster's classes".into()),
                );
            }
        }
    }

    /// One warning naming the claims (standalone and StatefulSet templates) without a storage
    /// class: they stay Pending on a cluster without a default StorageClass.
    pub(super) fn storage_class_warning(&mut self) {
        let mut bare = Vec::new();
        for o in &self.objects {
            match o {
                Object::PersistentVolumeClaim(c) if no_class(c) => {
                    bare.push(o.name().to_string());
                }
                Object::StatefulSet(s) => {
                    for t in s
                        .spec
                        .as_ref()
                        .and_then(|sp| sp.volume_claim_templates.as_ref())
                        .into_iter()
                        .flatten()
                        .filter(|t| no_class(t))
                    {
                        bare.push(format!(
                            "{} (StatefulSet {})",
                            t.metadata.name.as_deref().unwrap_or_default(),
                            o.name()
                        ));
                    }
                }
                _ => {}
            }
        }
        if bare.is_empty() {
            return;
        }
        bare.sort();
        self.report.warn(
            "volumes",
            format!(
                "the PersistentVolumeClaims {} name no storage class: they rely on the cluster's default StorageClass, which many bare-metal clusters do not have (the claims then stay Pending)",
                bare.join(", ")
            ),
            Some("pass --storage-class NAME (kubectl get storageclass), or set x-berth.storage_class on the project or the volume".into()),
        );
    }

    /// What a pod that mounts claims needs on a fresh volume: `fsGroup` (from `user:` or
    /// `x-berth.fs_group`, else a warning), and a subdirectory for the data directories of
    /// images that refuse `lost+found` ([`DATA_DIRS`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn claim_storage(
        &mut self,
        name: &str,
        svc: &ComposeService,
        env: &BTreeMap<String, String>,
        container: &mut Container,
        mounts: &mut [VolumeMount],
        pv: &PodVolumes,
        templates: &[PersistentVolumeClaim],
        pod_security: &mut Option<PodSecurityContext>,
    ) {
        let claim_of = |m: &VolumeMount| -> Option<String> {
            if templates
                .iter()
                .any(|t| t.metadata.name.as_deref() == Some(&m.name))
            {
                return Some(m.name.clone());
            }
            pv.volumes
                .iter()
                .find(|v| v.name == m.name)
                .and_then(|v| v.persistent_volume_claim.as_ref())
                .map(|c| c.claim_name.clone())
        };
        let mut claims = Vec::new();
        for m in mounts.iter_mut() {
            let Some(claim) = claim_of(m) else {
                continue;
            };
            if !claims.contains(&claim) {
                claims.push(claim.clone());
            }
            self.data_dir(name, svc, env, container, m, &claim);
        }
        if claims.is_empty() {
            return;
        }
        if pod_security.as_ref().is_some_and(|p| p.fs_group.is_some()) {
            return;
        }
        // Without user:, the image's numeric USER when the engine has the image.
        let sources = self.sources;
        let image_user = svc.image.as_deref().and_then(|i| sources.image(i));
        let image_user = image_user.map(|f| f.user.as_str());
        let user = svc
            .user
            .as_deref()
            .filter(|u| !u.is_empty())
            .or(image_user.filter(|u| parse_user(u).is_some_and(|(uid, _)| uid != 0)));
        let group = match user.map(parse_user) {
            Some(Some((uid, gid))) => Some(gid.unwrap_or(uid)),
            _ => None,
        };
        match group {
            Some(0) => {}
            Some(g) => {
                pod_security.get_or_insert_with(Default::default).fs_group = Some(g);
            }
            None if user.is_some_and(|u| u == "root" || u.starts_with("root:")) => {}
            None => self.report.warn(
                &svc_path(name, "volumes"),
                format!(
                    "the pod mounts the claim(s) {} but its fsGroup is unknown (no numeric user:, no x-berth.fs_group): a fresh volume belongs to root, and a process that runs as another user cannot write it",
                    claims.join(", ")
                ),
                Some(format!("set services.{name}.user to the image's numeric \"uid:gid\" (the gid becomes fsGroup), or services.{name}.x-berth.fs_group")),
            ),
        }
    }

    /// A claim mounted at an official image's data directory: the data goes one directory
    /// below the mount, with a note.
    fn data_dir(
        &mut self,
        name: &str,
        svc: &ComposeService,
        env: &BTreeMap<String, String>,
        container: &mut Container,
        m: &mut VolumeMount,
        claim: &str,
    ) {
        if m.sub_path.is_some() || m.read_only == Some(true) {
            return;
        }
        let target = m.mount_path.trim_end_matches('/');
        let Some((dir, images, how)) = DATA_DIRS.iter().find(|(d, _, _)| *d == target) else {
            return;
        };
        let why = format!("the claim {claim:?} is mounted at {dir}, the data directory of the official {images} images, which refuse to initialise a non-empty directory (a fresh ext4 volume holds lost+found)");
        match how {
            DataDir::Pgdata => {
                let set = env.contains_key("PGDATA") || svc.environment.contains_key("PGDATA");
                if set {
                    return;
                }
                container.env.get_or_insert_with(Vec::new).push(EnvVar {
                    name: "PGDATA".into(),
                    value: Some(PGDATA.into()),
                    value_from: None,
                });
                self.report.info(
                    &svc_path(name, "volumes"),
                    format!("{why}: PGDATA={PGDATA} keeps the data one directory below the mount"),
                    None,
                );
            }
            DataDir::SubPath => {
                m.sub_path = Some(DATA_SUBPATH.into());
                self.report.info(
                    &svc_path(name, "volumes"),
                    format!("{why}: the claim's subdirectory {DATA_SUBPATH:?} is mounted there (subPath)"),
                    None,
                );
            }
        }
    }
}

/// Whether a claim names no storage class.
fn no_class(c: &PersistentVolumeClaim) -> bool {
    c.spec
        .as_ref()
        .and_then(|s| s.storage_class_name.as_deref())
        .is_none_or(str::is_empty)
}
