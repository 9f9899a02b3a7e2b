//! One-shot tasks: which services are Jobs because of how they restart, and Jobs that survive
//! upgrades.
//!
//! A Job's pod template cannot change, so `kubectl apply` or `helm upgrade` of a changed Job
//! fails ("field is immutable") and the task never runs again. berth therefore:
//!
//! - names each Job after a hash of its spec (`migrate-1a2b3c4d`): a changed Job is a new Job,
//!   and the pods that wait for it wait for the new one (Jobs are converted before the services
//!   that wait for them, so their names are known);
//! - lets Kubernetes delete a Job that nothing waits for a day after it finished
//!   (`ttlSecondsAfterFinished`). A Job that pods wait for is kept: a pod that starts later (a
//!   node drained, a replica added) must still find it complete;
//! - makes every Job of a chart a Helm hook, run again on each install and upgrade: after the
//!   install (its dependencies are part of the release, so they must exist first), before an
//!   upgrade (the new version of the pods that wait for it must not start before it ran),
//!   ordered by the Jobs it waits for (Helm runs the hooks of a phase one after the other).

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::batch::v1::JobSpec;

use super::{names, svc_path, Ctx};
use crate::settings::WorkloadKind;
use berth_compose::model::Service as ComposeService;

/// How long a finished Job that nothing waits for is kept (to read its logs), in seconds.
pub(super) const FINISHED_JOB_TTL: i32 = 24 * 3600;

/// The Helm hook phases of a chart's Jobs (see the module documentation).
pub(super) const HOOK_PHASES: &str = "post-install,pre-upgrade";

/// What the conversion knows about its Jobs.
#[derive(Default)]
pub(super) struct JobBook {
    /// Services that others wait for to complete (`service_completed_successfully`).
    pub(super) waited: BTreeSet<String>,
    /// Service → the name of its Job, once converted.
    pub(super) names: BTreeMap<String, String>,
    /// Service → the hook weight of its Job: 0, or one more than the Jobs it depends on.
    weights: BTreeMap<String, u32>,
}

/// The restart policy a service asks for: `restart`, else `deploy.restart_policy.condition`.
fn restart_of(svc: &ComposeService) -> Option<&str> {
    svc.restart
        .as_deref()
        .filter(|r| !r.is_empty())
        .or_else(|| {
            svc.deploy
                .as_ref()?
                .restart_policy
                .as_ref()?
                .condition
                .as_deref()
        })
}

impl<'a> Ctx<'a> {
    /// Whether service `name` is a one-shot task: it asks not to be restarted, or only on
    /// failure (`restart: "no"`, `on-failure[:N]`; kompose's migrations), and nothing about it
    /// is a server's: no ports, no healthcheck, one replica, and no service waits for it to
    /// start or links to it. Returns the restart policy that made it one.
    pub(super) fn one_shot(
        &self,
        name: &str,
        svc: &ComposeService,
        reached: &BTreeSet<String>,
    ) -> Option<String> {
        let restart = restart_of(svc)?;
        let asks =
            matches!(restart, "no" | "none" | "on-failure") || restart.starts_with("on-failure:");
        let healthcheck = svc
            .healthcheck
            .as_ref()
            .is_some_and(|h| !h.disable && h.test.first().map(String::as_str) != Some("NONE"));
        let server = !svc.ports.is_empty()
            || !svc.expose.is_empty()
            || healthcheck
            || svc.scale() > 1
            || reached.contains(name);
        (asks && !server).then(|| restart.to_string())
    }

    /// Says that service `name` became a Job because of `restart`.
    pub(super) fn note_one_shot(&mut self, name: &str, restart: &str) {
        let runs = if restart.starts_with("on-failure") {
            "until it succeeds"
        } else {
            "once"
        };
        self.report.warn(
            &svc_path(name, "restart"),
            format!("restart {restart}, no ports, no healthcheck, and no service waits for it to start: a one-shot task, converted to a Job (it runs {runs}, as with Compose)"),
            Some("if it is a long-running worker, set x-berth.kind: deployment".into()),
        );
    }

    /// The order services are converted in: Jobs first, each after the Jobs it depends on (the
    /// pods that wait for a Job need its name), then the other services by name.
    pub(super) fn conversion_order(&self) -> Vec<String> {
        fn visit(ctx: &Ctx, name: &str, seen: &mut BTreeSet<String>, out: &mut Vec<String>) {
            if !seen.insert(name.to_string()) {
                return;
            }
            for dep in ctx.p.services[name].depends_on.keys() {
                if ctx.kinds.get(dep) == Some(&WorkloadKind::Job) {
                    visit(ctx, dep, seen, out);
                }
            }
            out.push(name.to_string());
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (name, kind) in &self.kinds {
            if *kind == WorkloadKind::Job {
                visit(self, name, &mut seen, &mut out);
            }
        }
        out.extend(
            self.p
                .services
                .keys()
                .filter(|n| !seen.contains(*n))
                .cloned(),
        );
        out
    }

    /// Finishes the Job of service `name` (Kubernetes name `base`): its time to live, and the
    /// name it gets from its spec. Records the name and the chart's hook.
    pub(super) fn upgradable_job(&mut self, name: &str, base: &str, spec: &mut JobSpec) -> String {
        let kept = self.jobs.waited.contains(name);
        if !kept {
            spec.ttl_seconds_after_finished = Some(FINISHED_JOB_TTL);
        }
        // The k8s-openapi types serialise infallibly, fields in a fixed order.
        let text = serde_json::to_string(spec).unwrap_or_default();
        let job = names::derived(base, &names::short_hash(&text));
        let weight = self.p.services[name]
            .depends_on
            .keys()
            .filter_map(|d| self.jobs.weights.get(d))
            .map(|w| w + 1)
            .max()
            .unwrap_or(0);
        self.jobs.weights.insert(name.to_string(), weight);
        self.jobs.names.insert(name.to_string(), job.clone());
        // A Job that pods wait for stays until the next upgrade replaces it; another one goes
        // once it succeeded (a failed one stays, to be read).
        let delete = if kept {
            "before-hook-creation"
        } else {
            "before-hook-creation,hook-succeeded"
        };
        self.chart.job_hooks.insert(
            job.clone(),
            BTreeMap::from([
                ("helm.sh/hook".to_string(), HOOK_PHASES.to_string()),
                ("helm.sh/hook-weight".to_string(), weight.to_string()),
                ("helm.sh/hook-delete-policy".to_string(), delete.to_string()),
            ]),
        );
        self.report.info(
            &format!("services.{name}"),
            format!(
                "the Job is named {job:?} after its spec, so a changed task is a new Job (delete or prune the old one: kubectl apply --prune -l app.kubernetes.io/instance={}){}",
                self.instance,
                if kept {
                    ""
                } else {
                    "; Kubernetes deletes it a day after it finished (ttlSecondsAfterFinished)"
                }
            ),
            None,
        );
        job
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, names_of, object, pod_spec};

    /// The name of the one Job of service `base`.
    fn job_name(c: &super::super::Conversion, base: &str) -> String {
        let jobs: Vec<String> = names_of(c)
            .into_iter()
            .filter_map(|n| n.strip_prefix("Job/").map(str::to_string))
            .filter(|n| n.starts_with(&format!("{base}-")))
            .collect();
        assert_eq!(jobs.len(), 1, "{:?}", names_of(c));
        jobs[0].clone()
    }

    #[test]
    fn a_job_is_named_after_its_spec_and_waiters_follow_the_name() {
        let yaml = |tag: &str| {
            format!("services:\n  migrate:\n    image: app:{tag}\n    restart: \"no\"\n  web:\n    image: nginx:1.25\n    depends_on:\n      migrate: {{condition: service_completed_successfully}}\n")
        };
        let a = convert_plain(&yaml("1"));
        let b = convert_plain(&yaml("2"));
        let (ja, jb) = (job_name(&a, "migrate"), job_name(&b, "migrate"));
        assert_ne!(ja, jb, "a changed Job must get a new name");
        assert_eq!(ja, job_name(&convert_plain(&yaml("1")), "migrate"));
        assert_eq!(ja.len(), "migrate-".len() + 8, "{ja}");
        let job = object(&a, "Job", &ja);
        // Waited for: kept (no time to live).
        assert!(
            job["spec"].get("ttlSecondsAfterFinished").is_none(),
            "{job}"
        );
        let web = pod_spec(&a, "web");
        let script = web["initContainers"][0]["command"][2].as_str().unwrap();
        assert!(script.contains(&format!("/jobs/{ja}\"")), "{script}");
        assert_eq!(
            object(&a, "Role", "web-wait")["rules"][0]["resourceNames"],
            json!([ja])
        );
        assert_eq!(
            a.chart.job_hooks[&ja]["helm.sh/hook-delete-policy"],
            "before-hook-creation"
        );
    }

    #[test]
    fn kompose_style_one_shots_are_jobs_and_servers_are_not() {
        // Kong's migrations: restart on-failure, no ports, nobody waits for them.
        let c = convert_plain("services:\n  migrations:\n    image: kong:3.9\n    command: kong migrations bootstrap\n    restart: on-failure\n    depends_on: [db]\n  db:\n    image: postgres:16\n    restart: on-failure\n    expose: [\"5432\"]\n  kong:\n    image: kong:3.9\n    restart: on-failure:5\n    ports: [\"8000:8000\"]\n  worker:\n    image: busybox:1.36\n    restart: on-failure\n    healthcheck: {test: [CMD, \"true\"]}\n  seed:\n    image: busybox:1.36\n    restart: \"no\"\n");
        let migrations = job_name(&c, "migrations");
        let job = object(&c, "Job", &migrations);
        assert_eq!(
            job["spec"]["template"]["spec"]["restartPolicy"],
            "OnFailure"
        );
        assert_eq!(job["spec"]["ttlSecondsAfterFinished"], json!(86400));
        let seed = object(&c, "Job", &job_name(&c, "seed"));
        assert_eq!(seed["spec"]["template"]["spec"]["restartPolicy"], "Never");
        assert_eq!(seed["spec"]["backoffLimit"], json!(0));
        for server in ["db", "kong", "worker"] {
            object(&c, "Deployment", server);
        }
        let f = findings(&c);
        assert!(f.contains(&"Warning services.migrations.restart: restart on-failure, no ports, no healthcheck, and no service waits for it to start: a one-shot task, converted to a Job (it runs until it succeeds, as with Compose)".to_string()), "{f:?}");
        // Nothing waits for it: Helm deletes it once it succeeded.
        assert_eq!(
            c.chart.job_hooks[&migrations],
            [
                ("helm.sh/hook", "post-install,pre-upgrade"),
                (
                    "helm.sh/hook-delete-policy",
                    "before-hook-creation,hook-succeeded"
                ),
                ("helm.sh/hook-weight", "0"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        );
    }

    #[test]
    fn jobs_that_wait_for_jobs_run_after_them() {
        let c = convert_plain("services:\n  a-seed:\n    image: app:1\n    restart: \"no\"\n    depends_on:\n      z-schema: {condition: service_completed_successfully}\n  z-schema:\n    image: app:1\n    restart: \"no\"\n  web:\n    image: nginx:1.25\n    depends_on:\n      a-seed: {condition: service_completed_successfully}\n");
        let (seed, schema) = (job_name(&c, "a-seed"), job_name(&c, "z-schema"));
        assert_eq!(c.chart.job_hooks[&schema]["helm.sh/hook-weight"], "0");
        assert_eq!(c.chart.job_hooks[&seed]["helm.sh/hook-weight"], "1");
        let seed_pod = &object(&c, "Job", &seed)["spec"]["template"]["spec"];
        let script = seed_pod["initContainers"][0]["command"][2]
            .as_str()
            .unwrap();
        assert!(script.contains(&format!("/jobs/{schema}\"")), "{script}");
    }
}
