//! Updates and rollbacks: `deploy.update_config` as the workload's update strategy and
//! `minReadySeconds`, an explicit `revisionHistoryLimit` for `kubectl rollout undo`, and what
//! Kubernetes has no field for (`delay`, `failure_action`, `max_failure_ratio`,
//! `rollback_config`), each said once with what to use instead. docs/convert.md, "Updates and
//! rollbacks", is the table of this file.

use k8s_openapi::api::apps::v1::{
    DaemonSetUpdateStrategy, DeploymentStrategy, RollingUpdateDaemonSet, RollingUpdateDeployment,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{svc_path, Ctx};
use crate::settings::WorkloadKind;
use berth_compose::model::{Service as ComposeService, UpdateConfig};

/// Revisions a Deployment, StatefulSet or DaemonSet keeps: what `kubectl rollout undo` can go
/// back to (Kubernetes' default, written out so that it is visible and not lowered by accident).
pub(super) const REVISION_HISTORY: i32 = 10;

/// How long a rollout may make no progress before Kubernetes marks it failed (its default; the
/// warnings name it, berth does not set it).
const PROGRESS_DEADLINE: i32 = 600;

/// What the workload takes from `update_config`.
#[derive(Default)]
pub(super) struct Rollout {
    /// `monitor`, in whole seconds.
    pub(super) min_ready_seconds: Option<i32>,
    /// Pods replaced at once (`parallelism`; 0 in compose means all of them).
    step: Option<IntOrString>,
    /// `order: start-first`.
    start_first: bool,
}

impl Rollout {
    /// The Deployment's strategy: start-first adds new pods before old ones go (maxSurge),
    /// stop-first removes old pods first (maxUnavailable).
    pub(super) fn deployment_strategy(&self) -> Option<DeploymentStrategy> {
        let step = self.step.clone()?;
        let (surge, unavailable) = if self.start_first {
            (step, IntOrString::Int(0))
        } else {
            (IntOrString::Int(0), step)
        };
        Some(DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDeployment {
                max_surge: Some(surge),
                max_unavailable: Some(unavailable),
            }),
        })
    }

    /// The DaemonSet's strategy: the same two fields (maxSurge is GA since 1.25).
    pub(super) fn daemonset_strategy(&self) -> Option<DaemonSetUpdateStrategy> {
        let step = self.step.clone()?;
        let (surge, unavailable) = if self.start_first {
            (step, IntOrString::Int(0))
        } else {
            (IntOrString::Int(0), step)
        };
        Some(DaemonSetUpdateStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateDaemonSet {
                max_surge: Some(surge),
                max_unavailable: Some(unavailable),
            }),
        })
    }
}

/// `kubectl rollout undo <kind>/<name>`.
fn undo(kind: WorkloadKind, base: &str) -> String {
    format!(
        "kubectl rollout undo {}/{base}",
        kind.as_str().to_ascii_lowercase()
    )
}

impl<'a> Ctx<'a> {
    /// `update_config` and `rollback_config` of a workload of `kind` named `base`: what it
    /// takes, with a finding for each part that has no Kubernetes field. A Deployment that
    /// mounts a ReadWriteOnce claim (`recreate`) is updated with Recreate.
    pub(super) fn rollout(
        &mut self,
        name: &str,
        svc: &ComposeService,
        kind: WorkloadKind,
        base: &str,
        recreate: bool,
    ) -> Rollout {
        let deploy = svc.deploy.as_ref();
        let update = deploy.and_then(|d| d.update_config.as_ref());
        let rollback = deploy.and_then(|d| d.rollback_config.as_ref());
        if kind.is_batch() {
            for (key, set) in [("update_config", update), ("rollback_config", rollback)] {
                if set.is_some() {
                    self.report.warn(
                        &svc_path(name, &format!("deploy.{key}")),
                        format!(
                            "a {} is not updated in place (it runs to completion): ignored",
                            kind.as_str()
                        ),
                        None,
                    );
                }
            }
            return Rollout::default();
        }
        if rollback.is_some() {
            self.report.warn(
                &svc_path(name, "deploy.rollback_config"),
                format!("Kubernetes has no rollback settings: a rollback is a rollout back to an earlier revision, done with the update strategy (update_config); the last {REVISION_HISTORY} revisions are kept (revisionHistoryLimit): ignored"),
                Some(format!("roll back with `{}` (`--to-revision=N`; `kubectl rollout history` lists them), or `helm rollback RELEASE` for a chart", undo(kind, base))),
            );
        }
        let Some(uc) = update else {
            return Rollout::default();
        };
        let path = svc_path(name, "deploy.update_config");
        self.update_leftovers(&path, uc, kind, base);
        let min_ready_seconds = uc
            .monitor
            .as_deref()
            .filter(|m| !m.is_empty())
            .map(|m| self.secs(&format!("{path}.monitor"), Some(m), 0));
        let start_first = uc.order.as_deref() == Some("start-first");
        if recreate {
            self.report.warn(
                &path,
                "the service mounts a ReadWriteOnce claim, so it is updated with Recreate (all old pods stop before new ones start): order and parallelism are ignored",
                Some("use ReadWriteMany storage (x-berth.access_modes) to update pod by pod".into()),
            );
            return Rollout {
                min_ready_seconds,
                ..Default::default()
            };
        }
        let step = match uc.parallelism {
            Some(0) => IntOrString::String("100%".into()),
            Some(n) => IntOrString::Int(n.min(i32::MAX as u64) as i32),
            None => IntOrString::Int(1),
        };
        if kind == WorkloadKind::StatefulSet {
            let pp = format!("{path}.parallelism");
            if start_first {
                self.report.warn(
                    &format!("{path}.order"),
                    "a StatefulSet stops each pod before it starts the replacement (the new pod takes over its name and volume): start-first is not possible",
                    Some("for a service that must stay up during updates, keep its data outside it (a database service) and make it a Deployment".into()),
                );
            }
            if uc.parallelism.is_some_and(|p| p != 1) {
                self.report.warn(
                    &pp,
                    "a StatefulSet updates one pod at a time (its maxUnavailable is an alpha feature in Kubernetes 1.29 to 1.32): parallelism is ignored",
                    None,
                );
            }
            return Rollout {
                min_ready_seconds,
                ..Default::default()
            };
        }
        Rollout {
            min_ready_seconds,
            step: Some(step),
            start_first,
        }
    }

    /// Findings for the `update_config` keys Kubernetes has no field for.
    fn update_leftovers(&mut self, path: &str, uc: &UpdateConfig, kind: WorkloadKind, base: &str) {
        let stalls = format!("a rollout whose new pods do not become ready stops where it is (the old pods keep serving) and is marked failed after progressDeadlineSeconds ({PROGRESS_DEADLINE} s)");
        if let Some(d) = uc.delay.as_deref().filter(|d| !d.is_empty()) {
            self.report.warn(
                &format!("{path}.delay"),
                format!("delay {d}: Kubernetes does not wait between the batches of an update: ignored"),
                Some("use monitor: each batch then counts as done only after its new pods have been ready that long (minReadySeconds), which spaces the batches".into()),
            );
        }
        match uc.failure_action.as_deref().filter(|a| !a.is_empty()) {
            None => {}
            Some("pause") => self.report.info(
                &format!("{path}.failure_action"),
                format!("pause is what Kubernetes does: {stalls}"),
                Some(format!("after fixing the cause, apply again; or go back with `{}`", undo(kind, base))),
            ),
            Some("rollback") => self.report.warn(
                &format!("{path}.failure_action"),
                format!("Kubernetes never rolls back by itself: {stalls}"),
                Some(format!("roll back with `{}`, or `helm rollback RELEASE` for a chart", undo(kind, base))),
            ),
            Some(other) => self.report.warn(
                &format!("{path}.failure_action"),
                format!("{other}: Kubernetes cannot go on past new pods that do not become ready: {stalls}"),
                Some("make the healthcheck pass for the new version; leave failure_action out".into()),
            ),
        }
        if let Some(r) = uc.max_failure_ratio.filter(|r| *r > 0.0) {
            self.report.warn(
                &format!("{path}.max_failure_ratio"),
                format!("{r}: Kubernetes tolerates no failed pods in a rollout: {stalls}: ignored"),
                Some("let more pods update at once with parallelism (maxSurge / maxUnavailable); `kubectl rollout status --timeout=…` tells a script that the rollout failed".into()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, object};

    #[test]
    fn start_first_surges_and_monitor_is_min_ready_seconds() {
        let c = convert_plain("services:\n  api:\n    image: nginx:1.25\n    deploy:\n      replicas: 4\n      update_config:\n        order: start-first\n        parallelism: 2\n        monitor: 1500ms\n");
        let spec = &object(&c, "Deployment", "api")["spec"];
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}})
        );
        assert_eq!(spec["minReadySeconds"], json!(2));
        assert_eq!(spec["revisionHistoryLimit"], json!(10));
        assert!(findings(&c).contains(&"Info services.api.deploy.update_config.monitor: 1.5s is rounded up to 2s (Kubernetes counts whole seconds)".to_string()), "{:?}", findings(&c));
    }

    #[test]
    fn stop_first_takes_pods_away_and_parallelism_0_is_all_of_them() {
        let c = convert_plain("services:\n  api:\n    image: nginx:1.25\n    deploy:\n      update_config:\n        parallelism: 0\n  web:\n    image: nginx:1.25\n    deploy:\n      update_config: {order: stop-first}\n");
        assert_eq!(
            object(&c, "Deployment", "api")["spec"]["strategy"]["rollingUpdate"],
            json!({"maxSurge": 0, "maxUnavailable": "100%"})
        );
        assert_eq!(
            object(&c, "Deployment", "web")["spec"]["strategy"]["rollingUpdate"],
            json!({"maxSurge": 0, "maxUnavailable": 1})
        );
        // Without update_config, Kubernetes' default strategy; the history is kept either way.
        let c = convert_plain("services:\n  api:\n    image: nginx:1.25\n");
        let spec = &object(&c, "Deployment", "api")["spec"];
        assert!(spec.get("strategy").is_none(), "{spec}");
        assert_eq!(spec["revisionHistoryLimit"], json!(10));
    }

    #[test]
    fn what_has_no_field_says_what_to_use_instead() {
        let c = convert_plain("services:\n  api:\n    image: nginx:1.25\n    deploy:\n      update_config: {delay: 10s, failure_action: rollback, max_failure_ratio: 0.2}\n      rollback_config: {parallelism: 1}\n");
        let f: Vec<String> = c
            .report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}: {} | {}",
                    f.key,
                    f.message,
                    f.fix.clone().unwrap_or_default()
                )
            })
            .collect();
        let p = "services.api.deploy";
        for want in [
            format!("{p}.update_config.delay: delay 10s: Kubernetes does not wait between the batches of an update: ignored | use monitor:"),
            format!("{p}.update_config.failure_action: Kubernetes never rolls back by itself: a rollout whose new pods do not become ready stops where it is (the old pods keep serving) and is marked failed after progressDeadlineSeconds (600 s) | roll back with `kubectl rollout undo deployment/api`"),
            format!("{p}.update_config.max_failure_ratio: 0.2: Kubernetes tolerates no failed pods in a rollout"),
            format!("{p}.rollback_config: Kubernetes has no rollback settings"),
        ] {
            assert!(f.iter().any(|x| x.starts_with(&want)), "{want}\n{f:#?}");
        }
        assert!(
            f.iter()
                .any(|x| x.starts_with(&format!("{p}.rollback_config:"))
                    && x.contains(
                        "| roll back with `kubectl rollout undo deployment/api` (`--to-revision=N`"
                    )),
            "{f:#?}"
        );
        assert_eq!(
            f.iter()
                .filter(|x| x.starts_with(&format!("{p}.rollback_config")))
                .count(),
            1
        );
    }

    #[test]
    fn stateful_sets_and_daemon_sets_map_what_they_can() {
        let c = convert_plain("services:\n  db:\n    image: postgres:16\n    volumes: [data:/var/lib/postgresql/data]\n    deploy:\n      update_config: {order: start-first, parallelism: 2, monitor: 5s}\n  agent:\n    image: busybox:1.36\n    deploy:\n      mode: global\n      update_config: {order: start-first}\nvolumes:\n  data: {}\n");
        let db = &object(&c, "StatefulSet", "db")["spec"];
        assert_eq!(db["minReadySeconds"], json!(5));
        assert_eq!(db["revisionHistoryLimit"], json!(10));
        assert!(db.get("updateStrategy").is_none(), "{db}");
        let f = findings(&c);
        assert!(f.iter().any(|x| x.starts_with("Warning services.db.deploy.update_config.order: a StatefulSet stops each pod before it starts the replacement")), "{f:?}");
        assert!(f.iter().any(|x| x.starts_with("Warning services.db.deploy.update_config.parallelism: a StatefulSet updates one pod at a time")), "{f:?}");
        let agent = &object(&c, "DaemonSet", "agent")["spec"];
        assert_eq!(
            agent["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
        );
        assert_eq!(agent["revisionHistoryLimit"], json!(10));
    }

    #[test]
    fn a_read_write_once_claim_means_recreate_and_jobs_have_no_updates() {
        let c = convert_plain("services:\n  a:\n    image: nginx:1.25\n    volumes: [shared:/data]\n    deploy:\n      update_config: {order: start-first, monitor: 3s}\n  b:\n    image: nginx:1.25\n    volumes: [shared:/data]\n    x-berth: {kind: job}\n    deploy:\n      update_config: {order: start-first}\nvolumes:\n  shared:\n    x-berth: {access_modes: [ReadWriteOnce]}\n");
        let a = &object(&c, "Deployment", "a")["spec"];
        assert_eq!(a["strategy"], json!({"type": "Recreate"}));
        assert_eq!(a["minReadySeconds"], json!(3));
        let f = findings(&c);
        assert!(f.contains(&"Warning services.b.deploy.update_config: a Job is not updated in place (it runs to completion): ignored".to_string()), "{f:?}");
    }
}
