//! Probes: the healthcheck as readiness, liveness and startup probes, kompose's probe labels,
//! and durations in the whole seconds Kubernetes counts.

use k8s_openapi::api::core::v1::{Container, ExecAction, HTTPGetAction, Probe, TCPSocketAction};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{svc_path, Ctx};
use crate::settings::{ProbeLabels, ServiceSettings};
use crate::units;
use berth_compose::model::{HealthCheckConfig, Service as ComposeService};

impl<'a> Ctx<'a> {
    fn probe_from_test(&mut self, path: &str, test: &[String]) -> Option<ExecAction> {
        let (first, rest) = test.split_first()?;
        match first.as_str() {
            "CMD" if !rest.is_empty() => Some(ExecAction {
                command: Some(rest.to_vec()),
            }),
            "CMD-SHELL" if !rest.is_empty() => Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]),
            }),
            "NONE" => None,
            _ => {
                self.report.error(
                    path,
                    format!("healthcheck test {test:?} is not CMD, CMD-SHELL or NONE"),
                    None,
                );
                None
            }
        }
    }

    pub(super) fn secs(&mut self, path: &str, v: Option<&str>, default: i64) -> i32 {
        let Some(s) = v.filter(|s| !s.is_empty()) else {
            return default as i32;
        };
        match units::duration_secs(s) {
            Some((n, rounded)) => {
                if rounded {
                    self.report.info(
                        path,
                        format!("{s} is rounded up to {n}s (Kubernetes counts whole seconds)"),
                        None,
                    );
                }
                n.clamp(0, i64::from(i32::MAX)) as i32
            }
            None => {
                self.report
                    .error(path, format!("{s:?} is not a duration"), None);
                default as i32
            }
        }
    }

    pub(super) fn probes(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
        c: &mut Container,
    ) {
        let hp = svc_path(name, "healthcheck");
        let hc: HealthCheckConfig = svc.healthcheck.clone().unwrap_or_default();
        let disabled = hc.disable || hc.test.first().map(String::as_str) == Some("NONE");
        let mut handler = None;
        if svc.healthcheck.is_some() && !disabled {
            if hc.test.is_empty() {
                if !st.liveness.is_set() && !st.readiness.is_set() {
                    self.report.warn(
                        &hp,
                        "no test: the image's HEALTHCHECK is invisible to Kubernetes, so no probe is made",
                        Some("write the test out in healthcheck.test".into()),
                    );
                }
            } else {
                handler = self.probe_from_test(&format!("{hp}.test"), &hc.test);
            }
        }
        if disabled && svc.healthcheck.is_some() {
            self.report.info(&hp, "disabled: no probes", None);
        }
        let period = self
            .secs(&format!("{hp}.interval"), hc.interval.as_deref(), 30)
            .max(1);
        let timeout = self
            .secs(&format!("{hp}.timeout"), hc.timeout.as_deref(), 30)
            .max(1);
        let retries = hc.retries.map_or(3, |r| r.clamp(1, 1000) as i32);
        let start = self.secs(&format!("{hp}.start_period"), hc.start_period.as_deref(), 0);
        let start_interval = self
            .secs(
                &format!("{hp}.start_interval"),
                hc.start_interval.as_deref(),
                5,
            )
            .max(1);
        let base = |exec: Option<ExecAction>| Probe {
            exec,
            period_seconds: Some(period),
            timeout_seconds: Some(timeout),
            failure_threshold: Some(retries),
            ..Default::default()
        };
        let mut readiness = handler.clone().map(|h| base(Some(h)));
        let mut liveness = handler.clone().map(|h| base(Some(h)));
        if let Some(h) = handler {
            if start > 0 {
                c.startup_probe = Some(Probe {
                    exec: Some(h),
                    period_seconds: Some(start_interval),
                    timeout_seconds: Some(timeout),
                    failure_threshold: Some(
                        (start + start_interval - 1) / start_interval + retries,
                    ),
                    ..Default::default()
                });
            }
        }
        // kompose's labels.
        let lp = svc_path(name, "labels");
        for (which, labels, probe) in [
            ("liveness", &st.liveness, &mut liveness),
            ("readiness", &st.readiness, &mut readiness),
        ] {
            if labels.is_set() {
                let path = format!("{lp}.kompose.service.healthcheck.{which}");
                let from = probe.take().unwrap_or_else(|| base(None));
                *probe = self.label_probe(&path, labels, from);
            }
        }
        c.readiness_probe = readiness;
        c.liveness_probe = liveness;
    }

    /// Probe `p` (from the healthcheck, or its timing only) as kompose's probe labels `l`
    /// change it.
    fn label_probe(&mut self, path: &str, l: &ProbeLabels, mut p: Probe) -> Option<Probe> {
        if l.disable {
            return None;
        }
        if let Some(t) = &l.test {
            p.exec = Some(ExecAction {
                command: Some(vec!["/bin/sh".into(), "-c".into(), t.clone()]),
            });
            p.http_get = None;
            p.tcp_socket = None;
        }
        if let (Some(path_), Some(port)) = (&l.http_get_path, l.http_get_port) {
            p.exec = None;
            p.tcp_socket = None;
            p.http_get = Some(HTTPGetAction {
                path: Some(path_.clone()),
                port: IntOrString::Int(port),
                ..Default::default()
            });
        } else if let Some(port) = l.tcp_port {
            p.exec = None;
            p.http_get = None;
            p.tcp_socket = Some(TCPSocketAction {
                port: IntOrString::Int(port),
                ..Default::default()
            });
        }
        if let Some(i) = &l.interval {
            p.period_seconds = Some(self.secs(&format!("{path}.interval"), Some(i), 30).max(1));
        }
        if let Some(t) = &l.timeout {
            p.timeout_seconds = Some(self.secs(&format!("{path}.timeout"), Some(t), 30).max(1));
        }
        if let Some(r) = l.retries {
            p.failure_threshold = Some(r);
        }
        if let Some(s) = &l.start_period {
            let n = self.secs(&format!("{path}.start_period"), Some(s), 0);
            p.initial_delay_seconds = (n > 0).then_some(n);
        }
        if p.exec.is_none() && p.http_get.is_none() && p.tcp_socket.is_none() {
            self.report.warn(
                path,
                "probe labels without a test, an HTTP path and port, or a TCP port: no probe",
                None,
            );
            return None;
        }
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{convert_plain, findings, pod_spec};

    #[test]
    fn a_healthcheck_is_three_probes_in_whole_seconds() {
        let c = convert_plain("services:\n  app:\n    image: nginx:1.25\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f localhost\"]\n      interval: 1500ms\n      timeout: 2s\n      retries: 4\n      start_period: 10s\n");
        let ctr = &pod_spec(&c, "app")["containers"][0];
        let exec = json!({"command": ["/bin/sh", "-c", "curl -f localhost"]});
        let probe =
            json!({"exec": exec, "periodSeconds": 2, "timeoutSeconds": 2, "failureThreshold": 4});
        assert_eq!(ctr["readinessProbe"], probe);
        assert_eq!(ctr["livenessProbe"], probe);
        // The start period at the start interval (5s by default), then the retries.
        assert_eq!(
            ctr["startupProbe"],
            json!({"exec": exec, "periodSeconds": 5, "timeoutSeconds": 2, "failureThreshold": 6})
        );
        assert!(findings(&c).contains(&"Info services.app.healthcheck.interval: 1.5s is rounded up to 2s (Kubernetes counts whole seconds)".to_string()));
    }

    #[test]
    fn kompose_probe_labels_override_the_healthcheck() {
        let c = convert_plain("services:\n  app:\n    image: nginx:1.25\n    labels:\n      kompose.service.healthcheck.readiness.tcp_port: \"80\"\n      kompose.service.healthcheck.readiness.interval: \" 10s\"\n      kompose.service.healthcheck.liveness.interval: \"-1s\"\n      kompose.service.healthcheck.liveness.tcp_port: \"80\"\n");
        let ctr = &pod_spec(&c, "app")["containers"][0];
        assert_eq!(ctr["readinessProbe"]["tcpSocket"], json!({"port": 80}));
        assert_eq!(ctr["readinessProbe"]["periodSeconds"], json!(10));
        // A negative duration is refused, and the default kept.
        assert_eq!(ctr["livenessProbe"]["periodSeconds"], json!(30));
        assert!(findings(&c).contains(&"Error services.app.labels.kompose.service.healthcheck.liveness.interval: \"-1s\" is not a duration".to_string()));
    }
}
