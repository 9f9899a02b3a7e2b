//! Ordering: `depends_on` as init containers that wait for a dependency's Service to answer,
//! or for its Job to complete (asking the API server, with a projected token).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMapProjection, Container, DownwardAPIProjection, DownwardAPIVolumeFile, KeyToPath,
    ObjectFieldSelector, ProjectedVolumeSource, ResourceRequirements,
    ServiceAccountTokenProjection, Volume, VolumeMount, VolumeProjection,
};

use super::container::escape_kubelet;
use super::storage::PodVolumes;
use super::{names, q, svc_path, Ctx};
use crate::settings::WorkloadKind;
use berth_compose::model::Service as ComposeService;

/// Where the projected service-account files are mounted (the path clients expect).
const SA_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Requests and limits of a waiting init container: it only polls.
fn wait_resources() -> Option<ResourceRequirements> {
    Some(ResourceRequirements {
        limits: Some(BTreeMap::from([
            ("cpu".to_string(), q("100m")),
            ("memory".to_string(), q("32Mi")),
        ])),
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), q("10m")),
            ("memory".to_string(), q("16Mi")),
        ])),
        ..Default::default()
    })
}

/// How long a waiting init container waits before it gives up and fails with a message (the
/// kubelet then starts it again, with back-off; a Job's pod counts it as a failed attempt).
const WAIT_TIMEOUT_SECS: u32 = 600;

/// The first lines of every wait script: it stops at once, with a message naming `tools` and
/// `hint`, when the image lacks one of them (instead of looping forever on "not found"), and
/// sets the deadline.
fn wait_preamble(cname: &str, tools: &str, what: &str, hint: &str) -> String {
    format!(
        "for t in {tools} date sleep; do\n\
         \x20 command -v \"$t\" >/dev/null 2>&1 || {{ echo \"{cname}: this image has no $t, so it cannot wait for {what}: {hint}\" >&2; exit 1; }}\n\
         done\n\
         end=$(($(date +%s) + {WAIT_TIMEOUT_SECS}))\n"
    )
}

/// The shell script of init container `cname` that waits until Job `job` of the pod's
/// namespace has succeeded: it fails at once when the Job failed, and after
/// [`WAIT_TIMEOUT_SECS`] with the API server's last answer.
fn job_wait_script(cname: &str, job: &str) -> String {
    let sa = SA_DIR;
    let pre = wait_preamble(
        cname,
        "curl grep cat",
        &format!("job {job}"),
        "use an image with curl and grep (curlimages/curl) with --job-wait-image or x-berth.job_wait_image",
    );
    format!(
        "{pre}url=\"https://kubernetes.default.svc/apis/batch/v1/namespaces/$(cat {sa}/namespace)/jobs/{job}\"\n\
         while :; do\n\
         \x20 if out=$(curl -sSf --cacert {sa}/ca.crt -H \"Authorization: Bearer $(cat {sa}/token)\" \"$url\" 2>&1); then\n\
         \x20   echo \"$out\" | grep -q '\"succeeded\": *[1-9]' && exit 0\n\
         \x20   if echo \"$out\" | grep -q '\"type\": *\"Failed\"'; then echo \"{cname}: job {job} failed: kubectl logs job/{job}\" >&2; exit 1; fi\n\
         \x20   last=\"the job has not completed\"\n\
         \x20 else\n\
         \x20   last=$out\n\
         \x20 fi\n\
         \x20 if [ \"$(date +%s)\" -ge \"$end\" ]; then echo \"{cname}: job {job} did not complete within {WAIT_TIMEOUT_SECS} s ($last): kubectl describe job/{job}\" >&2; exit 1; fi\n\
         \x20 echo 'waiting for job {job} to complete'; sleep 2\n\
         done"
    )
}

/// The shell script of init container `cname` that waits until Service `host` accepts
/// connections on TCP `port`, or without one, until its name resolves; it fails after
/// [`WAIT_TIMEOUT_SECS`] with the last error. The name is qualified with the first search
/// domain, as busybox's resolver does not search.
fn service_wait_script(cname: &str, host: &str, port: Option<i32>) -> String {
    let hint =
        "use an image with nc, nslookup and sed (busybox) with --wait-image or x-berth.wait_image";
    let (tools, what, check) = match port {
        Some(port) => (
            "sed nc grep",
            format!("{host}:{port}"),
            format!("nc -z -w 2 \"$h\" {port}"),
        ),
        None => (
            "sed nslookup",
            host.to_string(),
            "nslookup \"$h\"".to_string(),
        ),
    };
    let answers = if port.is_some() {
        "accept connections"
    } else {
        "resolve"
    };
    let mut pre = wait_preamble(cname, tools, &what, hint);
    if port.is_some() {
        // Some nc builds (Debian's busybox) have no -z: they would print their usage forever.
        pre.push_str(&format!(
            "if nc -z -w 1 127.0.0.1 9 2>&1 | grep -qiE 'option|usage'; then echo \"{cname}: this image's nc has no -z (a port check), so it cannot wait for {what}: {hint}\" >&2; exit 1; fi\n"
        ));
    }
    format!(
        "{pre}d=$(sed -n 's/^search \\([^ ]*\\).*/\\1/p' /etc/resolv.conf); h=\"{host}${{d:+.$d}}\"\n\
         until out=$({check} 2>&1); do\n\
         \x20 if [ \"$(date +%s)\" -ge \"$end\" ]; then echo \"{cname}: {what} did not {answers} within {WAIT_TIMEOUT_SECS} s${{out:+ ($out)}}: is it ready? kubectl get pods -l app.kubernetes.io/name={host}\" >&2; exit 1; fi\n\
         \x20 echo 'waiting for {what}'; sleep 2\n\
         done"
    )
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

impl<'a> Ctx<'a> {
    /// An init container per dependency of `svc`; the Jobs waited for go into `jobs` (the pod
    /// needs the right to read them).
    pub(super) fn waits(
        &mut self,
        name: &str,
        svc: &ComposeService,
        init: &mut Vec<Container>,
        jobs: &mut Vec<String>,
        pv: &mut PodVolumes,
    ) {
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
                // Jobs are converted first: the name is the one of its spec.
                let job = self.jobs.names.get(dep).cloned().unwrap_or(dep_base);
                jobs.push(job.clone());
                init.push(self.job_wait_container(cname, &job, pv));
                continue;
            }
            // Wait for the dependency's Service.
            let ports = &self.ports[dep];
            if dep_kind.is_batch() && ports.is_empty() {
                self.report.warn(
                    &path,
                    format!("{dep} runs as a {} without ports: waiting for it to start is not possible, so it is not waited for", dep_kind.as_str()),
                    Some("wait with condition: service_completed_successfully".into()),
                );
                continue;
            }
            let tcp = ports.iter().find(|p| p.protocol == "TCP").map(|p| p.port);
            let script = service_wait_script(&cname, &dep_base, tcp);
            init.push(self.wait_container(cname, &self.wait_image, &script));
        }
    }

    /// The init container that waits for Job `job` to complete, with the API access volume.
    fn job_wait_container(&mut self, cname: String, job: &str, pv: &mut PodVolumes) -> Container {
        let vol = pv.add(api_access_volume());
        Container {
            volume_mounts: Some(vec![VolumeMount {
                name: vol,
                mount_path: SA_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            }]),
            ..self.wait_container(
                cname.clone(),
                &self.job_wait_image,
                &job_wait_script(&cname, job),
            )
        }
    }

    /// An init container named `cname` that runs shell `script` in `image` until it is done
    /// waiting.
    fn wait_container(&self, cname: String, image: &str, script: &str) -> Container {
        Container {
            name: cname,
            image: Some(image.to_string()),
            image_pull_policy: Some(self.opts.image_pull_policy.clone()),
            command: Some(vec!["sh".into(), "-c".into(), escape_kubelet(script)]),
            security_context: self.init_security(),
            resources: wait_resources(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, names_of, object, pod_spec};

    #[test]
    fn a_dependency_is_waited_for_on_its_first_tcp_port() {
        let c = convert_plain("services:\n  db:\n    image: postgres:16\n    expose: [\"53/udp\", \"5432\"]\n  app:\n    image: nginx:1.25\n    depends_on: [db]\n");
        let init = &pod_spec(&c, "app")["initContainers"];
        assert_eq!(init[0]["name"], json!("wait-for-db"));
        assert_eq!(init[0]["image"], json!(crate::DEFAULT_WAIT_IMAGE));
        let script = init[0]["command"][2].as_str().unwrap();
        assert!(
            script.contains("until out=$$(nc -z -w 2 \"$h\" 5432 2>&1); do"),
            "{script}"
        );
        // `$(` is escaped for the kubelet, so the shell sees the command substitution.
        assert!(script.contains("\nd=$$(sed"), "{script}");
        // The image is checked for its tools first, and the wait is bounded.
        assert!(script.starts_with("for t in sed nc grep date sleep; do\n  command -v \"$t\" >/dev/null 2>&1 || { echo \"wait-for-db: this image has no $t, so it cannot wait for db:5432: use an image with nc, nslookup and sed (busybox) with --wait-image or x-berth.wait_image\" >&2; exit 1; }\n"), "{script}");
        assert!(script.contains("echo \"wait-for-db: db:5432 did not accept connections within 600 s${out:+ ($out)}: is it ready? kubectl get pods -l app.kubernetes.io/name=db\" >&2; exit 1"), "{script}");
    }

    #[test]
    fn waiting_for_a_job_reads_it_through_the_api_with_its_own_service_account() {
        let c = convert_plain("services:\n  migrate:\n    image: busybox:1.36\n  app:\n    image: nginx:1.25\n    depends_on:\n      migrate:\n        condition: service_completed_successfully\n");
        let pod = pod_spec(&c, "app");
        assert_eq!(pod["serviceAccountName"], json!("app-wait"));
        assert_eq!(
            pod["initContainers"][0]["image"],
            json!(crate::DEFAULT_JOB_WAIT_IMAGE)
        );
        assert_eq!(pod["volumes"][0]["name"], json!("kube-api-access"));
        let names = names_of(&c);
        let job = names
            .iter()
            .find_map(|n| n.strip_prefix("Job/migrate-"))
            .map(|h| format!("migrate-{h}"))
            .unwrap_or_else(|| panic!("no Job migrate-… in {names:?}"));
        let role = object(&c, "Role", "app-wait");
        assert_eq!(role["rules"][0]["resourceNames"], json!([job]));
        assert_eq!(role["rules"][0]["verbs"], json!(["get"]));
        for o in ["ServiceAccount/app-wait", "RoleBinding/app-wait"] {
            assert!(names.contains(&o.to_string()), "{o}: {names:?}");
        }
        let script = pod["initContainers"][0]["command"][2].as_str().unwrap();
        for want in [
            "for t in curl grep cat date sleep; do",
            &format!("echo \"wait-for-migrate: job {job} failed: kubectl logs job/{job}\" >&2; exit 1"),
            &format!("echo \"wait-for-migrate: job {job} did not complete within 600 s ($last): kubectl describe job/{job}\" >&2; exit 1"),
        ] {
            assert!(script.contains(want), "{want}\n{script}");
        }
    }

    #[test]
    fn what_cannot_be_waited_for_is_said() {
        let c = convert_plain("services:\n  task:\n    image: busybox:1.36\n    x-berth:\n      kind: job\n  app:\n    image: nginx:1.25\n    depends_on:\n      task:\n        condition: service_healthy\n");
        let f = findings(&c);
        assert!(f.contains(&"Warning services.app.depends_on.task: waits for task to be healthy, but task has no healthcheck: the pod waits for its port only".to_string()), "{f:?}");
        assert!(f.contains(&"Warning services.app.depends_on.task: task runs as a Job without ports: waiting for it to start is not possible, so it is not waited for".to_string()), "{f:?}");
    }
}
