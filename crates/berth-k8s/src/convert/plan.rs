//! The first pass: mounts with `volumes_from` expanded, the workload kind of every service,
//! what each named volume becomes, and the ports and reachability of every service.

use std::collections::{BTreeMap, BTreeSet};

use super::{names, settings, svc_path, Ctx};
use crate::settings::{VolumeSettings, WorkloadKind};
use berth_compose::model::ServiceVolumeConfig;

/// One mount of a service after `volumes_from` is expanded.
#[derive(Clone, Debug)]
pub(super) struct Mount {
    pub(super) vol: ServiceVolumeConfig,
    /// Key path of where it was written.
    pub(super) path: String,
}

/// What a named volume becomes.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum VolumePlan {
    /// A volumeClaimTemplate of the StatefulSet of this (only) service.
    Template,
    /// A standalone PVC with this name.
    Claim(String),
    /// An existing PVC (external volume) with this name.
    External(String),
    /// emptyDir (kompose.volume.type: emptyDir).
    EmptyDir,
}

impl<'a> Ctx<'a> {
    /// Mounts of each service with `volumes_from` expanded.
    pub(super) fn expand_mounts(&mut self) {
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
            for m in &out {
                if let (true, Some(src)) = (m.vol.kind == "volume", &m.vol.source) {
                    self.volume_users
                        .entry(src.clone())
                        .or_default()
                        .insert(name.clone());
                }
            }
            self.mounts.insert(name.clone(), out);
        }
    }

    pub(super) fn decide_kinds(&mut self) {
        let p = self.p;
        // Services others wait on to complete, and the ones others wait for to start or link to.
        let mut completed: BTreeMap<String, String> = BTreeMap::new();
        let mut reached = BTreeSet::new();
        for (name, svc) in &p.services {
            for (dep, d) in &svc.depends_on {
                if d.condition.as_deref() == Some("service_completed_successfully") {
                    completed
                        .entry(dep.clone())
                        .or_insert_with(|| svc_path(name, &format!("depends_on.{dep}")));
                } else {
                    reached.insert(dep.clone());
                }
            }
            for l in &svc.links {
                reached.insert(l.split(':').next().unwrap_or(l).to_string());
            }
        }
        self.jobs.waited = completed.keys().cloned().collect();
        for (name, svc) in &p.services {
            let explicit = self.settings[name].kind.as_ref().map(|(k, _)| *k);
            let scheduled = self.settings[name].schedule.is_some();
            let mode = svc.deploy.as_ref().and_then(|d| d.mode.clone());
            let kind = if let Some(k) = explicit {
                k
            } else if scheduled {
                WorkloadKind::CronJob
            } else if matches!(mode.as_deref(), Some("global")) {
                WorkloadKind::DaemonSet
            } else if matches!(mode.as_deref(), Some("replicated-job") | Some("global-job"))
                || completed.contains_key(name)
            {
                WorkloadKind::Job
            } else if let Some(restart) = self.one_shot(name, svc, &reached) {
                self.note_one_shot(name, &restart);
                WorkloadKind::Job
            } else if self.has_own_volume(name) {
                WorkloadKind::StatefulSet
            } else {
                WorkloadKind::Deployment
            };
            if kind == WorkloadKind::CronJob && !scheduled {
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
            if external || self.volume_users(src) > 1 {
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

    /// How many services mount the named volume `vol`.
    fn volume_users(&self, vol: &str) -> usize {
        self.volume_users.get(vol).map_or(0, |u| u.len())
    }

    pub(super) fn volume_settings(&mut self, vol: &str) -> VolumeSettings {
        match self.p.volumes.get(vol) {
            Some(cfg) => settings::volume_settings(vol, cfg, &mut self.report),
            None => VolumeSettings::default(),
        }
    }

    pub(super) fn plan_volumes(&mut self) {
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
                    let shared = self.volume_users(&src) > 1;
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
    pub(super) fn plan_services(&mut self) {
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
}
