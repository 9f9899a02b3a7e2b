//! Storage: a pod's volumes and its container's mounts. Named volumes become claims (standalone,
//! external, or a StatefulSet's templates), bind mounts of project files ConfigMaps, project
//! data directories claims, paths outside the project hostPath volumes (`--host-path`), and
//! tmpfs and `shm_size` memory-backed emptyDirs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, EmptyDirVolumeSource, HostPathVolumeSource, KeyToPath,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Volume,
    VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::ByteString;

use super::chart::ChartPvc;
use super::plan::{Mount, VolumePlan};
use super::{meta, names, q, svc_path, Ctx, Object, CONFIGMAP_MAX};
use crate::settings::{VolumeSettings, WorkloadKind};
use crate::sources::{in_project, Mounted};
use crate::units;
use berth_compose::model::Service as ComposeService;

/// A pod's volumes, de-duplicated by source.
#[derive(Default)]
pub(super) struct PodVolumes {
    pub(super) volumes: Vec<Volume>,
}

impl PodVolumes {
    /// Adds `v` (its name is a wish), returns the name it has in the pod. A volume with the
    /// same source as one already there is shared.
    pub(super) fn add(&mut self, mut v: Volume) -> String {
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
pub(super) type BindMap = (String, Vec<(String, String)>, bool);

/// Files by name, with their bytes.
type Files = Vec<(String, Vec<u8>)>;

/// The files of a bind mount's source, if it can be a ConfigMap: a readable file, or a
/// non-empty directory of readable files only, at most [`CONFIGMAP_MAX`] bytes in all.
/// `(files, whether the source is a file)`.
fn configmap_files(src: &Path, found: &Mounted) -> Option<(Files, bool)> {
    let files = match found {
        Mounted::File(bytes) => {
            let fname = src.file_name()?.to_string_lossy().to_string();
            vec![(fname, bytes.clone()?)]
        }
        Mounted::Dir(Some(entries)) if !entries.is_empty() => entries
            .iter()
            .map(|(n, b)| Some((n.clone(), b.clone()?)))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    if total > CONFIGMAP_MAX {
        return None;
    }
    Some((files, matches!(found, Mounted::File(_))))
}

/// Whether a bind mount's source holds nothing yet (missing, or an empty directory): data the
/// service will write, not content it reads.
fn empty_or_missing(found: &Mounted) -> bool {
    match found {
        Mounted::Missing | Mounted::Dir(None) => true,
        Mounted::Dir(Some(entries)) => entries.is_empty(),
        Mounted::File(_) | Mounted::Other => false,
    }
}

impl<'a> Ctx<'a> {
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
            .or(self.default_storage_class());
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
                storage_class: class
                    .filter(|c| *c != self.chart.storage_class)
                    .unwrap_or_default(),
                access_modes: modes,
            },
        )
    }

    /// The standalone PVCs the plan made for named volumes.
    pub(super) fn standalone_claims(&mut self) {
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

    /// The container's mounts of `volumes:` (with `volumes_from`), `tmpfs:` and `shm_size`;
    /// the volumes go into `pv`, a StatefulSet's claim templates into `templates`.
    pub(super) fn volumes(
        &mut self,
        name: &str,
        svc: &ComposeService,
        kind: WorkloadKind,
        pv: &mut PodVolumes,
        templates: &mut Vec<PersistentVolumeClaim>,
    ) -> Vec<VolumeMount> {
        let mut out = Vec::new();
        let mounts = self.mounts[name].clone();
        for m in &mounts {
            let Some(vm) = self.mount_point(m) else {
                continue;
            };
            let v = &m.vol;
            let path = &m.path;
            let vm = match v.kind.as_str() {
                "volume" => Some(self.volume_mount(name, m, vm, kind, pv, templates)),
                "bind" => match v.source.clone().filter(|s| !s.is_empty()) {
                    Some(src) => self.bind_mount(name, path, &src, vm, pv),
                    None => {
                        self.report.error(path, "bind mount without a source", None);
                        None
                    }
                },
                "tmpfs" => Some(self.tmpfs_mount(m, vm, pv)),
                other => {
                    self.report.error(
                        path,
                        format!("{other} mounts do not exist in Kubernetes"),
                        None,
                    );
                    None
                }
            };
            out.extend(vm);
        }
        out.extend(self.tmpfs_mounts(name, svc, pv));
        out.extend(self.shm_mount(svc, pv));
        out
    }

    /// Where and how a mount goes in the container (its volume not named yet); `None` after
    /// reporting a target Kubernetes cannot mount.
    fn mount_point(&mut self, m: &Mount) -> Option<VolumeMount> {
        let v = &m.vol;
        let path = &m.path;
        let Some(target) = v.target.clone().filter(|t| !t.is_empty()) else {
            self.report.error(path, "mount without a target", None);
            return None;
        };
        if !target.starts_with('/') {
            self.report.error(
                path,
                format!("mount target {target:?} is not an absolute path"),
                Some("a one-letter volume name reads as a Windows drive (`v:/data`); use a longer name".into()),
            );
            return None;
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
        Some(vm)
    }

    /// A volume mount: by the plan, a claim template, a claim or an emptyDir; an anonymous
    /// volume is an emptyDir.
    fn volume_mount(
        &mut self,
        name: &str,
        m: &Mount,
        mut vm: VolumeMount,
        kind: WorkloadKind,
        pv: &mut PodVolumes,
        templates: &mut Vec<PersistentVolumeClaim>,
    ) -> VolumeMount {
        let path = &m.path;
        let target = vm.mount_path.clone();
        let Some(src) = m.vol.source.clone().filter(|s| !s.is_empty()) else {
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
            return vm;
        };
        if vm.sub_path.is_none() {
            vm.sub_path = self.settings[name].volume_subpath.clone();
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
                    let sel = self.selector(&self.base[name]);
                    let vs = self.volume_settings(&src);
                    let (spec, _) = self.pvc_spec(&src, &vs, false, Some(name));
                    templates.push(PersistentVolumeClaim {
                        metadata: meta(&tname, sel),
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
        vm
    }

    /// A `type: tmpfs` mount: a memory-backed emptyDir.
    fn tmpfs_mount(&mut self, m: &Mount, mut vm: VolumeMount, pv: &mut PodVolumes) -> VolumeMount {
        let v = &m.vol;
        let size = v.tmpfs.as_ref().and_then(|t| t.size).filter(|s| s.0 > 0);
        if v.tmpfs.as_ref().is_some_and(|t| t.mode != 0) {
            self.report.warn(
                &format!("{}.tmpfs.mode", m.path),
                "tmpfs mode: the emptyDir is world-writable",
                None,
            );
        }
        vm.name = pv.add(Volume {
            name: format!("tmpfs-{}", names::label(&vm.mount_path, 40)),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: size.map(|s| q(units::bytes_quantity(s.0))),
            }),
            ..Default::default()
        });
        vm
    }

    /// The service-level `tmpfs:` list (`/path[:size=N]`): memory-backed emptyDirs.
    fn tmpfs_mounts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        pv: &mut PodVolumes,
    ) -> Vec<VolumeMount> {
        let mut out = Vec::new();
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
        out
    }

    /// `shm_size`: a memory-backed emptyDir at /dev/shm.
    fn shm_mount(&mut self, svc: &ComposeService, pv: &mut PodVolumes) -> Option<VolumeMount> {
        let shm = svc.shm_size.filter(|s| s.0 > 0)?;
        let vm_name = pv.add(Volume {
            name: "dshm".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: Some(q(units::bytes_quantity(shm.0))),
            }),
            ..Default::default()
        });
        Some(VolumeMount {
            name: vm_name,
            mount_path: "/dev/shm".into(),
            ..Default::default()
        })
    }

    /// A bind mount: project files become a ConfigMap, data directories a PVC, paths outside
    /// the project a hostPath (with `--host-path`) or an error.
    fn bind_mount(
        &mut self,
        name: &str,
        path: &str,
        src: &str,
        vm: VolumeMount,
        pv: &mut PodVolumes,
    ) -> Option<VolumeMount> {
        let src_path = PathBuf::from(src);
        if !in_project(self.lp, &src_path) {
            return self.host_path_mount(path, src, vm, pv);
        }
        let shown = self.show_path(&src_path);
        // A file, or a flat directory of small files: a ConfigMap.
        if let Some(cm) = self.bind_configmap(&src_path) {
            return Some(self.configmap_mount(path, &shown, cm, vm, pv));
        }
        let found = self.sources.mounted(&src_path);
        let empty_or_missing = empty_or_missing(found);
        if !empty_or_missing {
            self.report.error(
                path,
                format!("{shown} is a directory with subdirectories or more than 1 MiB: it cannot be a ConfigMap, and nodes do not have it"),
                Some("bake it into the image, or use a named volume; --allow-lossy mounts an empty PersistentVolumeClaim".into()),
            );
        }
        Some(self.data_dir_mount(name, path, src, &shown, empty_or_missing, vm, pv))
    }

    /// A bind mount of a path outside the project: the node's path with `--host-path`, else
    /// refused.
    fn host_path_mount(
        &mut self,
        path: &str,
        src: &str,
        mut vm: VolumeMount,
        pv: &mut PodVolumes,
    ) -> Option<VolumeMount> {
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
        None
    }

    /// The mount of a bind-mount ConfigMap: read-only, a file mounted by itself (subPath).
    fn configmap_mount(
        &mut self,
        path: &str,
        shown: &str,
        (cm_name, items, is_file): BindMap,
        mut vm: VolumeMount,
        pv: &mut PodVolumes,
    ) -> VolumeMount {
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
        vm
    }

    /// A bind-mounted data directory (missing or empty here, or refused with --allow-lossy):
    /// a PVC like a named volume's, shared by the services that mount the same path.
    #[allow(clippy::too_many_arguments)]
    fn data_dir_mount(
        &mut self,
        name: &str,
        path: &str,
        src: &str,
        shown: &str,
        empty_or_missing: bool,
        mut vm: VolumeMount,
        pv: &mut PodVolumes,
    ) -> VolumeMount {
        let rel = Path::new(src)
            .strip_prefix(&self.lp.working_dir)
            .map(|r| r.display().to_string())
            .unwrap_or_default();
        let want = names::label(&rel, names::LABEL_MAX);
        let claim = self.book.claim("PersistentVolumeClaim", &want, src);
        if !self.claims.contains_key(&claim) {
            if empty_or_missing {
                self.report.warn(
                    path,
                    format!("{shown} holds data: it becomes the PersistentVolumeClaim {claim:?} (its current content is not copied)"),
                    Some("use a named volume to set its size (x-berth.size)".into()),
                );
            }
            self.data_dir_claim(name, path, src, shown, &claim, &rel);
        }
        vm.name = pv.add(Volume {
            name: names::label(&rel, 50),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: claim,
                read_only: None,
            }),
            ..Default::default()
        });
        vm
    }

    /// The PVC `claim` of a bind-mounted data directory (`rel` in the project).
    fn data_dir_claim(
        &mut self,
        name: &str,
        path: &str,
        src: &str,
        shown: &str,
        claim: &str,
        rel: &str,
    ) {
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
        let st = self.settings[name].clone();
        let size = st
            .volume_size
            .clone()
            .or(self.ps.volume_size.clone())
            .unwrap_or_else(|| "1Gi".into());
        let class = st.storage_class.clone().or(self.default_storage_class());
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
            claim.to_string(),
            (rel.to_string(), VolumeSettings::default(), shared),
        );
        self.chart.volumes.insert(
            claim.to_string(),
            ChartPvc {
                size: size.clone(),
                storage_class: class
                    .clone()
                    .filter(|c| *c != self.chart.storage_class)
                    .unwrap_or_default(),
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
                metadata: meta(claim, labels),
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

    /// The ConfigMap for a bind-mounted file or flat directory, made once per source path:
    /// `(name, [(key, file name)], is a file)`; `None` when the source cannot be one.
    fn bind_configmap(&mut self, src: &Path) -> Option<BindMap> {
        if let Some(have) = self.bind_maps.get(src) {
            return Some(have.clone());
        }
        let (files, is_file) = configmap_files(src, self.sources.mounted(src))?;
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{
        convert_plain, convert_yaml, findings, load_yaml, names_of, object, pod_spec,
    };
    use super::super::{convert, Conversion, ConvertOptions};
    use super::*;
    use crate::Sources;

    /// A project whose service `app` bind-mounts `./src` at /mnt (read-only when `ro`).
    fn bind(ro: bool) -> String {
        let ro = if ro { ":ro" } else { "" };
        format!("services:\n  app:\n    image: nginx:1.25\n    volumes:\n      - ./src:/mnt{ro}\n")
    }

    fn with(found: Mounted) -> Sources {
        let mut s = Sources::default();
        s.mounts.insert(PathBuf::from("/proj/src"), found);
        s
    }

    fn mount_and_volume(c: &Conversion) -> (serde_json::Value, serde_json::Value) {
        let pod = pod_spec(c, "app");
        (
            pod["containers"][0]["volumeMounts"][0].clone(),
            pod["volumes"][0].clone(),
        )
    }

    #[test]
    fn a_bind_mounted_file_is_a_configmap_mounted_by_itself() {
        let c = convert_yaml(&bind(false), &with(Mounted::File(Some(b"a=1".to_vec()))));
        assert_eq!(
            object(&c, "ConfigMap", "src")["data"],
            json!({"src": "a=1"})
        );
        let (m, v) = mount_and_volume(&c);
        assert_eq!(
            m,
            json!({"mountPath": "/mnt", "name": "cm-src", "readOnly": true, "subPath": "src"})
        );
        assert_eq!(v["configMap"], json!({"name": "src"}));
        assert!(findings(&c).contains(&"Warning services.app.volumes[0]: ./src becomes the ConfigMap \"src\": read-only in the pod, and changes to the file need a new conversion".to_string()));
    }

    #[test]
    fn a_flat_directory_is_a_configmap_with_a_key_per_file() {
        let dir = Mounted::Dir(Some(vec![
            ("a.conf".into(), Some(b"a".to_vec())),
            ("b.bin".into(), Some(vec![0xff])),
        ]));
        let c = convert_yaml(&bind(true), &with(dir));
        let cm = object(&c, "ConfigMap", "src");
        assert_eq!(cm["data"], json!({"a.conf": "a"}));
        assert_eq!(cm["binaryData"], json!({"b.bin": "/w=="}));
        let (m, _) = mount_and_volume(&c);
        assert_eq!(m.get("subPath"), None);
        assert!(findings(&c).contains(
            &"Info services.app.volumes[0]: ./src becomes the ConfigMap \"src\"".to_string()
        ));
    }

    #[test]
    fn what_cannot_be_a_configmap_becomes_a_claim() {
        let deep = Mounted::Dir(Some(vec![("sub".into(), None)]));
        let big = Mounted::File(Some(vec![0; CONFIGMAP_MAX + 1]));
        let cases = [
            (Mounted::Missing, "Warning services.app.volumes[0]: ./src holds data: it becomes the PersistentVolumeClaim \"src\" (its current content is not copied)"),
            (Mounted::Dir(Some(vec![])), "Warning services.app.volumes[0]: ./src holds data: it becomes the PersistentVolumeClaim \"src\" (its current content is not copied)"),
            (deep, "Error services.app.volumes[0]: ./src is a directory with subdirectories or more than 1 MiB: it cannot be a ConfigMap, and nodes do not have it"),
            (big, "Error services.app.volumes[0]: ./src is a directory with subdirectories or more than 1 MiB: it cannot be a ConfigMap, and nodes do not have it"),
        ];
        for (found, want) in cases {
            let c = convert_yaml(&bind(false), &with(found.clone()));
            assert!(
                findings(&c).iter().any(|f| f == want),
                "{found:?}: {:?}",
                findings(&c)
            );
            assert!(names_of(&c).contains(&"PersistentVolumeClaim/src".to_string()));
            let (_, v) = mount_and_volume(&c);
            assert_eq!(v["persistentVolumeClaim"], json!({"claimName": "src"}));
        }
    }

    #[test]
    fn paths_outside_the_project_are_hostpaths_only_when_asked() {
        let yaml = "services:\n  app:\n    image: nginx:1.25\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n";
        let c = convert_plain(yaml);
        assert!(findings(&c).contains(&"Error services.app.volumes[0]: bind mount of /var/run/docker.sock, outside the project: Kubernetes nodes do not have it".to_string()));
        let opts = ConvertOptions {
            host_path: true,
            ..Default::default()
        };
        let c = convert(&load_yaml(yaml, &[]), &Sources::default(), &opts);
        let (_, v) = mount_and_volume(&c);
        assert_eq!(v["hostPath"], json!({"path": "/var/run/docker.sock"}));
        assert!(findings(&c).contains(&"Warning services.app.volumes[0]: hostPath /var/run/docker.sock: the pod sees that path of whatever node it runs on (a container engine socket gives root on the node)".to_string()));
    }

    #[test]
    fn configmap_files_takes_readable_files_only() {
        let src = Path::new("/proj/conf");
        let file = |b: &[u8]| (String::from("f"), Some(b.to_vec()));
        let cases: Vec<(Mounted, Option<bool>)> = vec![
            (Mounted::File(Some(b"x".to_vec())), Some(true)),
            (Mounted::File(None), None),
            (Mounted::Dir(Some(vec![file(b"x")])), Some(false)),
            (
                Mounted::Dir(Some(vec![file(b"x"), ("d".into(), None)])),
                None,
            ),
            (Mounted::Dir(Some(vec![])), None),
            (Mounted::Dir(None), None),
            (Mounted::Other, None),
            (Mounted::Missing, None),
        ];
        for (found, want) in cases {
            let got = configmap_files(src, &found).map(|(_, is_file)| is_file);
            assert_eq!(got, want, "{found:?}");
        }
    }
}
