//! What has no Kubernetes equivalent: service keys berth does not convert (one warning each,
//! saying what happens), keys it does not know at all, and top-level keys it ignores.

use super::{svc_path, Ctx};
use crate::report::Severity::{self, Error, Info, Warning};
use crate::settings::ServiceSettings;
use berth_compose::model::Service as ComposeService;

/// Every service key berth knows what to do with. A key outside this list gets a warning, so a
/// compose feature added to the model later is never dropped silently.
pub(crate) const HANDLED_SERVICE_KEYS: &[&str] = &[
    "annotations",
    "attach",
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "develop",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "dockerfile",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "gpus",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "label_file",
    "labels",
    "links",
    "log_driver",
    "log_opt",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "net",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "post_start",
    "pre_stop",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "uts",
    "volume_driver",
    "volumes",
    "volumes_from",
    "working_dir",
];

/// A service key with no Kubernetes equivalent: when it counts as set, and what the report
/// says about it.
struct NoEquivalent {
    key: &'static str,
    set: fn(&ComposeService) -> bool,
    severity: Severity,
    message: &'static str,
}

/// Keys that have no Kubernetes equivalent, in the order their findings are reported.
static NO_EQUIVALENT: &[NoEquivalent] = &[
    NoEquivalent {
        key: "attach",
        set: |svc| svc.attach.is_some(),
        severity: Info,
        message: "only affects `up` logs: ignored",
    },
    NoEquivalent {
        key: "blkio_config",
        set: |svc| svc.blkio_config.is_some(),
        severity: Warning,
        message: "block IO limits do not exist in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "cgroup",
        set: |svc| svc.cgroup.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "cgroup namespace mode is not settable in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "cgroup_parent",
        set: |svc| svc.cgroup_parent.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "the kubelet chooses cgroups: ignored",
    },
    NoEquivalent {
        key: "container_name",
        set: |svc| svc.container_name.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Info,
        message: "Kubernetes names pods itself; the container is named after the service",
    },
    NoEquivalent {
        key: "cpu_count",
        set: |svc| svc.cpu_count.is_some_and(|n| n != 0),
        severity: Warning,
        message: "Windows CPU count: ignored",
    },
    NoEquivalent {
        key: "cpu_percent",
        set: |svc| svc.cpu_percent.is_some_and(|n| n != 0.0),
        severity: Warning,
        message: "Windows CPU percent: ignored",
    },
    NoEquivalent {
        key: "cpu_period",
        set: |svc| svc.cpu_period.is_some_and(|n| n != 0),
        severity: Warning,
        message: "CFS period is not settable in Kubernetes (use deploy.resources.limits.cpus): ignored",
    },
    NoEquivalent {
        key: "cpu_quota",
        set: |svc| svc.cpu_quota.is_some_and(|n| n != 0),
        severity: Warning,
        message: "CFS quota is not settable in Kubernetes (use deploy.resources.limits.cpus): ignored",
    },
    NoEquivalent {
        key: "cpu_rt_period",
        set: |svc| svc.cpu_rt_period.is_some_and(|n| n != 0),
        severity: Warning,
        message: "realtime scheduling is not available in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "cpu_rt_runtime",
        set: |svc| svc.cpu_rt_runtime.is_some_and(|n| n != 0),
        severity: Warning,
        message: "realtime scheduling is not available in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "cpu_shares",
        set: |svc| svc.cpu_shares.is_some_and(|n| n != 0),
        severity: Warning,
        message: "relative CPU shares: use deploy.resources.reservations.cpus (CPU requests): ignored",
    },
    NoEquivalent {
        key: "cpuset",
        set: |svc| svc.cpuset.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "CPU pinning needs the kubelet's static CPU manager: ignored",
    },
    NoEquivalent {
        key: "credential_spec",
        set: |svc| svc.credential_spec.is_some(),
        severity: Warning,
        message: "Windows credential specs: ignored",
    },
    NoEquivalent {
        key: "develop",
        set: |svc| svc.develop.is_some(),
        severity: Info,
        message: "development (watch) settings: ignored",
    },
    NoEquivalent {
        key: "device_cgroup_rules",
        set: |svc| !svc.device_cgroup_rules.is_empty(),
        severity: Error,
        message: "device cgroup rules cannot be set in Kubernetes",
    },
    NoEquivalent {
        key: "devices",
        set: |svc| !svc.devices.is_empty(),
        severity: Error,
        message: "host devices need a device plugin (or a privileged pod) in Kubernetes",
    },
    NoEquivalent {
        key: "dockerfile",
        set: |svc| svc.dockerfile.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Info,
        message: "build setting: not part of the manifests",
    },
    NoEquivalent {
        key: "external_links",
        set: |svc| !svc.external_links.is_empty(),
        severity: Warning,
        message: "links to containers outside the project: reach them through a Service of their own",
    },
    NoEquivalent {
        key: "init",
        set: |svc| svc.init == Some(true),
        severity: Warning,
        message: "Kubernetes has no init process option; use an image with tini, or shareProcessNamespace",
    },
    NoEquivalent {
        key: "isolation",
        set: |svc| svc.isolation.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "isolation technology: ignored",
    },
    NoEquivalent {
        key: "label_file",
        set: |svc| !svc.label_file.is_empty(),
        severity: Info,
        message: "labels are read by the loader; the file itself is not used",
    },
    NoEquivalent {
        key: "logging",
        set: |svc| svc.logging.is_some(),
        severity: Warning,
        message: "logging drivers do not exist in Kubernetes; the cluster collects stdout/stderr",
    },
    NoEquivalent {
        key: "log_driver",
        set: |svc| svc.log_driver.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "logging drivers do not exist in Kubernetes",
    },
    NoEquivalent {
        key: "log_opt",
        set: |svc| !svc.log_opt.is_empty(),
        severity: Warning,
        message: "logging options do not exist in Kubernetes",
    },
    NoEquivalent {
        key: "mac_address",
        set: |svc| svc.mac_address.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "MAC addresses are chosen by the network plugin: ignored",
    },
    NoEquivalent {
        key: "mem_swappiness",
        set: |svc| svc.mem_swappiness.is_some_and(|n| n.0 != 0),
        severity: Warning,
        message: "swap settings are per node in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "memswap_limit",
        set: |svc| svc.memswap_limit.is_some_and(|n| n.0 != 0),
        severity: Warning,
        message: "swap settings are per node in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "oom_kill_disable",
        set: |svc| svc.oom_kill_disable,
        severity: Warning,
        message: "the OOM killer cannot be disabled per pod: ignored",
    },
    NoEquivalent {
        key: "oom_score_adj",
        set: |svc| svc.oom_score_adj.is_some_and(|n| n != 0),
        severity: Warning,
        message: "the kubelet sets OOM scores from the QoS class: ignored",
    },
    NoEquivalent {
        key: "pids_limit",
        set: |svc| svc.pids_limit.is_some_and(|n| n != 0),
        severity: Warning,
        message: "PID limits are per node in Kubernetes (kubelet podPidsLimit): ignored",
    },
    NoEquivalent {
        key: "storage_opt",
        set: |svc| !svc.storage_opt.is_empty(),
        severity: Warning,
        message: "storage driver options: ignored",
    },
    NoEquivalent {
        key: "stop_signal",
        set: |svc| svc.stop_signal.as_deref().is_some_and(|s| !s.is_empty() && s != "SIGTERM"),
        severity: Warning,
        message: "Kubernetes always stops containers with SIGTERM (before 1.33): make the process handle SIGTERM, or add a preStop hook",
    },
    NoEquivalent {
        key: "ulimits",
        set: |svc| !svc.ulimits.is_empty(),
        severity: Warning,
        message: "ulimits are set by the container runtime's defaults in Kubernetes: ignored",
    },
    NoEquivalent {
        key: "userns_mode",
        set: |svc| svc.userns_mode.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "user namespace mode: ignored",
    },
    NoEquivalent {
        key: "uts",
        set: |svc| svc.uts.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "UTS namespace mode: ignored",
    },
    NoEquivalent {
        key: "volume_driver",
        set: |svc| svc.volume_driver.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "volume drivers do not exist in Kubernetes: the storage class decides",
    },
    NoEquivalent {
        key: "net",
        set: |svc| svc.net.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "legacy `net`: use network_mode",
    },
    NoEquivalent {
        key: "runtime",
        set: |svc| svc.runtime.as_deref().is_some_and(|s| !s.is_empty()),
        severity: Warning,
        message: "the OCI runtime is chosen by a RuntimeClass in Kubernetes: ignored",
    },
];

impl<'a> Ctx<'a> {
    pub(super) fn unhandled_keys(&mut self, name: &str, svc: &ComposeService) {
        let Ok(serde_json::Value::Object(m)) = serde_json::to_value(svc) else {
            return;
        };
        for (k, v) in m {
            if v.is_null() || k.starts_with("x-") {
                continue;
            }
            if !HANDLED_SERVICE_KEYS.contains(&k.as_str()) {
                self.report.warn(
                    &svc_path(name, &k),
                    format!("berth does not convert {k:?} to Kubernetes: ignored"),
                    None,
                );
            }
        }
        for k in svc.extensions.keys() {
            if k != "x-berth" {
                self.report
                    .info(&svc_path(name, k), "extension key: not used by berth", None);
            }
        }
    }

    /// Keys that have no Kubernetes equivalent: one finding each, saying what happens.
    pub(super) fn simple_warnings(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) {
        for k in NO_EQUIVALENT.iter().filter(|k| (k.set)(svc)) {
            self.report
                .add(k.severity, &svc_path(name, k.key), k.message, None);
        }
        if svc.build.is_some() {
            self.report.info(
                &svc_path(name, "build"),
                "build settings are not part of the manifests: build and push the image first (berth build, berth bundle push)",
                None,
            );
        }
        if let Some(g) = &st.service_group {
            self.report.warn(
                &svc_path(name, "labels.kompose.service.group"),
                format!("kompose.service.group {g:?}: berth keeps one service per pod (kompose too, unless --service-group-mode is given)"),
                None,
            );
        }
        if let Some(t) = st.volume_type.as_deref() {
            match t {
                "emptyDir" | "persistentVolumeClaim" | "configMap" => {}
                "hostPath" if self.opts.host_path => {}
                other => self.report.error(
                    &svc_path(name, "labels.kompose.volume.type"),
                    format!(
                        "kompose.volume.type {other:?} is not supported{}",
                        if other == "hostPath" {
                            " without --host-path"
                        } else {
                            ""
                        }
                    ),
                    None,
                ),
            }
        }
    }

    pub(super) fn top_level_keys(&mut self) {
        let p = self.p;
        for (name, n) in &p.networks {
            let path = format!("networks.{name}");
            if n.driver
                .as_deref()
                .is_some_and(|d| !d.is_empty() && d != "bridge" && d != "overlay")
            {
                self.report.warn(
                    &format!("{path}.driver"),
                    "network drivers do not exist in Kubernetes: ignored",
                    None,
                );
            }
            if !n.ipam.is_empty() {
                self.report.warn(
                    &format!("{path}.ipam"),
                    "address ranges are set by the cluster: ignored",
                    None,
                );
            }
            if n.external {
                self.report.info(
                    &format!("{path}.external"),
                    "external network: the services on it are reached through their own Services",
                    None,
                );
            }
            if n.enable_ipv6 == Some(true) {
                self.report.info(
                    &format!("{path}.enable_ipv6"),
                    "IP families are set by the cluster",
                    None,
                );
            }
        }
        for (name, v) in &p.volumes {
            if !v.labels.is_empty() && v.labels.keys().any(|k| !k.starts_with("kompose.")) {
                self.report.info(
                    &format!("volumes.{name}.labels"),
                    "volume labels are not copied",
                    None,
                );
            }
        }
        for k in p.extensions.keys() {
            if k != "x-berth" {
                self.report
                    .info(k, "extension key: not used by berth", None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{convert_plain, findings};
    use super::*;

    #[test]
    fn every_key_without_equivalent_is_a_handled_key() {
        // Otherwise it would also get "berth does not convert …".
        for k in NO_EQUIVALENT {
            assert!(HANDLED_SERVICE_KEYS.contains(&k.key), "{}", k.key);
        }
    }

    #[test]
    fn keys_without_equivalent_get_one_finding_each() {
        let c = convert_plain("services:\n  app:\n    image: nginx:1.25\n    devices: [\"/dev/ttyUSB0:/dev/ttyUSB0\"]\n    init: true\n    cpu_shares: 0\n    stop_signal: SIGTERM\n    ulimits:\n      nofile: 1024\n    x-other: 1\n");
        let mut got = findings(&c);
        got.sort();
        assert_eq!(
            got,
            [
                "Error services.app.devices: host devices need a device plugin (or a privileged pod) in Kubernetes",
                "Info services.app.x-other: extension key: not used by berth",
                "Warning services.app.init: Kubernetes has no init process option; use an image with tini, or shareProcessNamespace",
                "Warning services.app.ulimits: ulimits are set by the container runtime's defaults in Kubernetes: ignored",
            ]
        );
    }
}
