//! Process, security and kernel settings: restart policy, capabilities, security options,
//! namespaces, DNS, logging, resources.

use bollard::models::{
    HostConfigCgroupnsModeEnum, HostConfigIsolationEnum, HostConfigLogConfig, RestartPolicy,
    RestartPolicyNameEnum,
};

use super::*;

/// The engine's restart policy for a compose name (`restart:` or `deploy.restart_policy.condition`),
/// mapped as Compose does: `none`/`no` and no condition at all are "no restart".
fn restart_name(s: &str, key: &str, name: &str) -> Result<RestartPolicyNameEnum, SpecError> {
    Ok(match name {
        "" => RestartPolicyNameEnum::EMPTY,
        "no" | "none" => RestartPolicyNameEnum::NO,
        "always" | "any" => RestartPolicyNameEnum::ALWAYS,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        other => {
            return Err(err(
                s,
                key,
                format!("unknown restart policy {other:?} (no, always, on-failure[:max-retries], unless-stopped)"),
            ))
        }
    })
}

/// `restart:`, overridden by `deploy.restart_policy` when both are set (as in Compose v2).
fn restart_policy(
    s: &str,
    service: &Service,
    w: &mut Warnings,
) -> Result<Option<RestartPolicy>, SpecError> {
    let mut policy = None;
    if let Some(r) = service.restart.as_deref() {
        let (name, max) = match r.split_once(':') {
            Some((n, m)) => (
                n,
                Some(m.parse::<i64>().map_err(|_| {
                    err(
                        s,
                        "restart",
                        format!("invalid maximum retry count in {r:?}"),
                    )
                })?),
            ),
            None => (r, None),
        };
        policy = Some(RestartPolicy {
            name: Some(restart_name(s, "restart", name)?),
            maximum_retry_count: max,
        });
    }
    if let Some(rp) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    {
        let name = restart_name(
            s,
            "deploy.restart_policy.condition",
            rp.condition.as_deref().unwrap_or(""),
        )?;
        policy = Some(RestartPolicy {
            name: Some(name),
            maximum_retry_count: rp.max_attempts.map(|m| m as i64),
        });
        for (k, v) in [("delay", &rp.delay), ("window", &rp.window)] {
            if v.is_some() {
                w.push(
                    &format!("deploy.restart_policy.{k}"),
                    "a Swarm setting the engine's restart policy does not have: not applied",
                );
            }
        }
    }
    Ok(policy)
}

/// `security_opt` as Compose (and `docker run`) pass it: a seccomp profile file is read and
/// inlined; `systempaths=unconfined` empties the masked and read-only paths.
fn security_opts(
    ctx: &SpecContext,
    s: &str,
    opts: &[String],
) -> Result<(Vec<String>, bool), SpecError> {
    let mut parsed = Vec::new();
    let mut unconfined = false;
    for opt in opts {
        if opt == "systempaths=unconfined" {
            unconfined = true;
            continue;
        }
        let (k, v) = match opt.split_once('=') {
            Some(kv) => kv,
            None if opt == "no-new-privileges" => (opt.as_str(), ""),
            None => opt.split_once(':').ok_or_else(|| {
                err(
                    s,
                    "security_opt",
                    format!("invalid option {opt:?} (expected key=value or key:value)"),
                )
            })?,
        };
        if k == "seccomp" && v != "unconfined" && v != "builtin" {
            let path = ctx.working_dir.join(v);
            let text = std::fs::read(&path).map_err(|e| {
                err(
                    s,
                    "security_opt",
                    format!("cannot read seccomp profile {}: {e}", path.display()),
                )
            })?;
            let json: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
                err(
                    s,
                    "security_opt",
                    format!("seccomp profile {} is not JSON: {e}", path.display()),
                )
            })?;
            parsed.push(format!("seccomp={json}"));
        } else {
            parsed.push(opt.clone());
        }
    }
    Ok((parsed, unconfined))
}

/// Restart policy, privileges, security, kernel and namespace settings, resources, DNS and
/// logging.
pub(super) fn process(ctx: &SpecContext, d: &mut Draft<'_, '_>) -> Result<(), SpecError> {
    let Draft {
        s,
        service,
        host,
        w,
        ..
    } = d;
    // Process, security and kernel settings.
    host.restart_policy = restart_policy(s, service, w)?;
    host.init = service.init;
    host.privileged = Some(service.privileged);
    host.readonly_rootfs = Some(service.read_only);
    host.cap_add = non_empty(&service.cap_add);
    host.cap_drop = non_empty(&service.cap_drop);
    let (sec, unconfined) = security_opts(ctx, s, &service.security_opt)?;
    host.security_opt = non_empty(&sec);
    if unconfined {
        host.masked_paths = Some(vec![]);
        host.readonly_paths = Some(vec![]);
    }
    host.group_add = non_empty(&service.group_add);
    host.sysctls = non_empty_map(&service.sysctls);
    host.storage_opt = non_empty_map(&service.storage_opt);
    host.oom_score_adj = service.oom_score_adj;
    host.runtime = service.runtime.clone();
    host.userns_mode = service.userns_mode.clone();
    host.uts_mode = service.uts.clone();
    host.shm_size = service.shm_size.map(|b| b.0);
    host.cgroupns_mode = match service.cgroup.as_deref() {
        None | Some("") => None,
        Some("host") => Some(HostConfigCgroupnsModeEnum::HOST),
        Some("private") => Some(HostConfigCgroupnsModeEnum::PRIVATE),
        Some(other) => {
            return Err(err(
                s,
                "cgroup",
                format!("unknown cgroup namespace mode {other:?} (host, private)"),
            ))
        }
    };
    host.isolation = match service.isolation.as_deref() {
        None | Some("") => None,
        Some("default") => Some(HostConfigIsolationEnum::DEFAULT),
        Some("process") => Some(HostConfigIsolationEnum::PROCESS),
        Some("hyperv") => Some(HostConfigIsolationEnum::HYPERV),
        Some(other) => {
            return Err(err(
                s,
                "isolation",
                format!("unknown isolation {other:?} (default, process, hyperv)"),
            ))
        }
    };
    super::resources::resources(s, service, host, w)?;
    host.dns = non_empty(&service.dns);
    host.dns_search = non_empty(&service.dns_search);
    host.dns_options = non_empty(&service.dns_opt);
    // The model keeps Compose's canonical `host=ip`; the engine wants `host:ip`.
    host.extra_hosts = Some(
        service
            .extra_hosts
            .iter()
            .map(|h| h.replacen('=', ":", 1))
            .collect(),
    );
    if let Some(logging) = &service.logging {
        host.log_config = Some(HostConfigLogConfig {
            typ: logging.driver.clone(),
            config: non_empty_map(&logging.options),
        });
    }
    if let Some(ipc) = service.ipc.as_deref().filter(|x| !x.is_empty()) {
        host.ipc_mode = Some(super::network::container_ref(ctx, s, "ipc", ipc)?);
    }
    if let Some(pid) = service.pid.as_deref().filter(|x| !x.is_empty()) {
        host.pid_mode = Some(super::network::container_ref(ctx, s, "pid", pid)?);
    }
    if !service.annotations.is_empty() {
        if let Some(lack) = lacks(ctx.api_version, (1, 43)) {
            w.push("annotations", format_args!("{lack}: not applied"));
        } else {
            host.annotations = non_empty_map(&service.annotations);
        }
    }
    Ok(())
}
