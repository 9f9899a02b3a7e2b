//! The main container: image, pull policy, command, environment (a ConfigMap and a Secret),
//! resources and GPUs, security contexts (the container's and the pod's) and lifecycle hooks.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMap, ConfigMapEnvSource, Container, EnvFromSource, ExecAction, Lifecycle,
    LifecycleHandler, PodSecurityContext, ResourceRequirements, SeccompProfile, Secret,
    SecretEnvSource, SecurityContext, Sysctl,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::ByteString;

use super::{meta, names, q, svc_path, Ctx, Object};
use crate::settings::ServiceSettings;
use crate::units;
use berth_compose::image::{self, ImageRef};
use berth_compose::model::{Resource, Service as ComposeService};

/// Sysctls Kubernetes allows without kubelet flags (1.29).
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Escapes `$` for the places the kubelet expands `$(VAR)` (command, args, env values): a `$`
/// before `$` or `(` is doubled, so the text reaches the process unchanged.
pub(super) fn escape_kubelet(s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, c) in b.iter().enumerate() {
        out.push(*c);
        if *c == '$' && matches!(b.get(i + 1), Some('$') | Some('(')) {
            out.push('$');
        }
    }
    out
}

/// Parses `uid[:gid]`; `None` for names.
pub(super) fn parse_user(u: &str) -> Option<(i64, Option<i64>)> {
    let (a, b) = match u.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (u, None),
    };
    let uid: i64 = a.trim().parse().ok()?;
    let gid = match b {
        Some(g) => Some(g.trim().parse().ok()?),
        None => None,
    };
    Some((uid, gid))
}

impl<'a> Ctx<'a> {
    pub(super) fn image(&mut self, name: &str, svc: &ComposeService) -> String {
        let raw = match svc.image.as_deref().filter(|s| !s.is_empty()) {
            Some(i) => i.to_string(),
            None => {
                let i = image::built_image(&self.lp.name, name);
                self.report.warn(
                    &svc_path(name, "build"),
                    format!("no image: the pods run {i:?}, the name `berth build` gives it; push it where the cluster can pull it"),
                    Some("set image: to the name the built image is pushed as".into()),
                );
                i
            }
        };
        let Some(parsed) = ImageRef::parse(&raw) else {
            self.report.error(
                &svc_path(name, "image"),
                format!("{raw:?} is not a valid image reference"),
                None,
            );
            return raw;
        };
        match &self.opts.registry {
            Some(r) if image::check_registry(r).is_ok() => parsed.with_registry(r).to_string(),
            _ => raw,
        }
    }

    pub(super) fn pull_policy(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) -> String {
        if let Some(p) = &st.image_pull_policy {
            return p.clone();
        }
        match svc.pull_policy.as_deref() {
            None | Some("") => self.opts.image_pull_policy.clone(),
            Some("always") => "Always".into(),
            Some("never") => "Never".into(),
            Some("missing") | Some("if_not_present") => "IfNotPresent".into(),
            Some(other) => {
                self.report.warn(
                    &svc_path(name, "pull_policy"),
                    format!(
                        "pull_policy {other:?} has no Kubernetes equivalent: {}",
                        self.opts.image_pull_policy
                    ),
                    None,
                );
                self.opts.image_pull_policy.clone()
            }
        }
    }

    pub(super) fn command(&mut self, name: &str, svc: &ComposeService, c: &mut Container) {
        let esc = |v: &Vec<String>| v.iter().map(|s| escape_kubelet(s)).collect::<Vec<_>>();
        match (&svc.entrypoint, &svc.command) {
            (Some(ep), cmd) if ep.is_empty() => {
                // An empty entrypoint runs the command directly.
                match cmd {
                    Some(cmd) if !cmd.is_empty() => c.command = Some(esc(cmd)),
                    _ => self.report.warn(
                        &svc_path(name, "entrypoint"),
                        "an empty entrypoint with the image's command cannot be expressed without knowing that command: the image's entrypoint is kept",
                        Some("write the command out in command:".into()),
                    ),
                }
            }
            (ep, cmd) => {
                if let Some(ep) = ep {
                    c.command = Some(esc(ep));
                }
                if let Some(cmd) = cmd {
                    if cmd.is_empty() && ep.is_none() {
                        self.report.warn(
                            &svc_path(name, "command"),
                            "an empty command keeps the image's command in Kubernetes",
                            None,
                        );
                    } else {
                        c.args = Some(esc(cmd));
                    }
                }
            }
        }
    }

    /// Environment split into plain settings (ConfigMap) and secret-looking ones (Secret).
    pub(super) fn environment(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let mut plain = BTreeMap::new();
        let mut secret = BTreeMap::new();
        for (k, v) in &svc.environment {
            let path = svc_path(name, &format!("environment.{k}"));
            let Some(v) = v else {
                self.report.warn(
                    &path,
                    format!("{k} has no value and is not set in the environment berth converts with: left out"),
                    Some(format!("set {k} before converting, or give it a value")),
                );
                continue;
            };
            if !names::is_config_key(k) {
                self.report.error(
                    &path,
                    format!("{k:?} cannot be a ConfigMap key (letters, digits, '-', '_', '.')"),
                    Some("rename the variable".into()),
                );
                continue;
            }
            let referenced = if self.opts.embed_secrets {
                ""
            } else {
                " (referenced, not written)"
            };
            if crate::lint::looks_secret(k, v) {
                self.report.info(
                    &path,
                    format!("{k} looks like a secret: it goes into the Secret {}-env{referenced}, not the ConfigMap", self.base[name]),
                    None,
                );
                secret.insert(k.clone(), v.clone());
            } else if crate::lint::has_embedded_credentials(v) {
                self.report.info(
                    &path,
                    format!(
                        "{k} holds a URL with a password: it goes into the Secret {}-env{referenced}",
                        self.base[name]
                    ),
                    None,
                );
                secret.insert(k.clone(), v.clone());
            } else {
                plain.insert(k.clone(), v.clone());
            }
        }
        (plain, secret)
    }

    /// The ConfigMap and the Secret `<base>-env` that hold the environment (each only when it
    /// has variables; the Secret is only referenced without `--embed-secrets`), and the
    /// container's `envFrom` for them. Their names are claimed either way, so a chart can fill
    /// them.
    pub(super) fn env_objects(
        &mut self,
        name: &str,
        base: &str,
        sel: &BTreeMap<String, String>,
        env: &BTreeMap<String, String>,
        secret_env: &BTreeMap<String, String>,
    ) -> (Vec<EnvFromSource>, String, String) {
        let env_name = names::label(&format!("{base}-env"), names::LABEL_MAX);
        let mut env_from = Vec::new();
        let cm_name = self
            .book
            .claim("ConfigMap", &env_name, &svc_path(name, "environment"));
        let s_name = self
            .book
            .claim("Secret", &env_name, &svc_path(name, "environment"));
        if !env.is_empty() {
            let cm_name = cm_name.clone();
            self.objects.push(Object::ConfigMap(ConfigMap {
                metadata: meta(&cm_name, sel.clone()),
                data: Some(env.clone()),
                ..Default::default()
            }));
            env_from.push(EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: cm_name,
                    optional: None,
                }),
                ..Default::default()
            });
        }
        if !secret_env.is_empty() && !self.opts.embed_secrets {
            self.referenced_env_secret(name, &s_name, secret_env.keys());
            env_from.push(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: s_name.clone(),
                    optional: None,
                }),
                ..Default::default()
            });
        } else if !secret_env.is_empty() {
            let s_name = s_name.clone();
            self.objects.push(Object::Secret(Secret {
                metadata: meta(&s_name, sel.clone()),
                type_: Some("Opaque".into()),
                data: Some(
                    secret_env
                        .iter()
                        .map(|(k, v)| (k.clone(), ByteString(v.as_bytes().to_vec())))
                        .collect(),
                ),
                ..Default::default()
            }));
            env_from.push(EnvFromSource {
                secret_ref: Some(SecretEnvSource {
                    name: s_name,
                    optional: None,
                }),
                ..Default::default()
            });
        }
        (env_from, cm_name, s_name)
    }

    pub(super) fn resources(
        &mut self,
        name: &str,
        svc: &ComposeService,
    ) -> Option<ResourceRequirements> {
        let mut limits: BTreeMap<String, Quantity> = BTreeMap::new();
        let mut requests: BTreeMap<String, Quantity> = BTreeMap::new();
        let res = svc
            .deploy
            .as_ref()
            .map(|d| d.resources.clone())
            .unwrap_or_default();
        if let Some(l) = &res.limits {
            let own = self.resource_bounds(
                name,
                "limits",
                l,
                "PID limits are per node in Kubernetes: ignored",
                &mut limits,
            );
            limits.extend(own);
        }
        if let Some(r) = &res.reservations {
            requests = self.resource_bounds(
                name,
                "reservations",
                r,
                "PID reservations do not exist in Kubernetes: ignored",
                &mut limits,
            );
        }
        // Service-level shorthands (used when deploy.resources does not say).
        if let Some(c) = svc.cpus.filter(|c| *c > 0.0) {
            limits
                .entry("cpu".into())
                .or_insert_with(|| q(units::cpu_quantity(f64::from(c))));
        }
        if let Some(m) = svc.mem_limit.filter(|m| m.0 > 0) {
            limits
                .entry("memory".into())
                .or_insert_with(|| q(units::bytes_quantity(m.0)));
        }
        if let Some(m) = svc.mem_reservation.filter(|m| m.0 > 0) {
            requests
                .entry("memory".into())
                .or_insert_with(|| q(units::bytes_quantity(m.0)));
        }
        if !svc.gpus.is_empty() {
            self.devices(name, "gpus", &svc.gpus, &mut limits);
        }
        // Requests default to the limits (Kubernetes does the same; writing it out keeps the
        // chart values honest).
        for (k, v) in &limits {
            if k == "cpu" || k == "memory" {
                requests.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if limits.is_empty() && requests.is_empty() {
            return None;
        }
        Some(ResourceRequirements {
            limits: (!limits.is_empty()).then_some(limits),
            requests: (!requests.is_empty()).then_some(requests),
            ..Default::default()
        })
    }

    /// The CPU and memory of `deploy.resources.{which}`; its GPUs go into `limits`. `pids`
    /// says why a PID bound is ignored.
    fn resource_bounds(
        &mut self,
        name: &str,
        which: &str,
        r: &Resource,
        pids: &str,
        limits: &mut BTreeMap<String, Quantity>,
    ) -> BTreeMap<String, Quantity> {
        let key = format!("deploy.resources.{which}");
        let mut out = BTreeMap::new();
        if let Some(c) = r.cpus.filter(|c| *c > 0.0) {
            out.insert("cpu".into(), q(units::cpu_quantity(f64::from(c))));
        }
        if let Some(m) = r.memory.filter(|m| m.0 > 0) {
            out.insert("memory".into(), q(units::bytes_quantity(m.0)));
        }
        if r.pids.is_some_and(|n| n != 0) {
            self.report
                .warn(&svc_path(name, &format!("{key}.pids")), pids, None);
        }
        self.devices(name, &key, &r.devices, limits);
        if !r.generic_resources.is_empty() {
            self.report.warn(
                &svc_path(name, &format!("{key}.generic_resources")),
                "generic (swarm) resources: ignored",
                None,
            );
        }
        out
    }

    fn devices(
        &mut self,
        name: &str,
        key: &str,
        devs: &[berth_compose::model::DeviceRequest],
        limits: &mut BTreeMap<String, Quantity>,
    ) {
        for (i, d) in devs.iter().enumerate() {
            let path = if key == "gpus" {
                svc_path(name, &format!("gpus[{i}]"))
            } else {
                svc_path(name, &format!("{key}.devices[{i}]"))
            };
            let gpu =
                d.capabilities.iter().any(|c| c == "gpu") || d.driver.as_deref() == Some("nvidia");
            if !gpu {
                self.report.error(
                    &path,
                    "device reservations other than GPUs need a device plugin resource name",
                    None,
                );
                continue;
            }
            let count = match d.count {
                Some(n) if n > 0 => n,
                Some(-1) => {
                    self.report.warn(
                        &path,
                        "count: all is not expressible: one GPU is requested",
                        None,
                    );
                    1
                }
                _ if !d.device_ids.is_empty() => d.device_ids.len() as i64,
                _ => 1,
            };
            if !d.device_ids.is_empty() {
                self.report
                    .warn(&path, "device_ids: Kubernetes assigns GPUs itself", None);
            }
            self.report.warn(
                &path,
                format!("GPU request → nvidia.com/gpu: {count} (needs the NVIDIA device plugin)"),
                None,
            );
            limits.insert("nvidia.com/gpu".into(), q(count.to_string()));
        }
    }

    pub(super) fn init_security(&self) -> Option<SecurityContext> {
        if !self.opts.harden {
            return None;
        }
        Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            run_as_non_root: Some(true),
            run_as_user: Some(65534),
            run_as_group: Some(65534),
            read_only_root_filesystem: Some(true),
            ..Default::default()
        })
    }

    /// The container's and the pod's security contexts: privilege, capabilities, user and
    /// groups, `security_opt` and sysctls, over the restricted defaults (`--no-harden` off).
    pub(super) fn security(
        &mut self,
        name: &str,
        svc: &ComposeService,
        st: &ServiceSettings,
    ) -> (Option<SecurityContext>, Option<PodSecurityContext>) {
        let mut c = SecurityContext::default();
        let mut p = PodSecurityContext::default();
        self.privilege(name, svc, &mut c, &mut p);
        if svc.read_only {
            c.read_only_root_filesystem = Some(true);
        }
        self.user_and_groups(name, svc, &mut c, &mut p);
        if let Some(fg) = st.fs_group {
            p.fs_group = Some(fg);
        }
        self.security_opts(name, svc, &mut c, &mut p);
        p.sysctls = self.sysctls(name, svc);
        let c = (c != SecurityContext::default()).then_some(c);
        let p = (p != PodSecurityContext::default()).then_some(p);
        (c, p)
    }

    /// `privileged`, `cap_add`, `cap_drop`, and the hardened defaults (no privilege
    /// escalation, all capabilities dropped, RuntimeDefault seccomp).
    fn privilege(
        &mut self,
        name: &str,
        svc: &ComposeService,
        c: &mut SecurityContext,
        p: &mut PodSecurityContext,
    ) {
        let harden = self.opts.harden;
        let strip = |s: &String| s.strip_prefix("CAP_").unwrap_or(s).to_ascii_uppercase();
        let add: Vec<String> = svc.cap_add.iter().map(strip).collect();
        let drop: Vec<String> = svc.cap_drop.iter().map(strip).collect();
        if svc.privileged {
            self.report.info(
                &svc_path(name, "privileged"),
                "privileged: carried as securityContext.privileged; clusters with Pod Security admission refuse it",
                None,
            );
            c.privileged = Some(true);
        }
        if harden && !svc.privileged {
            c.allow_privilege_escalation = Some(false);
            c.capabilities = Some(Capabilities {
                add: (!add.is_empty()).then_some(add.clone()),
                drop: Some(vec!["ALL".into()]),
            });
            p.seccomp_profile = Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                localhost_profile: None,
            });
        } else if !add.is_empty() || !drop.is_empty() {
            c.capabilities = Some(Capabilities {
                add: (!add.is_empty()).then_some(add.clone()),
                drop: (!drop.is_empty()).then_some(drop),
            });
        }
        if add.iter().any(|a| a == "ALL" || a == "SYS_ADMIN") {
            self.report.warn(
                &svc_path(name, "cap_add"),
                format!(
                    "cap_add {}: nearly as powerful as privileged",
                    add.join(", ")
                ),
                None,
            );
        }
    }

    /// `user` (numeric ids only) and `group_add`.
    fn user_and_groups(
        &mut self,
        name: &str,
        svc: &ComposeService,
        c: &mut SecurityContext,
        p: &mut PodSecurityContext,
    ) {
        if let Some(u) = svc.user.as_deref().filter(|u| !u.is_empty()) {
            match parse_user(u) {
                Some((uid, gid)) => {
                    c.run_as_user = Some(uid);
                    c.run_as_group = gid;
                    if uid != 0 {
                        c.run_as_non_root = Some(true);
                    }
                }
                None => {
                    let (n, _) = u.split_once(':').unwrap_or((u, ""));
                    if n == "root" {
                        c.run_as_user = Some(0);
                    } else {
                        self.report.warn(
                            &svc_path(name, "user"),
                            format!("user {u:?} is a name; Kubernetes needs numeric ids, so the image's user is kept"),
                            Some("write the numeric uid[:gid] (`id -u NAME` in the image)".into()),
                        );
                    }
                }
            }
        } else if self.opts.harden && !svc.privileged {
            self.image_user(name, svc, c);
        }
        for (i, g) in svc.group_add.iter().enumerate() {
            match g.parse::<i64>() {
                Ok(n) => p.supplemental_groups.get_or_insert_with(Vec::new).push(n),
                Err(_) => self.report.warn(
                    &svc_path(name, &format!("group_add[{i}]")),
                    format!("group {g:?} is a name; Kubernetes needs numeric ids: ignored"),
                    None,
                ),
            }
        }
    }

    /// A hardened service without `user:` whose image the engine has: runs as the image's
    /// numeric non-root `USER`; an image that starts as root (or as a named user) is warned
    /// about, with the fix, since all its capabilities are dropped.
    fn image_user(&mut self, name: &str, svc: &ComposeService, c: &mut SecurityContext) {
        let Some(image) = svc.image.as_deref() else {
            return;
        };
        let Some(facts) = self.sources.image(image) else {
            return;
        };
        let path = svc_path(name, "user");
        let fix = format!(
            "set services.{name}.user to the numeric \"uid:gid\" the image's process runs as (the official redis and postgres images: user: \"999:999\"), or convert with --no-harden"
        );
        if facts.runs_as_root() {
            self.report.warn(
                &path,
                format!("no user: and the image {image:?} starts as root, while berth drops all its capabilities: an entrypoint that switches user or changes owners (su, gosu, chown, as the official redis and postgres images do) fails and the pod crash-loops"),
                Some(fix),
            );
            return;
        }
        match parse_user(&facts.user) {
            Some((uid, gid)) => {
                c.run_as_user = Some(uid);
                c.run_as_group = gid;
                c.run_as_non_root = Some(true);
                self.report.info(
                    &path,
                    format!(
                        "no user: runs as the image {image:?}'s USER {:?} (runAsUser{})",
                        facts.user,
                        if gid.is_some() { ", runAsGroup" } else { "" }
                    ),
                    None,
                );
            }
            None => self.report.warn(
                &path,
                format!(
                    "no user: and the image {image:?} runs as the user {:?}, a name: Kubernetes cannot check that it is not root",
                    facts.user
                ),
                Some(fix),
            ),
        }
    }

    /// `security_opt`: no-new-privileges and seccomp unconfined are kept, the rest ignored.
    fn security_opts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        c: &mut SecurityContext,
        p: &mut PodSecurityContext,
    ) {
        for (i, so) in svc.security_opt.iter().enumerate() {
            let path = svc_path(name, &format!("security_opt[{i}]"));
            let (k, v) = so.split_once([':', '=']).unwrap_or((so, ""));
            match (k, v) {
                ("no-new-privileges", "true" | "") => {
                    if !svc.privileged {
                        c.allow_privilege_escalation = Some(false);
                    }
                }
                ("no-new-privileges", _) => {}
                ("seccomp", "unconfined") => {
                    self.report.warn(&path, "seccomp unconfined: the pod runs without a seccomp profile", None);
                    p.seccomp_profile = Some(SeccompProfile {
                        type_: "Unconfined".into(),
                        localhost_profile: None,
                    });
                }
                ("apparmor", "unconfined") | ("apparmor", _) => self.report.warn(
                    &path,
                    "AppArmor profiles are set by annotation or securityContext.appArmorProfile (1.30+): ignored",
                    None,
                ),
                _ => self.report.warn(&path, format!("security option {so:?}: ignored"), None),
            }
        }
    }

    /// `sysctls`, all kept; the unsafe ones with a warning.
    fn sysctls(&mut self, name: &str, svc: &ComposeService) -> Option<Vec<Sysctl>> {
        let mut safe = Vec::new();
        for (k, v) in &svc.sysctls {
            if !SAFE_SYSCTLS.contains(&k.as_str()) {
                self.report.warn(
                    &svc_path(name, &format!("sysctls.{k}")),
                    format!("{k} is not a safe sysctl: the kubelet must allow it (--allowed-unsafe-sysctls) or the pod is rejected"),
                    None,
                );
            }
            safe.push(Sysctl {
                name: k.clone(),
                value: v.clone(),
            });
        }
        (!safe.is_empty()).then_some(safe)
    }

    pub(super) fn lifecycle(&mut self, name: &str, svc: &ComposeService) -> Option<Lifecycle> {
        let mut lc = Lifecycle::default();
        for (key, hooks) in [("post_start", &svc.post_start), ("pre_stop", &svc.pre_stop)] {
            if hooks.is_empty() {
                continue;
            }
            let path = svc_path(name, key);
            let mut cmds = Vec::new();
            for (i, h) in hooks.iter().enumerate() {
                if h.user.as_deref().is_some_and(|u| !u.is_empty())
                    || h.privileged
                    || !h.environment.is_empty()
                    || h.working_dir.as_deref().is_some_and(|w| !w.is_empty())
                {
                    self.report.warn(&format!("{path}[{i}]"), "hook user, privileged, environment and working_dir: the hook runs like the container", None);
                }
                if let Some(c) = &h.command {
                    cmds.push(c.clone());
                }
            }
            let command = match cmds.len() {
                0 => continue,
                1 => cmds.remove(0),
                _ => {
                    self.report.info(
                        &path,
                        "several hooks run one after the other in one shell",
                        None,
                    );
                    vec![
                        "/bin/sh".into(),
                        "-c".into(),
                        cmds.iter()
                            .map(shell_words::join)
                            .collect::<Vec<_>>()
                            .join(" && "),
                    ]
                }
            };
            let handler = Some(LifecycleHandler {
                exec: Some(ExecAction {
                    command: Some(command),
                }),
                ..Default::default()
            });
            if key == "post_start" {
                lc.post_start = handler;
            } else {
                lc.pre_stop = handler;
            }
        }
        (lc != Lifecycle::default()).then_some(lc)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{convert_yaml, findings, object, pod_spec};
    use crate::{ImageFacts, Sources};

    /// A project of two services whose images the engine has: `cache` (USER 999:999, EXPOSE
    /// 6379) and `db` (no USER, EXPOSE 5432).
    fn with_facts(yaml: &str) -> crate::Conversion {
        let facts = |user: &str, port: &str| ImageFacts {
            user: user.into(),
            exposed_ports: vec![port.into()],
            ..Default::default()
        };
        let sources = Sources {
            images: Some(
                [
                    ("redis:7.2".to_string(), facts("999:999", "6379/tcp")),
                    ("postgres:16.2".to_string(), facts("", "5432/tcp")),
                ]
                .into(),
            ),
            ..Default::default()
        };
        convert_yaml(yaml, &sources)
    }

    #[test]
    fn the_images_user_and_ports_without_user_or_ports_in_compose() {
        let c = with_facts("services:\n  cache:\n    image: redis:7.2\n  db:\n    image: postgres:16.2\n  app:\n    image: nginx:1.25\n    depends_on: [cache, db]\n");
        let sc = &pod_spec(&c, "cache")["containers"][0]["securityContext"];
        assert_eq!(
            (&sc["runAsUser"], &sc["runAsGroup"]),
            (&999.into(), &999.into()),
            "{sc}"
        );
        assert_eq!(sc["runAsNonRoot"], true, "{sc}");
        let db = &pod_spec(&c, "db")["containers"][0]["securityContext"];
        assert!(db["runAsUser"].is_null(), "{db}");
        for (name, port) in [("cache", 6379), ("db", 5432)] {
            let s = object(&c, "Service", name);
            assert_eq!(s["spec"]["ports"][0]["port"], port, "{s}");
            assert!(s["spec"]["clusterIP"].is_null(), "{s}");
        }
        let f = findings(&c);
        assert!(
            f.iter().any(|l| l.starts_with(
                "Warning services.db.user: no user: and the image \"postgres:16.2\" starts as root"
            )),
            "{f:#?}"
        );
        assert!(
            !f.iter()
                .any(|l| l.contains("services.cache.user") && l.starts_with("Warning")),
            "{f:#?}"
        );
    }

    #[test]
    fn compose_settings_win_over_the_image() {
        let c = with_facts("services:\n  cache:\n    image: redis:7.2\n    user: \"1000:1000\"\n    expose: [\"7000\"]\n  db:\n    image: postgres:16.2\n    user: \"999:999\"\n");
        let sc = &pod_spec(&c, "cache")["containers"][0]["securityContext"];
        assert_eq!(sc["runAsUser"], 1000, "{sc}");
        let s = object(&c, "Service", "cache");
        assert_eq!(s["spec"]["ports"].as_array().map(Vec::len), Some(1), "{s}");
        assert_eq!(s["spec"]["ports"][0]["port"], 7000, "{s}");
        assert!(
            !findings(&c).iter().any(|l| l.contains("starts as root")),
            "{:#?}",
            findings(&c)
        );
    }
}
