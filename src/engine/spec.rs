//! From a compose service to the Engine API's container configuration: every attribute the
//! API supports reaches the container; what berth cannot apply is reported by name.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigLogConfig, Mount, MountBindOptions, MountBindOptionsPropagationEnum,
    MountTmpfsOptions, MountType, MountVolumeOptions, NetworkingConfig, PortBinding,
    ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
};

use crate::compose::model::{FileObjectConfig, FileReferenceConfig, Project, Service, Ulimit};
use crate::compose::syntax;

/// What a container needs to know about its project.
pub struct SpecContext<'a> {
    pub project: &'a Project,
    pub project_name: &'a str,
    /// Engine API version, e.g. (1, 41): some fields need a newer one.
    pub api_version: (u32, u32),
    /// Engine names of the service's `service:x` / `container:x` references resolved by the caller.
    pub resolve_container: &'a dyn Fn(&str) -> Option<String>,
}

/// A file written into the container before it starts (secrets and configs from
/// `environment` or `content`, which have no file on the host to bind).
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

/// A container ready to be created.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub body: ContainerCreateBody,
    /// Networks connected after create (API < 1.44 takes one network at create).
    pub extra_networks: Vec<(String, EndpointSettings)>,
    pub injections: Vec<Injection>,
    /// Attributes berth could not apply, by name.
    pub warnings: Vec<String>,
    /// Bind sources to create on the host first (`create_host_path`).
    pub host_dirs: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
#[error("services.{service}.{key}: {message}")]
pub struct SpecError {
    pub service: String,
    pub key: String,
    pub message: String,
}

fn nanos(s: &Option<String>) -> Option<i64> {
    s.as_deref()
        .and_then(|d| syntax::parse_duration_nanos(d).ok())
}

fn err(service: &str, key: &str, message: impl Into<String>) -> SpecError {
    SpecError {
        service: service.into(),
        key: key.into(),
        message: message.into(),
    }
}

/// The engine name of a network key of the project.
pub fn network_name(project: &Project, project_name: &str, key: &str) -> String {
    project
        .networks
        .get(key)
        .and_then(|n| n.name.clone())
        .unwrap_or_else(|| format!("{project_name}_{key}"))
}

/// The engine name of a volume key of the project.
pub fn volume_name(project: &Project, project_name: &str, key: &str) -> String {
    project
        .volumes
        .get(key)
        .and_then(|n| n.name.clone())
        .unwrap_or_else(|| format!("{project_name}_{key}"))
}

/// The container name: `container_name`, else `<project>-<service>-<n>`.
pub fn container_name(
    project_name: &str,
    service_name: &str,
    service: &Service,
    number: u32,
) -> String {
    match &service.container_name {
        Some(n) => n.clone(),
        None => format!("{project_name}-{service_name}-{number}"),
    }
}

/// The image a service runs: `image`, else `<project>-<service>` (built).
pub fn image_name(project_name: &str, service_name: &str, service: &Service) -> String {
    match &service.image {
        Some(i) => i.clone(),
        None => format!("{project_name}-{service_name}"),
    }
}

/// Networks in the order Compose attaches them: by `priority` (highest first), then name.
pub fn ordered_networks(
    service: &Service,
) -> Vec<(
    &String,
    Option<&crate::compose::model::ServiceNetworkConfig>,
)> {
    let mut nets: Vec<_> = service
        .networks
        .iter()
        .map(|(k, v)| (k, v.as_ref()))
        .collect();
    nets.sort_by(|a, b| {
        let pa = a.1.and_then(|c| c.priority).unwrap_or(0);
        let pb = b.1.and_then(|c| c.priority).unwrap_or(0);
        pb.cmp(&pa).then(a.0.cmp(b.0))
    });
    nets
}

fn restart_policy(service: &Service) -> Option<RestartPolicy> {
    let (name, max) = match service.restart.as_deref() {
        Some(r) => {
            let (n, m) = r
                .split_once(':')
                .map(|(a, b)| (a, b.parse::<i64>().ok()))
                .unwrap_or((r, None));
            (n.to_string(), m)
        }
        None => match service
            .deploy
            .as_ref()
            .and_then(|d| d.restart_policy.as_ref())
        {
            Some(rp) => {
                let n = match rp.condition.as_deref() {
                    Some("on-failure") => "on-failure",
                    Some("none") => "no",
                    _ => "always",
                };
                (n.to_string(), rp.max_attempts.map(|m| m as i64))
            }
            None => return None,
        },
    };
    let name = match name.as_str() {
        "always" => RestartPolicyNameEnum::ALWAYS,
        "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
        "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::NO,
    };
    Some(RestartPolicy {
        name: Some(name),
        maximum_retry_count: max,
    })
}

fn propagation(p: &str) -> Option<MountBindOptionsPropagationEnum> {
    Some(match p {
        "private" => MountBindOptionsPropagationEnum::PRIVATE,
        "rprivate" => MountBindOptionsPropagationEnum::RPRIVATE,
        "shared" => MountBindOptionsPropagationEnum::SHARED,
        "rshared" => MountBindOptionsPropagationEnum::RSHARED,
        "slave" => MountBindOptionsPropagationEnum::SLAVE,
        "rslave" => MountBindOptionsPropagationEnum::RSLAVE,
        _ => return None,
    })
}

/// A secret or config mounted into the container: a bind of its file, or an injection.
#[allow(clippy::too_many_arguments)]
fn file_mount(
    sname: &str,
    key: &str,
    reference: &FileReferenceConfig,
    object: Option<&FileObjectConfig>,
    default_dir: &str,
    mounts: &mut Vec<Mount>,
    injections: &mut Vec<Injection>,
    warnings: &mut Vec<String>,
) -> Result<(), SpecError> {
    let source = reference.source.clone().unwrap_or_default();
    let Some(obj) = object else {
        return Err(err(
            sname,
            key,
            format!("refers to undefined {} {source}", &key[..key.len() - 1]),
        ));
    };
    let target = match reference.target.as_deref() {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) => format!("{default_dir}/{t}"),
        None => format!("{default_dir}/{source}"),
    };
    if obj.external {
        warnings.push(format!(
            "services.{sname}.{key}: {source} is external (a Swarm object): not available to a local container, skipped"
        ));
        return Ok(());
    }
    let mode = reference.mode.unwrap_or(0o444);
    let uid = reference
        .uid
        .as_deref()
        .and_then(|u| u.parse().ok())
        .unwrap_or(0);
    let gid = reference
        .gid
        .as_deref()
        .and_then(|g| g.parse().ok())
        .unwrap_or(0);
    if let Some(file) = &obj.file {
        if reference.uid.is_some() || reference.gid.is_some() || reference.mode.is_some() {
            // A bind keeps the host file's owner and mode; inject a copy to honour them.
            let content = std::fs::read(file)
                .map_err(|e| err(sname, key, format!("cannot read {file} for {source}: {e}")))?;
            injections.push(Injection {
                path: target,
                content,
                mode,
                uid,
                gid,
            });
        } else {
            mounts.push(Mount {
                target: Some(target),
                source: Some(file.clone()),
                typ: Some(MountType::BIND),
                read_only: Some(true),
                ..Default::default()
            });
        }
    } else if let Some(var) = &obj.environment {
        let value = std::env::var(var).unwrap_or_default();
        injections.push(Injection {
            path: target,
            content: value.into_bytes(),
            mode,
            uid,
            gid,
        });
    } else if let Some(content) = &obj.content {
        injections.push(Injection {
            path: target,
            content: content.clone().into_bytes(),
            mode,
            uid,
            gid,
        });
    }
    Ok(())
}

/// Builds the container configuration for replica `number` of `service_name`.
pub fn container_spec(
    ctx: &SpecContext,
    service_name: &str,
    service: &Service,
    number: u32,
    labels: BTreeMap<String, String>,
) -> Result<ContainerSpec, SpecError> {
    let s = service_name;
    let project = ctx.project;
    let name = container_name(ctx.project_name, s, service, number);
    let mut warnings = Vec::new();
    let mut host = HostConfig::default();
    let mut body = ContainerCreateBody {
        image: Some(image_name(ctx.project_name, s, service)),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone(),
        working_dir: service.working_dir.clone(),
        user: service.user.clone(),
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        tty: Some(service.tty),
        open_stdin: Some(service.stdin_open),
        attach_stdin: Some(service.stdin_open),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: nanos(&service.stop_grace_period).map(|n| n / 1_000_000_000),
        ..Default::default()
    };

    // Environment: values resolved by the loader; a variable with no value is left out.
    let env: Vec<String> = service
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    body.env = Some(env);

    let mut all_labels: HashMap<String, String> = service.labels.clone().into_iter().collect();
    all_labels.extend(labels);
    body.labels = Some(all_labels);

    // Healthcheck.
    if let Some(h) = &service.healthcheck {
        if h.disable {
            body.healthcheck = Some(HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..Default::default()
            });
        } else {
            let start_interval = nanos(&h.start_interval);
            if start_interval.is_some() && ctx.api_version < (1, 44) {
                warnings.push(format!(
                    "services.{s}.healthcheck.start_interval: needs Engine API 1.44, this engine speaks {}.{}: not applied",
                    ctx.api_version.0, ctx.api_version.1
                ));
            }
            body.healthcheck = Some(HealthConfig {
                test: (!h.test.is_empty()).then(|| h.test.clone()),
                interval: nanos(&h.interval),
                timeout: nanos(&h.timeout),
                retries: h.retries.map(|r| r as i64),
                start_period: nanos(&h.start_period),
                start_interval: if ctx.api_version >= (1, 44) {
                    start_interval
                } else {
                    None
                },
            });
        }
    }

    // Ports and expose.
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for p in &service.ports {
        let proto = p.protocol.clone().unwrap_or_else(|| "tcp".into());
        let key = format!("{}/{proto}", p.target);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        let host_port = p.published.clone().unwrap_or_default();
        let b = PortBinding {
            host_ip: p.host_ip.clone(),
            host_port: Some(host_port),
        };
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(b);
    }
    for e in &service.expose {
        let (port, proto) = e.split_once('/').unwrap_or((e, "tcp"));
        let range: Vec<u32> = match port.split_once('-') {
            Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if a <= b => (a..=b).collect(),
                _ => vec![],
            },
            None => port.parse().map(|p| vec![p]).unwrap_or_default(),
        };
        for p in range {
            let key = format!("{p}/{proto}");
            if !exposed.contains(&key) {
                exposed.push(key);
            }
        }
    }
    if !exposed.is_empty() {
        body.exposed_ports = Some(exposed);
    }
    if !bindings.is_empty() {
        host.port_bindings = Some(bindings);
    }

    // Volumes and tmpfs.
    let mut mounts: Vec<Mount> = Vec::new();
    let mut host_dirs = Vec::new();
    for (i, v) in service.volumes.iter().enumerate() {
        let key = format!("volumes[{i}]");
        let target = v
            .target
            .clone()
            .ok_or_else(|| err(s, &key, "a volume needs a target path in the container"))?;
        let mut m = Mount {
            target: Some(target),
            read_only: Some(v.read_only),
            ..Default::default()
        };
        match v.kind.as_str() {
            "bind" => {
                let src = v
                    .source
                    .clone()
                    .ok_or_else(|| err(s, &key, "a bind mount needs a source path"))?;
                let create = v.bind.as_ref().map(|b| b.create_host_path).unwrap_or(false);
                if !Path::new(&src).exists() {
                    if create {
                        host_dirs.push(PathBuf::from(&src));
                    } else {
                        return Err(err(s, &key, format!(
                            "bind source {src} does not exist (long-syntax binds are not created; create it, or set bind.create_host_path: true)"
                        )));
                    }
                }
                m.typ = Some(MountType::BIND);
                m.source = Some(src);
                if let Some(b) = &v.bind {
                    if let Some(p) = b.propagation.as_deref() {
                        m.bind_options = Some(MountBindOptions {
                            propagation: propagation(p),
                            ..Default::default()
                        });
                    }
                    if b.selinux.is_some() {
                        warnings.push(format!("services.{s}.{key}.bind.selinux: SELinux relabelling is not applied by berth"));
                    }
                }
            }
            "volume" => {
                m.typ = Some(MountType::VOLUME);
                if let Some(src) = v.source.as_deref().filter(|x| !x.is_empty()) {
                    m.source = Some(volume_name(project, ctx.project_name, src));
                }
                if v.volume.as_ref().map(|vo| vo.nocopy).unwrap_or(false) {
                    m.volume_options = Some(MountVolumeOptions {
                        no_copy: Some(true),
                        ..Default::default()
                    });
                }
            }
            "tmpfs" => {
                m.typ = Some(MountType::TMPFS);
                if let Some(t) = &v.tmpfs {
                    m.tmpfs_options = Some(MountTmpfsOptions {
                        size_bytes: t.size.as_ref().map(|b| b.0),
                        mode: (t.mode != 0).then_some(t.mode as i64),
                        ..Default::default()
                    });
                }
            }
            "npipe" | "cluster" | "image" => {
                warnings.push(format!(
                    "services.{s}.{key}: volume type {} is not supported by berth",
                    v.kind
                ));
                continue;
            }
            other => return Err(err(s, &key, format!("unknown volume type {other}"))),
        }
        mounts.push(m);
    }
    if !service.tmpfs.is_empty() {
        let mut t = HashMap::new();
        for e in &service.tmpfs {
            let (path, opts) = e.split_once(':').unwrap_or((e, ""));
            t.insert(path.to_string(), opts.to_string());
        }
        host.tmpfs = Some(t);
    }
    if !service.volumes_from.is_empty() {
        let mut vf = Vec::new();
        for v in &service.volumes_from {
            let (src, mode) = v
                .rsplit_once(':')
                .filter(|(_, m)| *m == "ro" || *m == "rw")
                .unwrap_or((v, ""));
            let target = match src.strip_prefix("container:") {
                Some(c) => c.to_string(),
                None => (ctx.resolve_container)(src).ok_or_else(|| {
                    err(
                        s,
                        "volumes_from",
                        format!("service {src} has no container to share volumes from"),
                    )
                })?,
            };
            vf.push(if mode.is_empty() {
                target
            } else {
                format!("{target}:{mode}")
            });
        }
        host.volumes_from = Some(vf);
    }

    // Secrets and configs.
    let mut injections = Vec::new();
    for r in &service.secrets {
        let obj = r.source.as_ref().and_then(|n| project.secrets.get(n));
        file_mount(
            s,
            "secrets",
            r,
            obj,
            "/run/secrets",
            &mut mounts,
            &mut injections,
            &mut warnings,
        )?;
    }
    for r in &service.configs {
        let obj = r.source.as_ref().and_then(|n| project.configs.get(n));
        file_mount(
            s,
            "configs",
            r,
            obj,
            "",
            &mut mounts,
            &mut injections,
            &mut warnings,
        )?;
    }
    if !mounts.is_empty() {
        host.mounts = Some(mounts);
    }

    // Process, security and kernel settings.
    host.restart_policy = restart_policy(service);
    host.init = service.init;
    host.privileged = Some(service.privileged);
    host.readonly_rootfs = Some(service.read_only);
    host.cap_add = (!service.cap_add.is_empty()).then(|| service.cap_add.clone());
    host.cap_drop = (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone());
    host.security_opt = (!service.security_opt.is_empty()).then(|| service.security_opt.clone());
    host.group_add = (!service.group_add.is_empty()).then(|| service.group_add.clone());
    host.sysctls =
        (!service.sysctls.is_empty()).then(|| service.sysctls.clone().into_iter().collect());
    host.storage_opt = (!service.storage_opt.is_empty())
        .then(|| service.storage_opt.clone().into_iter().collect());
    host.oom_score_adj = service.oom_score_adj;
    host.oom_kill_disable = service.oom_kill_disable.then_some(true);
    host.cgroup_parent = service.cgroup_parent.clone();
    host.runtime = service.runtime.clone();
    host.userns_mode = service.userns_mode.clone();
    host.uts_mode = service.uts.clone();
    host.device_cgroup_rules =
        (!service.device_cgroup_rules.is_empty()).then(|| service.device_cgroup_rules.clone());
    if !service.ulimits.is_empty() {
        host.ulimits = Some(
            service
                .ulimits
                .iter()
                .map(|(k, u)| {
                    let (soft, hard) = match u {
                        Ulimit::Single(v) => (*v, *v),
                        Ulimit::Pair(p) => (p.soft, p.hard),
                    };
                    ResourcesUlimits {
                        name: Some(k.clone()),
                        soft: Some(soft),
                        hard: Some(hard),
                    }
                })
                .collect(),
        );
    }
    if !service.devices.is_empty() {
        host.devices = Some(
            service
                .devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: d.source.clone(),
                    path_in_container: d.target.clone().or_else(|| d.source.clone()),
                    cgroup_permissions: Some(d.permissions.clone().unwrap_or_else(|| "rwm".into())),
                })
                .collect(),
        );
    }
    host.dns = (!service.dns.is_empty()).then(|| service.dns.clone());
    host.dns_search = (!service.dns_search.is_empty()).then(|| service.dns_search.clone());
    host.dns_options = (!service.dns_opt.is_empty()).then(|| service.dns_opt.clone());
    if !service.extra_hosts.is_empty() {
        // Compose prints host=ip; the engine wants host:ip.
        host.extra_hosts = Some(
            service
                .extra_hosts
                .iter()
                .map(|h| h.replacen('=', ":", 1))
                .collect(),
        );
    }
    host.shm_size = service.shm_size.as_ref().map(|b| b.0);
    host.pids_limit = service.pids_limit;
    host.cpu_shares = service.cpu_shares;
    host.cpu_period = service.cpu_period;
    host.cpu_quota = service.cpu_quota;
    host.cpu_realtime_period = service.cpu_rt_period;
    host.cpu_realtime_runtime = service.cpu_rt_runtime;
    host.cpu_count = service.cpu_count;
    host.cpu_percent = service.cpu_percent.map(|p| p as i64);
    host.cpuset_cpus = service.cpuset.clone();
    host.memory = service.mem_limit.as_ref().map(|b| b.0);
    host.memory_reservation = service.mem_reservation.as_ref().map(|b| b.0);
    host.memory_swap = service.memswap_limit.as_ref().map(|b| b.0);
    host.memory_swappiness = service.mem_swappiness.as_ref().map(|b| b.0);
    host.nano_cpus = service.cpus.map(|c| (c as f64 * 1e9).round() as i64);
    if let Some(res) = service.deploy.as_ref().map(|d| &d.resources) {
        if let Some(l) = &res.limits {
            if host.nano_cpus.is_none() {
                host.nano_cpus = l.cpus.map(|c| (c as f64 * 1e9).round() as i64);
            }
            if host.memory.is_none() {
                host.memory = l.memory.as_ref().map(|b| b.0);
            }
            if host.pids_limit.is_none() {
                host.pids_limit = l.pids;
            }
        }
        if let Some(r) = &res.reservations {
            if host.memory_reservation.is_none() {
                host.memory_reservation = r.memory.as_ref().map(|b| b.0);
            }
            if !r.devices.is_empty() || !r.generic_resources.is_empty() {
                warnings.push(format!(
                    "services.{s}.deploy.resources.reservations.devices: device reservations (GPUs) are not applied by berth yet"
                ));
            }
        }
    }
    if let Some(logging) = &service.logging {
        host.log_config = Some(HostConfigLogConfig {
            typ: logging.driver.clone(),
            config: (!logging.options.is_empty())
                .then(|| logging.options.clone().into_iter().collect()),
        });
    }
    for (ns, value, set) in [
        ("ipc", &service.ipc, &mut host.ipc_mode),
        ("pid", &service.pid, &mut host.pid_mode),
    ] {
        if let Some(v) = value {
            *set = Some(match v.strip_prefix("service:") {
                Some(svc) => format!(
                    "container:{}",
                    (ctx.resolve_container)(svc).ok_or_else(|| err(
                        s,
                        ns,
                        format!("service {svc} has no container")
                    ))?
                ),
                None => v.clone(),
            });
        }
    }
    if service.platform.is_some() {
        // The platform only matters for pulls and builds: a local image has one.
    }
    if service.isolation.is_some() {
        warnings.push(format!(
            "services.{s}.isolation: Windows isolation is not applied on Linux engines"
        ));
    }
    if service.credential_spec.is_some() {
        warnings.push(format!(
            "services.{s}.credential_spec: Windows credential specs are not applied"
        ));
    }
    if !service.gpus.is_empty() {
        warnings.push(format!(
            "services.{s}.gpus: GPU requests are not applied by berth yet"
        ));
    }
    if !service.external_links.is_empty() {
        host.links = Some(service.external_links.clone());
    }
    if !service.annotations.is_empty() {
        host.annotations = Some(service.annotations.clone().into_iter().collect());
    }

    // Networking.
    let mut extra_networks = Vec::new();
    match service.network_mode.as_deref() {
        Some(mode) => {
            host.network_mode = Some(match mode.strip_prefix("service:") {
                Some(svc) => format!(
                    "container:{}",
                    (ctx.resolve_container)(svc).ok_or_else(|| err(
                        s,
                        "network_mode",
                        format!("service {svc} has no container to share its network")
                    ))?
                ),
                None => mode.to_string(),
            });
            if service.mac_address.is_some() {
                // With network_mode there is no endpoint of ours to carry a MAC address.
                warnings.push(format!(
                    "services.{s}.mac_address: not applied with network_mode"
                ));
            }
        }
        None => {
            let nets = ordered_networks(service);
            for (i, (key, cfg)) in nets.iter().enumerate() {
                let net_name = network_name(project, ctx.project_name, key);
                let mut aliases = vec![s.to_string()];
                if let Some(c) = cfg {
                    aliases.extend(c.aliases.iter().cloned());
                }
                if !aliases.contains(&name) {
                    aliases.push(name.clone());
                }
                let ep = EndpointSettings {
                    aliases: Some(aliases),
                    ipam_config: cfg.and_then(|c| {
                        let v4 = c.ipv4_address.clone();
                        let v6 = c.ipv6_address.clone();
                        (v4.is_some() || v6.is_some() || !c.link_local_ips.is_empty()).then(|| {
                            EndpointIpamConfig {
                                ipv4_address: v4,
                                ipv6_address: v6,
                                link_local_ips: (!c.link_local_ips.is_empty())
                                    .then(|| c.link_local_ips.clone()),
                            }
                        })
                    }),
                    mac_address: cfg
                        .and_then(|c| c.mac_address.clone())
                        .or_else(|| (i == 0).then(|| service.mac_address.clone()).flatten()),
                    driver_opts: cfg.and_then(|c| {
                        (!c.driver_opts.is_empty())
                            .then(|| c.driver_opts.clone().into_iter().collect())
                    }),
                    ..Default::default()
                };
                if i == 0 {
                    host.network_mode = Some(net_name.clone());
                    let mut m = HashMap::new();
                    m.insert(net_name, ep);
                    body.networking_config = Some(NetworkingConfig {
                        endpoints_config: Some(m),
                    });
                } else {
                    extra_networks.push((net_name, ep));
                }
            }
        }
    }
    if !service.links.is_empty() {
        let mut links = host.links.take().unwrap_or_default();
        for l in &service.links {
            let (svc, alias) = l.split_once(':').unwrap_or((l, l));
            if let Some(c) = (ctx.resolve_container)(svc) {
                links.push(format!("{c}:{alias}"));
            }
        }
        host.links = Some(links);
    }

    body.host_config = Some(host);
    Ok(ContainerSpec {
        name,
        body,
        extra_networks,
        injections,
        warnings,
        host_dirs,
    })
}
