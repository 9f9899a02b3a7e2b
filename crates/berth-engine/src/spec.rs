//! From a compose service to the Engine API's container configuration: every attribute the
//! API supports reaches the container, set the way Compose v2 (2.26.1) sets it; what berth
//! cannot apply is an error or a warning that names it.
//!
//! Every field of [`Service`] is accounted for in [`FIELDS`]: applied to the container,
//! warned about, or not a container setting at all (used by the loader, the graph, `build`…).
//! A unit test fails when a new model field is not classified, or when a field classified as
//! applied does not change the container configuration.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bollard::models::{
    ContainerCreateBody, DeviceMapping, DeviceRequest, EndpointIpamConfig, EndpointSettings,
    HealthConfig, HostConfig, HostConfigCgroupnsModeEnum, HostConfigIsolationEnum,
    HostConfigLogConfig, Mount, MountBindOptions, MountBindOptionsPropagationEnum,
    MountTmpfsOptions, MountType, MountVolumeOptions, NetworkingConfig, PortBinding,
    ResourcesBlkioWeightDevice, ResourcesUlimits, RestartPolicy, RestartPolicyNameEnum,
    ThrottleDevice,
};

use berth_compose::model::{
    FileObjectConfig, FileObjectSource, FileReferenceConfig, Project, Service,
    ServiceNetworkConfig, ServiceVolumeConfig, ThrottleDevice as ComposeThrottle,
};
use berth_compose::syntax;

/// What a container needs to know about its project.
pub struct SpecContext<'a> {
    pub project: &'a Project,
    pub project_name: &'a str,
    /// Engine API version, e.g. (1, 41): some fields need a newer one.
    pub api_version: (u32, u32),
    /// Engine names of the service's `service:x` / `container:x` references resolved by the caller.
    pub resolve_container: &'a dyn Fn(&str) -> Option<String>,
    /// The project's environment (`.env`, `--env-file`, the shell): secrets and configs from
    /// `environment`, `DOCKER_DEFAULT_PLATFORM`.
    pub environment: &'a dyn Fn(&str) -> Option<String>,
    /// The project directory: relative seccomp profile paths in `security_opt` are read from it.
    pub working_dir: &'a Path,
    /// Variables every container gets unless its `environment` sets them: the proxies of the
    /// Docker CLI configuration, as Compose v2 passes them ([`crate::CliConfig::proxies`]).
    pub base_environment: &'a [(String, String)],
}

/// A file written into the container before it starts (secrets and configs from
/// `environment` or `content`, or with `uid`/`gid`/`mode`, which a bind cannot honour).
#[derive(Clone, Debug, PartialEq)]
pub struct Injection {
    pub path: String,
    pub content: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// `uid` or `gid` was given: the engine must keep the archive's owner (`copyUIDGID`).
    pub keep_owner: bool,
}

/// A container ready to be created ([`crate::Engine::create_from_spec`]).
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    /// The Engine API's configuration: private, so the rest of berth never builds or reads one.
    pub(crate) body: ContainerCreateBody,
    /// `platform` (or `DOCKER_DEFAULT_PLATFORM`), passed to the create call.
    pub platform: Option<String>,
    /// Networks connected after create (API < 1.44 takes one network at create).
    pub(crate) extra_networks: Vec<(String, EndpointSettings)>,
    pub injections: Vec<Injection>,
    /// Attributes berth could not apply, by name.
    pub warnings: Vec<String>,
}

/// How a one-off container (`berth run`) differs from the service's own.
#[derive(Clone, Copy, Debug, Default)]
pub struct OneOff {
    /// End of input closes only the container's stdin (`docker run -i`'s StdinOnce).
    pub stdin_once: bool,
    /// The engine removes it when it exits (`run --rm -d`).
    pub auto_remove: bool,
    /// Keep the service's network aliases (`run --use-aliases`).
    pub use_aliases: bool,
}

impl ContainerSpec {
    /// Makes it a one-off container: no restart policy, and what `run`'s flags ask for.
    pub fn one_off(&mut self, o: OneOff) {
        self.body.stdin_once = Some(o.stdin_once);
        if let Some(h) = self.body.host_config.as_mut() {
            h.restart_policy = None;
            h.auto_remove = Some(o.auto_remove);
        }
        if !o.use_aliases {
            if let Some(eps) = self
                .body
                .networking_config
                .as_mut()
                .and_then(|n| n.endpoints_config.as_mut())
            {
                for ep in eps.values_mut() {
                    ep.aliases = None;
                }
            }
            for (_, ep) in self.extra_networks.iter_mut() {
                ep.aliases = None;
            }
        }
    }

    /// Anonymous volumes keep their data across a recreate (unless `-V`), as Compose does: each
    /// anonymous volume mount takes the volume the old container had at the same path.
    pub fn inherit_anonymous_volumes(&mut self, old: &crate::ContainerDetails) {
        let Some(mounts) = self
            .body
            .host_config
            .as_mut()
            .and_then(|h| h.mounts.as_mut())
        else {
            return;
        };
        for m in mounts.iter_mut() {
            if m.typ != Some(MountType::VOLUME) || m.source.is_some() {
                continue;
            }
            if let Some(prev) = old.mounts.iter().find(|om| {
                m.target.as_deref() == Some(om.destination.as_str()) && om.name.is_some()
            }) {
                m.source = prev.name.clone();
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("services.{service}.{key}: {message}")]
pub struct SpecError {
    pub service: String,
    pub key: String,
    pub message: String,
}

fn err(service: &str, key: &str, message: impl Into<String>) -> SpecError {
    SpecError {
        service: service.into(),
        key: key.into(),
        message: message.into(),
    }
}

/// How berth treats one field of [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Reaches the container configuration.
    Applied,
    /// Cannot be applied by berth on a local engine: a warning names it when it is set.
    Warned,
    /// Not a container setting: used by the loader, the graph, `build`, scaling or `up`.
    NotContainer,
}

/// Every field of [`Service`] and how it is handled (the unit test keeps this list complete).
pub const FIELDS: &[(&str, Handling)] = {
    use Handling::*;
    &[
        ("annotations", Applied), // API 1.43+; warned on older engines
        ("attach", NotContainer), // which logs `up` follows
        ("blkio_config", Applied),
        ("build", NotContainer),
        ("cap_add", Applied),
        ("cap_drop", Applied),
        ("cgroup", Applied),
        ("cgroup_parent", Applied),
        ("command", Applied),
        ("configs", Applied),
        ("container_name", Applied),
        ("cpu_count", Applied),   // Windows containers only: also warned
        ("cpu_percent", Applied), // Windows containers only: also warned
        ("cpu_period", Applied),
        ("cpu_quota", Applied),
        ("cpu_rt_period", Applied),
        ("cpu_rt_runtime", Applied),
        ("cpus", Applied),
        ("cpuset", Applied),
        ("cpu_shares", Applied),
        ("credential_spec", Warned),  // Windows (gMSA)
        ("depends_on", NotContainer), // the graph
        ("deploy", Applied),          // resources, restart_policy; Swarm-only keys warned
        ("develop", NotContainer),    // `watch`
        ("device_cgroup_rules", Applied),
        ("devices", Applied),
        ("dns", Applied),
        ("dns_opt", Applied),
        ("dns_search", Applied),
        ("dockerfile", NotContainer), // legacy build key (rejected by the schema)
        ("domainname", Applied),
        ("entrypoint", Applied),
        ("env_file", NotContainer), // folded into `environment` by the loader
        ("environment", Applied),
        ("expose", Applied),
        ("extends", NotContainer), // resolved by the loader
        ("external_links", Applied),
        ("extra_hosts", Applied),
        ("gpus", Applied),
        ("group_add", Applied),
        ("healthcheck", Applied),
        ("hostname", Applied),
        ("image", Applied),
        ("init", Applied),
        ("ipc", Applied),
        ("isolation", Applied),
        ("label_file", NotContainer), // folded into `labels` by the loader
        ("labels", Applied),
        ("links", Applied),
        ("log_driver", Warned), // legacy (rejected by the schema): use `logging`
        ("log_opt", Warned),    // legacy (rejected by the schema): use `logging`
        ("logging", Applied),
        ("mac_address", Applied),
        ("mem_limit", Applied),
        ("mem_reservation", Applied),
        ("mem_swappiness", Applied),
        ("memswap_limit", Applied),
        ("net", Warned), // legacy (rejected by the schema): use `network_mode`
        ("network_mode", Applied),
        ("networks", Applied),
        ("oom_kill_disable", Applied),
        ("oom_score_adj", Applied),
        ("pid", Applied),
        ("pids_limit", Applied),
        ("platform", Applied),
        ("ports", Applied),
        ("post_start", Warned), // lifecycle hooks are not run by berth
        ("pre_stop", Warned),
        ("privileged", Applied),
        ("profiles", NotContainer),
        ("pull_policy", NotContainer),
        ("read_only", Applied),
        ("restart", Applied),
        ("runtime", Applied),
        ("scale", NotContainer),
        ("secrets", Applied),
        ("security_opt", Applied),
        ("shm_size", Applied),
        ("stdin_open", Applied),
        ("stop_grace_period", Applied),
        ("stop_signal", Applied),
        ("storage_opt", Applied),
        ("sysctls", Applied),
        ("tmpfs", Applied),
        ("tty", Applied),
        ("ulimits", Applied),
        ("user", Applied),
        ("userns_mode", Applied),
        ("uts", Applied),
        ("volume_driver", Applied),
        ("volumes", Applied),
        ("volumes_from", Applied),
        ("working_dir", Applied),
    ]
};

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
pub fn ordered_networks(service: &Service) -> Vec<(&String, Option<&ServiceNetworkConfig>)> {
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

/// Collects warnings, each prefixed with `services.<name>.`.
struct Warnings<'a> {
    service: &'a str,
    list: Vec<String>,
}

impl Warnings<'_> {
    fn push(&mut self, key: &str, message: impl std::fmt::Display) {
        let w = format!("services.{}.{key}: {message}", self.service);
        if !self.list.contains(&w) {
            self.list.push(w);
        }
    }
}

fn duration(s: &str, key: &str, value: &Option<String>) -> Result<Option<i64>, SpecError> {
    match value {
        None => Ok(None),
        Some(v) => syntax::parse_duration_nanos(v)
            .map(Some)
            .map_err(|e| err(s, key, e.message)),
    }
}

/// CPUs as the engine's nano-CPUs, from the decimal the user wrote (`0.1` is 100000000, not
/// the float's 100000001).
fn nano_cpus(c: f32) -> i64 {
    let exact: f64 = c.to_string().parse().unwrap_or(c as f64);
    (exact * 1e9).round() as i64
}

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn non_empty_map(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.clone().into_iter().collect())
}

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

/// A bind in the engine's `Binds` syntax (`src:dst:rw,z,rprivate`), as Compose writes it for
/// binds whose host path may be created: only `Binds` creates a missing source (moby#43483).
fn bind_string(v: &ServiceVolumeConfig, source: &str, target: &str) -> String {
    let mut opts = vec![if v.read_only { "ro" } else { "rw" }.to_string()];
    if let Some(b) = &v.bind {
        if let Some(z) = b.selinux.as_deref().filter(|z| !z.is_empty()) {
            opts.push(z.to_string());
        }
        if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
            opts.push(p.to_string());
        }
    }
    if v.volume.as_ref().map(|vo| vo.nocopy).unwrap_or(false) {
        opts.push("nocopy".into());
    }
    format!("{source}:{target}:{}", opts.join(","))
}

/// `volumes:`: binds that may create their host path go to `Binds`, everything else to `Mounts`.
fn volumes(
    ctx: &SpecContext,
    s: &str,
    service: &Service,
    w: &mut Warnings,
) -> Result<(Vec<String>, Vec<Mount>), SpecError> {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for (i, v) in service.volumes.iter().enumerate() {
        let key = format!("volumes[{i}]");
        let target = v
            .target
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| err(s, &key, "a volume needs a target path in the container"))?;
        let mut m = Mount {
            target: Some(target.clone()),
            read_only: v.read_only.then_some(true),
            consistency: v.consistency.clone(),
            ..Default::default()
        };
        match v.kind.as_str() {
            "bind" => {
                let src = v
                    .source
                    .clone()
                    .filter(|x| !x.is_empty())
                    .ok_or_else(|| err(s, &key, "a bind mount needs a source path"))?;
                let b = v.bind.clone().unwrap_or_default();
                let recursive = b
                    .recursive
                    .as_deref()
                    .filter(|r| !r.is_empty() && *r != "enabled");
                if b.create_host_path && recursive.is_none() {
                    // The engine creates a missing source, as with `docker run -v`.
                    binds.push(bind_string(v, &src, &target));
                    continue;
                }
                if !Path::new(&src).exists() {
                    return Err(err(s, &key, format!(
                        "bind source path {src} does not exist (a long-syntax bind is not created: create it, or set bind.create_host_path: true)"
                    )));
                }
                m.typ = Some(MountType::BIND);
                m.source = Some(src);
                let mut opts = MountBindOptions::default();
                let mut any = false;
                if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
                    opts.propagation = Some(propagation(p).ok_or_else(|| {
                        err(
                            s,
                            &format!("{key}.bind.propagation"),
                            format!("unknown propagation {p:?}"),
                        )
                    })?);
                    any = true;
                }
                match recursive {
                    None => {}
                    Some("disabled") => {
                        opts.non_recursive = Some(true);
                        any = true;
                    }
                    Some(r @ ("writable" | "readonly")) => {
                        if ctx.api_version < (1, 44) {
                            w.push(
                                &format!("{key}.bind.recursive"),
                                format_args!(
                                    "{r} needs Engine API 1.44, this engine speaks {}.{}: not applied",
                                    ctx.api_version.0, ctx.api_version.1
                                ),
                            );
                        } else if r == "writable" {
                            opts.read_only_non_recursive = Some(true);
                            any = true;
                        } else {
                            opts.read_only_force_recursive = Some(true);
                            any = true;
                        }
                    }
                    Some(other) => {
                        return Err(err(
                            s,
                            &format!("{key}.bind.recursive"),
                            format!(
                                "unknown value {other:?} (enabled, disabled, writable, readonly)"
                            ),
                        ))
                    }
                }
                if any {
                    m.bind_options = Some(opts);
                }
                if b.selinux.as_deref().is_some_and(|z| !z.is_empty()) {
                    w.push(
                        &format!("{key}.bind.selinux"),
                        "SELinux relabelling needs bind.create_host_path (the engine's Binds syntax): not applied",
                    );
                }
            }
            "volume" => {
                m.typ = Some(MountType::VOLUME);
                if let Some(src) = v.source.as_deref().filter(|x| !x.is_empty()) {
                    m.source = Some(volume_name(ctx.project, ctx.project_name, src));
                }
                if let Some(vo) = &v.volume {
                    let mut opts = MountVolumeOptions {
                        no_copy: vo.nocopy.then_some(true),
                        ..Default::default()
                    };
                    if let Some(sub) = vo.subpath.as_deref().filter(|x| !x.is_empty()) {
                        if ctx.api_version < (1, 45) {
                            return Err(err(
                                s,
                                &format!("{key}.volume.subpath"),
                                format!(
                                    "needs Engine API 1.45 (Docker 26), this engine speaks {}.{}",
                                    ctx.api_version.0, ctx.api_version.1
                                ),
                            ));
                        }
                        opts.subpath = Some(sub.to_string());
                    }
                    m.volume_options = Some(opts);
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
            "npipe" => {
                // Windows named pipes: the engine says whether it has them.
                m.typ = Some(MountType::NPIPE);
                m.source = v.source.clone();
            }
            "image" => {
                if ctx.api_version < (1, 48) {
                    return Err(err(
                        s,
                        &key,
                        format!(
                            "image mounts need Engine API 1.48 (Docker 28), this engine speaks {}.{}",
                            ctx.api_version.0, ctx.api_version.1
                        ),
                    ));
                }
                m.typ = Some(MountType::IMAGE);
                m.source = v.source.clone();
            }
            "cluster" => {
                return Err(err(
                    s,
                    &key,
                    "cluster volumes are Swarm (CSI) volumes: not available to a local container",
                ))
            }
            other => return Err(err(s, &key, format!("unknown volume type {other:?}"))),
        }
        mounts.push(m);
    }
    Ok((binds, mounts))
}

/// A secret or config: a read-only bind of its file, or a file written into the container.
#[allow(clippy::too_many_arguments)]
fn file_mount(
    ctx: &SpecContext,
    s: &str,
    key: &str,
    reference: &FileReferenceConfig,
    object: Option<&FileObjectConfig>,
    default_dir: &str,
    mounts: &mut Vec<Mount>,
    injections: &mut Vec<Injection>,
) -> Result<(), SpecError> {
    let kind = if key == "secrets" { "secret" } else { "config" };
    let source = reference.source.clone().unwrap_or_default();
    let Some(obj) = object else {
        return Err(err(s, key, format!("refers to undefined {kind} {source}")));
    };
    let target = match reference.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) => format!("{default_dir}/{t}"),
        None => format!("{default_dir}/{source}"),
    };
    let label = obj.name.clone().unwrap_or_else(|| source.clone());
    if obj.external {
        return Err(err(
            s,
            key,
            format!(
                "{kind} {label} is external (a Swarm {kind}): not available to a local container"
            ),
        ));
    }
    if obj.driver.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(err(
            s,
            key,
            format!("{kind} {label} has a driver: {kind}s with drivers are Swarm {kind}s"),
        ));
    }
    if obj
        .template_driver
        .as_deref()
        .is_some_and(|d| !d.is_empty())
    {
        return Err(err(
            s,
            key,
            format!("{kind} {label} has a template_driver: templated {kind}s are Swarm {kind}s"),
        ));
    }
    let id = |v: &Option<String>, what: &str| -> Result<u64, SpecError> {
        match v.as_deref().filter(|x| !x.is_empty()) {
            None => Ok(0),
            Some(x) => x.parse().map_err(|_| {
                err(
                    s,
                    key,
                    format!("{what} of {kind} {source} must be a number, not {x:?}"),
                )
            }),
        }
    };
    let uid = id(&reference.uid, "uid")?;
    let gid = id(&reference.gid, "gid")?;
    let keep_owner = reference.uid.is_some() || reference.gid.is_some();
    let mode = reference.mode.unwrap_or(0o444);
    let inject = |content: Vec<u8>, injections: &mut Vec<Injection>| {
        injections.push(Injection {
            path: target.clone(),
            content,
            mode,
            uid,
            gid,
            keep_owner,
        })
    };
    match obj.source() {
        Some(FileObjectSource::Environment(var)) => {
            let value = (ctx.environment)(var).ok_or_else(|| {
                err(
                    s,
                    key,
                    format!("environment variable {var} required by {kind} {label} is not set"),
                )
            })?;
            inject(value.into_bytes(), injections);
        }
        Some(FileObjectSource::Content(content)) => inject(content.as_bytes().to_vec(), injections),
        Some(FileObjectSource::File(file)) => {
            if keep_owner || reference.mode.is_some() {
                // A bind keeps the host file's owner and mode: write a copy to honour them
                // (Compose v2 binds and ignores uid/gid/mode with a warning).
                let content = std::fs::read(file).map_err(|e| {
                    err(
                        s,
                        key,
                        format!("cannot read {file} for {kind} {source}: {e}"),
                    )
                })?;
                inject(content, injections);
            } else {
                if !Path::new(file).exists() {
                    return Err(err(
                        s,
                        key,
                        format!("file {file} of {kind} {label} does not exist"),
                    ));
                }
                mounts.push(Mount {
                    target: Some(target),
                    source: Some(file.to_string()),
                    typ: Some(MountType::BIND),
                    read_only: Some(true),
                    ..Default::default()
                });
            }
        }
        None => {
            return Err(err(
                s,
                key,
                format!("{kind} {label} has no file, environment or content"),
            ))
        }
    }
    Ok(())
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

fn throttles(list: &[ComposeThrottle]) -> Option<Vec<ThrottleDevice>> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(|t| ThrottleDevice {
                path: Some(t.path.clone()),
                rate: Some(t.rate.0),
            })
            .collect()
    })
}

fn device_request(
    d: &berth_compose::model::DeviceRequest,
    extra_capability: Option<&str>,
) -> DeviceRequest {
    let mut caps = d.capabilities.clone();
    if let Some(c) = extra_capability {
        if !caps.iter().any(|x| x == c) {
            caps.push(c.to_string());
        }
    }
    DeviceRequest {
        driver: d.driver.clone(),
        // No count and no ids: every matching device, as the Compose spec says.
        count: d.count.or_else(|| d.device_ids.is_empty().then_some(-1)),
        device_ids: non_empty(&d.device_ids),
        capabilities: Some(vec![caps]),
        options: non_empty_map(&d.options),
    }
}

/// Resources: the service's own keys, then `deploy.resources` over them (as Compose v2).
fn resources(
    s: &str,
    service: &Service,
    host: &mut HostConfig,
    w: &mut Warnings,
) -> Result<(), SpecError> {
    if let Some(l) = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.limits.as_ref())
    {
        // As compose-go: both may be set, but not to different values.
        let distinct = [
            (
                "cpus",
                "cpus",
                service.cpus.filter(|c| *c != 0.0).map(nano_cpus),
                l.cpus.filter(|c| *c != 0.0).map(nano_cpus),
            ),
            (
                "mem_limit",
                "memory",
                service.mem_limit.map(|b| b.0).filter(|b| *b != 0),
                l.memory.map(|b| b.0).filter(|b| *b != 0),
            ),
            (
                "pids_limit",
                "pids",
                service.pids_limit.filter(|p| *p != 0),
                l.pids.filter(|p| *p != 0),
            ),
        ];
        for (own, deploy, a, b) in distinct {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    return Err(err(
                        s,
                        own,
                        format!("can't set distinct values on '{own}' and 'deploy.resources.limits.{deploy}'"),
                    ));
                }
            }
        }
    }
    host.cpu_shares = service.cpu_shares;
    host.cpu_period = service.cpu_period;
    host.cpu_quota = service.cpu_quota;
    host.cpu_realtime_period = service.cpu_rt_period;
    host.cpu_realtime_runtime = service.cpu_rt_runtime;
    host.cpuset_cpus = service.cpuset.clone();
    host.nano_cpus = service.cpus.map(nano_cpus);
    if service.cpu_count.is_some() || service.cpu_percent.is_some() {
        host.cpu_count = service.cpu_count;
        host.cpu_percent = service.cpu_percent.map(|p| p.round() as i64);
        w.push(
            if service.cpu_count.is_some() {
                "cpu_count"
            } else {
                "cpu_percent"
            },
            "applies to Windows containers only: a Linux engine ignores it",
        );
    }
    host.memory = service.mem_limit.map(|b| b.0);
    host.memory_reservation = service.mem_reservation.map(|b| b.0);
    host.memory_swap = service.memswap_limit.map(|b| b.0);
    host.memory_swappiness = service.mem_swappiness.map(|b| b.0);
    host.oom_kill_disable = Some(service.oom_kill_disable);
    host.pids_limit = service.pids_limit;
    host.cgroup_parent = service.cgroup_parent.clone();
    host.device_cgroup_rules = non_empty(&service.device_cgroup_rules);
    if !service.ulimits.is_empty() {
        host.ulimits = Some(
            service
                .ulimits
                .iter()
                .map(|(k, u)| {
                    let (soft, hard) = u.limits();
                    ResourcesUlimits {
                        name: Some(k.clone()),
                        soft: Some(soft),
                        hard: Some(hard),
                    }
                })
                .collect(),
        );
    }
    if let Some(b) = &service.blkio_config {
        host.blkio_weight = b.weight;
        if !b.weight_device.is_empty() {
            host.blkio_weight_device = Some(
                b.weight_device
                    .iter()
                    .map(|d| ResourcesBlkioWeightDevice {
                        path: Some(d.path.clone()),
                        weight: Some(d.weight as usize),
                    })
                    .collect(),
            );
        }
        host.blkio_device_read_bps = throttles(&b.device_read_bps);
        host.blkio_device_read_iops = throttles(&b.device_read_iops);
        host.blkio_device_write_bps = throttles(&b.device_write_bps);
        host.blkio_device_write_iops = throttles(&b.device_write_iops);
    }
    if !service.devices.is_empty() {
        host.devices = Some(
            service
                .devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: d.source.clone(),
                    path_in_container: d.target.clone().or_else(|| d.source.clone()),
                    cgroup_permissions: Some(
                        d.permissions
                            .clone()
                            .filter(|p| !p.is_empty())
                            .unwrap_or_else(|| "rwm".into()),
                    ),
                })
                .collect(),
        );
    }
    let mut requests: Vec<DeviceRequest> = service
        .gpus
        .iter()
        .map(|g| device_request(g, Some("gpu")))
        .collect();
    if let Some(d) = &service.deploy {
        let res = &d.resources;
        if let Some(l) = &res.limits {
            if let Some(c) = l.cpus.filter(|c| *c != 0.0) {
                host.nano_cpus = Some(nano_cpus(c));
            }
            if let Some(m) = l.memory.filter(|m| m.0 != 0) {
                host.memory = Some(m.0);
            }
            if let Some(p) = l.pids.filter(|p| *p > 0) {
                host.pids_limit = Some(p);
            }
            if !l.devices.is_empty() {
                w.push(
                    "deploy.resources.limits.devices",
                    "devices are reserved, not limited: use deploy.resources.reservations.devices; not applied",
                );
            }
            if !l.generic_resources.is_empty() {
                w.push(
                    "deploy.resources.limits.generic_resources",
                    "a Swarm setting: not applied",
                );
            }
        }
        if let Some(r) = &res.reservations {
            if let Some(m) = r.memory.filter(|m| m.0 != 0) {
                host.memory_reservation = Some(m.0);
            }
            requests.extend(r.devices.iter().map(|d| device_request(d, None)));
            if r.cpus.is_some() {
                w.push(
                    "deploy.resources.reservations.cpus",
                    "a CPU reservation is a Swarm scheduling setting: not applied (cpus or deploy.resources.limits.cpus limit a container)",
                );
            }
            if r.pids.is_some() {
                w.push(
                    "deploy.resources.reservations.pids",
                    "PIDs can only be limited: not applied",
                );
            }
            if !r.generic_resources.is_empty() {
                w.push(
                    "deploy.resources.reservations.generic_resources",
                    "a Swarm setting: not applied",
                );
            }
        }
    }
    if !requests.is_empty() {
        host.device_requests = Some(requests);
    }
    Ok(())
}

/// Deploy keys that only Swarm has: named in a warning when set.
fn deploy_warnings(service: &Service, w: &mut Warnings) {
    let Some(d) = &service.deploy else { return };
    if d.mode.as_deref() == Some("global") {
        w.push(
            "deploy.mode",
            "global (one container per Swarm node) is a Swarm mode: one container per replica is run",
        );
    }
    let swarm = [
        ("labels", !d.labels.is_empty()),
        ("update_config", d.update_config.is_some()),
        ("rollback_config", d.rollback_config.is_some()),
        (
            "placement",
            !d.placement.constraints.is_empty()
                || !d.placement.preferences.is_empty()
                || d.placement.max_replicas_per_node.is_some(),
        ),
        ("endpoint_mode", d.endpoint_mode.is_some()),
    ];
    for (k, set) in swarm {
        if set {
            let note = if k == "labels" {
                "Swarm service labels are not container labels (use labels): not applied"
            } else {
                "a Swarm setting: not applied by a local engine"
            };
            w.push(&format!("deploy.{k}"), note);
        }
    }
}

/// The links of a service, as Compose v2 writes them: each linked service's container under the
/// link alias, `<service>-<n>` and its full name; external links as `name:alias`.
fn links(ctx: &SpecContext, service: &Service, number: u32) -> Vec<String> {
    let mut out = Vec::new();
    for l in &service.links {
        let (svc, alias) = l.split_once(':').unwrap_or((l, l));
        let name = match ctx.project.services.get(svc) {
            Some(other) => container_name(ctx.project_name, svc, other, 1),
            None => continue,
        };
        out.push(format!("{name}:{alias}"));
        out.push(format!("{name}:{svc}-{number}"));
        out.push(format!("{name}:{}-{svc}-{number}", ctx.project_name));
    }
    for l in &service.external_links {
        let (c, alias) = l.split_once(':').unwrap_or((l, l));
        out.push(format!("{c}:{alias}"));
    }
    out
}

/// A service's endpoint on one network.
fn endpoint(
    name: &str,
    s: &str,
    cfg: Option<&ServiceNetworkConfig>,
    links: &[String],
) -> EndpointSettings {
    let mut aliases = vec![name.to_string(), s.to_string()];
    if let Some(c) = cfg {
        for a in &c.aliases {
            if !aliases.contains(a) {
                aliases.push(a.clone());
            }
        }
    }
    EndpointSettings {
        aliases: Some(aliases),
        links: non_empty(links),
        ipam_config: cfg.map(|c| EndpointIpamConfig {
            ipv4_address: c.ipv4_address.clone().filter(|x| !x.is_empty()),
            ipv6_address: c.ipv6_address.clone().filter(|x| !x.is_empty()),
            link_local_ips: non_empty(&c.link_local_ips),
        }),
        mac_address: cfg.and_then(|c| c.mac_address.clone()),
        driver_opts: cfg.and_then(|c| non_empty_map(&c.driver_opts)),
        gw_priority: cfg.and_then(|c| c.gw_priority),
        ..Default::default()
    }
}

/// `service:x` resolved to `container:<id>`, for `network_mode`, `ipc` and `pid`.
fn container_ref(ctx: &SpecContext, s: &str, key: &str, value: &str) -> Result<String, SpecError> {
    match value.strip_prefix("service:") {
        Some(svc) => {
            let c = (ctx.resolve_container)(svc).ok_or_else(|| {
                err(
                    s,
                    key,
                    format!("service {svc} has no container to share its namespace"),
                )
            })?;
            Ok(format!("container:{c}"))
        }
        None => Ok(value.to_string()),
    }
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
    let mut w = Warnings {
        service: s,
        list: Vec::new(),
    };
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
        // As Compose v2's `up`: stdout and stderr attached, stdin only by `run -i`.
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: duration(s, "stop_grace_period", &service.stop_grace_period)?
            .map(|n| n / 1_000_000_000),
        ..Default::default()
    };

    // Environment, as the loader resolved it (env_file folded in); a variable without a value
    // is passed by name, as Compose v2 does.
    let mut env: Vec<String> = ctx
        .base_environment
        .iter()
        .filter(|(k, _)| !service.environment.contains_key(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    env.extend(service.environment.iter().map(|(k, v)| match v {
        Some(v) => format!("{k}={v}"),
        None => k.clone(),
    }));
    body.env = Some(env);

    let mut all_labels: HashMap<String, String> = service.labels.clone().into_iter().collect();
    all_labels.extend(labels);
    body.labels = Some(all_labels);

    // Healthcheck.
    if let Some(h) = &service.healthcheck {
        let start_interval = duration(s, "healthcheck.start_interval", &h.start_interval)?;
        if start_interval.is_some() && ctx.api_version < (1, 44) {
            // Compose v2 refuses to create the container; berth runs it without.
            w.push(
                "healthcheck.start_interval",
                format_args!(
                    "needs Engine API 1.44 (Docker 25), this engine speaks {}.{}: not applied",
                    ctx.api_version.0, ctx.api_version.1
                ),
            );
        }
        body.healthcheck = Some(HealthConfig {
            test: if h.disable {
                Some(vec!["NONE".into()])
            } else {
                non_empty(&h.test)
            },
            interval: duration(s, "healthcheck.interval", &h.interval)?,
            timeout: duration(s, "healthcheck.timeout", &h.timeout)?,
            retries: h.retries.map(|r| r as i64),
            start_period: duration(s, "healthcheck.start_period", &h.start_period)?,
            start_interval: start_interval.filter(|_| ctx.api_version >= (1, 44)),
        });
    }

    // Ports and expose: `expose` entries go to the engine as written (`"5000"`,
    // `"6000-6001/udp"`), as Compose v2 passes them.
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for e in &service.expose {
        if !exposed.contains(e) {
            exposed.push(e.clone());
        }
    }
    for p in &service.ports {
        let proto = p
            .protocol
            .clone()
            .filter(|x| !x.is_empty())
            .unwrap_or_else(|| "tcp".into());
        let key = format!("{}/{proto}", p.target);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: Some(p.published.clone().unwrap_or_default()),
            });
    }
    if !exposed.is_empty() {
        body.exposed_ports = Some(exposed);
    }
    host.port_bindings = Some(bindings);

    // Volumes, tmpfs, secrets and configs.
    let (binds, mut mounts) = volumes(ctx, s, service, &mut w)?;
    host.binds = non_empty(&binds);
    if !service.tmpfs.is_empty() {
        host.tmpfs = Some(
            service
                .tmpfs
                .iter()
                .map(|e| {
                    let (path, opts) = e.split_once(':').unwrap_or((e, ""));
                    (path.to_string(), opts.to_string())
                })
                .collect(),
        );
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
                None => {
                    let svc = src.strip_prefix("service:").unwrap_or(src);
                    (ctx.resolve_container)(svc).ok_or_else(|| {
                        err(
                            s,
                            "volumes_from",
                            format!("service {svc} has no container to share volumes from"),
                        )
                    })?
                }
            };
            vf.push(if mode.is_empty() {
                target
            } else {
                format!("{target}:{mode}")
            });
        }
        host.volumes_from = Some(vf);
    }
    host.volume_driver = service.volume_driver.clone();
    let mut injections = Vec::new();
    for r in &service.secrets {
        let obj = r.source.as_ref().and_then(|n| project.secrets.get(n));
        file_mount(
            ctx,
            s,
            "secrets",
            r,
            obj,
            "/run/secrets",
            &mut mounts,
            &mut injections,
        )?;
    }
    for r in &service.configs {
        let obj = r.source.as_ref().and_then(|n| project.configs.get(n));
        file_mount(ctx, s, "configs", r, obj, "", &mut mounts, &mut injections)?;
    }
    if !mounts.is_empty() {
        host.mounts = Some(mounts);
    }

    // Process, security and kernel settings.
    host.restart_policy = restart_policy(s, service, &mut w)?;
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
    resources(s, service, &mut host, &mut w)?;
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
        host.ipc_mode = Some(container_ref(ctx, s, "ipc", ipc)?);
    }
    if let Some(pid) = service.pid.as_deref().filter(|x| !x.is_empty()) {
        host.pid_mode = Some(container_ref(ctx, s, "pid", pid)?);
    }
    if !service.annotations.is_empty() {
        if ctx.api_version < (1, 43) {
            w.push(
                "annotations",
                format_args!(
                    "needs Engine API 1.43 (Docker 24), this engine speaks {}.{}: not applied",
                    ctx.api_version.0, ctx.api_version.1
                ),
            );
        } else {
            host.annotations = non_empty_map(&service.annotations);
        }
    }
    let platform = service
        .platform
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| (ctx.environment)("DOCKER_DEFAULT_PLATFORM").filter(|p| !p.is_empty()));

    // What berth cannot apply.
    if service.credential_spec.is_some() {
        w.push(
            "credential_spec",
            "Windows credential specs (gMSA) are not applied by berth",
        );
    }
    for (k, set) in [
        ("post_start", !service.post_start.is_empty()),
        ("pre_stop", !service.pre_stop.is_empty()),
    ] {
        if set {
            w.push(k, "lifecycle hooks are not run by berth yet");
        }
    }
    if service.net.is_some() {
        w.push("net", "a legacy key: use network_mode; not applied");
    }
    if service.log_driver.is_some() {
        w.push("log_driver", "a legacy key: use logging; not applied");
    }
    if !service.log_opt.is_empty() {
        w.push("log_opt", "a legacy key: use logging.options; not applied");
    }
    deploy_warnings(service, &mut w);

    // Networking.
    let links = links(ctx, service, number);
    let mut extra_networks = Vec::new();
    match service.network_mode.as_deref().filter(|m| !m.is_empty()) {
        Some(mode) => {
            host.network_mode = Some(container_ref(ctx, s, "network_mode", mode)?);
            if mode == "disabled" {
                body.network_disabled = Some(true);
            }
            if service.mac_address.is_some() {
                w.push(
                    "mac_address",
                    format_args!("the container has no network of its own with network_mode {mode}: not applied"),
                );
            }
            if !links.is_empty() {
                host.links = Some(links);
            }
        }
        None if service.networks.is_empty() => {
            // No network at all (Compose v2 does the same when the project has none).
            host.network_mode = Some("none".into());
            if service.mac_address.is_some() {
                w.push("mac_address", "the service joins no network: not applied");
            }
        }
        None => {
            let nets = ordered_networks(service);
            let old_api = ctx.api_version < (1, 44);
            for (i, (key, cfg)) in nets.iter().enumerate() {
                let net_name = network_name(project, ctx.project_name, key);
                let mut ep = endpoint(&name, s, *cfg, &links);
                if i == 0 {
                    if let (Some(svc_mac), Some(ep_mac)) = (&service.mac_address, &ep.mac_address) {
                        if svc_mac != ep_mac {
                            return Err(err(
                                s,
                                "mac_address",
                                format!(
                                    "{svc_mac} differs from networks.{key}.mac_address {ep_mac}"
                                ),
                            ));
                        }
                    }
                    if ep.mac_address.is_none() {
                        ep.mac_address = service.mac_address.clone();
                    }
                } else if old_api && ep.mac_address.is_some() {
                    // Before API 1.44 the engine takes one, container-wide, MAC address.
                    w.push(
                        &format!("networks.{key}.mac_address"),
                        format_args!(
                            "a MAC address on a second network needs Engine API 1.44, this engine speaks {}.{}: not applied",
                            ctx.api_version.0, ctx.api_version.1
                        ),
                    );
                    ep.mac_address = None;
                }
                if ep.gw_priority.is_some() && ctx.api_version < (1, 48) {
                    w.push(
                        &format!("networks.{key}.gw_priority"),
                        format_args!(
                            "needs Engine API 1.48 (Docker 28), this engine speaks {}.{}: not applied",
                            ctx.api_version.0, ctx.api_version.1
                        ),
                    );
                    ep.gw_priority = None;
                }
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

    body.host_config = Some(host);
    Ok(ContainerSpec {
        name,
        body,
        platform,
        extra_networks,
        injections,
        warnings: w.list,
    })
}

#[cfg(test)]
mod tests {
    use super::{container_spec, Handling, SpecContext, FIELDS};
    use berth_compose::model::*;
    use serde_json::{json, Value};
    use std::collections::BTreeMap;
    use std::path::Path;

    fn full_project() -> Project {
        let mut p = Project {
            name: "p".into(),
            ..Default::default()
        };
        p.networks.insert("front".into(), NetworkConfig::default());
        p.networks.insert("back".into(), NetworkConfig::default());
        p.volumes.insert("data".into(), VolumeConfig::default());
        p.secrets.insert(
            "s".into(),
            FileObjectConfig {
                environment: Some("SECRET_VAR".into()),
                ..Default::default()
            },
        );
        p.configs.insert(
            "c".into(),
            FileObjectConfig {
                content: Some("hello".into()),
                ..Default::default()
            },
        );
        p.services.insert(
            "other".into(),
            Service {
                image: Some("img".into()),
                ..Default::default()
            },
        );
        p
    }

    fn some<T>(v: T) -> Option<T> {
        Some(v)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn map(v: &[(&str, &str)]) -> BTreeMap<String, String> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A service with every field set. A struct literal without `..Default::default()`: a new
    /// model field does not compile here until it is set (and then classified in `FIELDS`).
    fn full_service() -> Service {
        let hook = ServiceHook {
            command: some(strings(&["true"])),
            ..Default::default()
        };
        Service {
            profiles: strings(&["p"]),
            annotations: map(&[("a", "b")]),
            attach: some(false),
            build: some(BuildConfig {
                context: some(".".into()),
                ..Default::default()
            }),
            develop: some(DevelopConfig::default()),
            blkio_config: some(BlkioConfig {
                weight: some(300),
                ..Default::default()
            }),
            cap_add: strings(&["NET_ADMIN"]),
            cap_drop: strings(&["MKNOD"]),
            cgroup_parent: some("cg".into()),
            cgroup: some("private".into()),
            cpu_count: some(2),
            cpu_percent: some(50.0),
            cpu_period: some(100000),
            cpu_quota: some(50000),
            cpu_rt_period: some(1000),
            cpu_rt_runtime: some(100),
            cpus: some(0.5),
            cpuset: some("0".into()),
            cpu_shares: some(512),
            command: some(strings(&["sleep", "1"])),
            configs: vec![FileReferenceConfig {
                source: some("c".into()),
                ..Default::default()
            }],
            container_name: some("named".into()),
            credential_spec: some(CredentialSpecConfig {
                file: some("spec.json".into()),
                ..Default::default()
            }),
            depends_on: [("other".to_string(), ServiceDependency::default())]
                .into_iter()
                .collect(),
            deploy: some(DeployConfig {
                replicas: some(1),
                resources: Resources {
                    reservations: some(Resource {
                        devices: vec![DeviceRequest {
                            capabilities: strings(&["gpu"]),
                            count: some(1),
                            ..Default::default()
                        }],
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            }),
            device_cgroup_rules: strings(&["c 1:3 mr"]),
            devices: vec![DeviceMapping {
                source: some("/dev/null".into()),
                target: some("/dev/n".into()),
                permissions: some("rwm".into()),
                ..Default::default()
            }],
            dns: strings(&["8.8.8.8"]),
            dns_opt: strings(&["ndots:2"]),
            dns_search: strings(&["example.com"]),
            dockerfile: some("Dockerfile".into()),
            domainname: some("example.org".into()),
            entrypoint: some(strings(&["/bin/sh"])),
            environment: [("A".to_string(), some("1".to_string()))]
                .into_iter()
                .collect(),
            env_file: vec![EnvFile {
                path: "/x.env".into(),
                ..Default::default()
            }],
            expose: strings(&["5000"]),
            extends: some(ExtendsConfig {
                service: some("base".into()),
                ..Default::default()
            }),
            external_links: strings(&["ext:alias"]),
            extra_hosts: strings(&["h=10.0.0.1"]),
            group_add: strings(&["100"]),
            gpus: vec![DeviceRequest {
                count: some(-1),
                ..Default::default()
            }],
            hostname: some("host".into()),
            healthcheck: some(HealthCheckConfig {
                test: strings(&["CMD", "true"]),
                ..Default::default()
            }),
            image: some("img".into()),
            init: some(true),
            ipc: some("shareable".into()),
            isolation: some("default".into()),
            labels: map(&[("l", "v")]),
            label_file: strings(&["/labels"]),
            links: strings(&["other:o"]),
            logging: some(LoggingConfig {
                driver: some("json-file".into()),
                ..Default::default()
            }),
            log_driver: some("syslog".into()),
            log_opt: map(&[("k", "v")]),
            mem_limit: some(Bytes(1 << 26)),
            mem_reservation: some(Bytes(1 << 25)),
            memswap_limit: some(Bytes(1 << 27)),
            mem_swappiness: some(Bytes(10)),
            mac_address: some("02:42:ac:11:00:02".into()),
            net: some("host".into()),
            network_mode: None, // exclusive with `networks`: checked on its own below
            networks: [
                (
                    "front".to_string(),
                    some(ServiceNetworkConfig {
                        aliases: strings(&["web"]),
                        ..Default::default()
                    }),
                ),
                ("back".to_string(), None),
            ]
            .into_iter()
            .collect(),
            oom_kill_disable: true,
            oom_score_adj: some(100),
            pid: some("host".into()),
            pids_limit: some(100),
            platform: some("linux/amd64".into()),
            ports: vec![ServicePortConfig {
                target: 80,
                published: some("8080".into()),
                protocol: some("tcp".into()),
                ..Default::default()
            }],
            privileged: true,
            pull_policy: some("never".into()),
            read_only: true,
            restart: some("always".into()),
            runtime: some("runc".into()),
            scale: some(1),
            secrets: vec![FileReferenceConfig {
                source: some("s".into()),
                ..Default::default()
            }],
            security_opt: strings(&["no-new-privileges:true"]),
            shm_size: some(Bytes(1 << 25)),
            stdin_open: true,
            stop_grace_period: some("3s".into()),
            stop_signal: some("SIGUSR1".into()),
            storage_opt: map(&[("size", "1G")]),
            sysctls: map(&[("net.core.somaxconn", "1024")]),
            tmpfs: strings(&["/run"]),
            tty: true,
            ulimits: [("nofile".to_string(), Ulimit::Single(1024))]
                .into_iter()
                .collect(),
            user: some("1000".into()),
            userns_mode: some("host".into()),
            uts: some("host".into()),
            volume_driver: some("local".into()),
            volumes: vec![ServiceVolumeConfig {
                kind: "volume".into(),
                source: some("data".into()),
                target: some("/data".into()),
                ..Default::default()
            }],
            volumes_from: strings(&["other"]),
            working_dir: some("/w".into()),
            post_start: vec![hook.clone()],
            pre_stop: vec![hook],
            extensions: Extensions::default(),
        }
    }

    fn spec_of(project: &Project, service: &Service, api: (u32, u32)) -> Result<Value, String> {
        let resolve = |s: &str| Some(format!("{s}-id"));
        let env = |k: &str| (k == "SECRET_VAR").then(|| "s3cret".to_string());
        let ctx = SpecContext {
            project,
            project_name: "p",
            api_version: api,
            resolve_container: &resolve,
            environment: &env,
            working_dir: Path::new("/"),
            base_environment: &[],
        };
        let spec =
            container_spec(&ctx, "svc", service, 1, BTreeMap::new()).map_err(|e| e.to_string())?;
        Ok(json!({
            "name": spec.name,
            "body": serde_json::to_value(&spec.body).map_err(|e| e.to_string())?,
            "platform": spec.platform,
            "extra_networks": serde_json::to_value(&spec.extra_networks).map_err(|e| e.to_string())?,
            "injections": format!("{:?}", spec.injections),
            "warnings": spec.warnings,
        }))
    }

    fn without(service: &Service, field: &str) -> Service {
        let mut v = serde_json::to_value(service).expect("serialises");
        if let Some(m) = v.as_object_mut() {
            m.shift_remove(field);
        }
        serde_json::from_value(v).expect("deserialises")
    }

    /// No field of `Service` is silently ignored: each is classified, each applied field
    /// changes the container configuration, each warned field produces a warning naming it,
    /// and no field that is not a container setting changes it.
    #[test]
    fn every_service_field_is_applied_warned_or_not_a_container_setting() {
        let full = full_service();
        let keys: Vec<String> = serde_json::to_value(&full)
            .expect("serialises")
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        let classified: Vec<&str> = FIELDS.iter().map(|(k, _)| *k).collect();
        for k in &keys {
            assert!(
                classified.contains(&k.as_str()),
                "Service field `{k}` is not classified in spec::FIELDS: apply it, warn about it, or mark it NotContainer"
            );
        }
        for k in &classified {
            assert!(
                keys.iter().any(|x| x == k) || *k == "network_mode",
                "spec::FIELDS lists `{k}`, which is not a Service field (or full_service() leaves it unset)"
            );
        }
        let project = full_project();
        let base = spec_of(&project, &full, (1, 41)).expect("the full service has a spec");
        for (field, handling) in FIELDS {
            if *field == "network_mode" {
                continue;
            }
            let other = spec_of(&project, &without(&full, field), (1, 41))
                .unwrap_or_else(|e| panic!("without {field}: {e}"));
            match handling {
                Handling::Applied => assert_ne!(
                    base, other,
                    "`{field}` is classified Applied but does not change the container spec"
                ),
                Handling::Warned => {
                    let named = base["warnings"]
                        .as_array()
                        .map(|ws| {
                            ws.iter().any(|w| {
                                w.as_str().is_some_and(|w| {
                                    w.starts_with(&format!("services.svc.{field}"))
                                })
                            })
                        })
                        .unwrap_or(false);
                    assert!(
                        named,
                        "`{field}` is classified Warned but no warning names it: {}",
                        base["warnings"]
                    );
                    assert_eq!(
                        base["body"], other["body"],
                        "`{field}` is classified Warned but changes the container body"
                    );
                }
                Handling::NotContainer => assert_eq!(
                    base, other,
                    "`{field}` is classified NotContainer but changes the container spec"
                ),
            }
        }
        // network_mode is exclusive with networks: checked against a service without networks.
        let mut bridged = full.clone();
        bridged.networks.clear();
        bridged.mac_address = None;
        let mut moded = bridged.clone();
        moded.network_mode = Some("host".into());
        assert_ne!(
            spec_of(&project, &bridged, (1, 41)),
            spec_of(&project, &moded, (1, 41))
        );
    }

    fn ctx_spec(service: &Service, api: (u32, u32)) -> Value {
        spec_of(&full_project(), service, api).expect("spec")
    }

    fn host(v: &Value) -> &Value {
        &v["body"]["HostConfig"]
    }

    #[test]
    fn deploy_resources_override_service_level_as_in_compose() {
        let mut svc = Service {
            image: some("img".into()),
            cpus: some(0.1),
            mem_limit: some(Bytes(100)),
            ..Default::default()
        };
        svc.deploy = some(DeployConfig {
            resources: Resources {
                limits: some(Resource {
                    cpus: some(0.1),
                    memory: some(Bytes(50)),
                    pids: some(9),
                    ..Default::default()
                }),
                reservations: some(Resource {
                    memory: some(Bytes(20)),
                    cpus: some(0.1),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        });
        // Distinct values are an error, as in compose-go.
        let e = spec_of(&full_project(), &svc, (1, 41)).unwrap_err();
        assert!(e.contains("services.svc.mem_limit"), "{e}");
        svc.mem_limit = None;
        let v = ctx_spec(&svc, (1, 41));
        assert_eq!(host(&v)["NanoCpus"], 100_000_000);
        assert_eq!(host(&v)["Memory"], 50);
        assert_eq!(host(&v)["PidsLimit"], 9);
        assert_eq!(host(&v)["MemoryReservation"], 20);
        assert!(v["warnings"].to_string().contains("reservations.cpus"));
    }

    #[test]
    fn restart_policy_maps_compose_names() {
        let mut svc = Service {
            image: some("img".into()),
            restart: some("on-failure:3".into()),
            ..Default::default()
        };
        let v = ctx_spec(&svc, (1, 41));
        assert_eq!(
            host(&v)["RestartPolicy"],
            json!({"Name": "on-failure", "MaximumRetryCount": 3})
        );
        svc.restart = some("sometimes".into());
        assert!(spec_of(&full_project(), &svc, (1, 41))
            .unwrap_err()
            .contains("services.svc.restart"));
        // deploy.restart_policy wins, `any` is always.
        svc.restart = some("no".into());
        svc.deploy = some(DeployConfig {
            restart_policy: some(berth_compose::model::RestartPolicy {
                condition: some("any".into()),
                delay: some("5s".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        let v = ctx_spec(&svc, (1, 41));
        assert_eq!(host(&v)["RestartPolicy"]["Name"], "always");
        assert!(v["warnings"].to_string().contains("restart_policy.delay"));
    }

    #[test]
    fn binds_that_may_create_their_source_use_the_binds_syntax() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing").display().to_string();
        let svc = Service {
            image: some("img".into()),
            volumes: vec![ServiceVolumeConfig {
                kind: "bind".into(),
                source: some(missing.clone()),
                target: some("/data".into()),
                read_only: true,
                bind: some(ServiceVolumeBind {
                    create_host_path: true,
                    selinux: some("z".into()),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        let v = ctx_spec(&svc, (1, 41));
        assert_eq!(host(&v)["Binds"], json!([format!("{missing}:/data:ro,z")]));
        let mut long = svc.clone();
        long.volumes[0].bind = None;
        let e = spec_of(&full_project(), &long, (1, 41)).unwrap_err();
        assert!(
            e.contains("services.svc.volumes[0]") && e.contains(&missing),
            "{e}"
        );
    }

    #[test]
    fn secrets_from_an_unset_variable_are_an_error_naming_them() {
        let mut project = full_project();
        project.secrets.insert(
            "unset".into(),
            FileObjectConfig {
                environment: Some("NOT_SET_ANYWHERE".into()),
                ..Default::default()
            },
        );
        let svc = Service {
            image: some("img".into()),
            secrets: vec![FileReferenceConfig {
                source: some("unset".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let e = spec_of(&project, &svc, (1, 41)).unwrap_err();
        assert!(
            e.contains("services.svc.secrets") && e.contains("NOT_SET_ANYWHERE"),
            "{e}"
        );
    }

    #[test]
    fn mac_address_and_newer_api_fields_on_old_engines() {
        let mut svc = Service {
            image: some("img".into()),
            mac_address: some("02:42:ac:11:00:02".into()),
            ..Default::default()
        };
        svc.networks.insert("front".into(), None);
        svc.networks.insert(
            "back".into(),
            some(ServiceNetworkConfig {
                mac_address: some("02:42:ac:11:00:03".into()),
                gw_priority: some(1),
                ..Default::default()
            }),
        );
        // `back` sorts first (same priority): it is the primary network, and its own MAC
        // differs from the service's: an error, as in Compose v2.
        let e = spec_of(&full_project(), &svc, (1, 41)).unwrap_err();
        assert!(e.contains("services.svc.mac_address"), "{e}");
        if let Some(Some(b)) = svc.networks.get_mut("back") {
            b.mac_address = None;
        }
        svc.networks.insert(
            "front".into(),
            some(ServiceNetworkConfig {
                priority: some(10),
                ..Default::default()
            }),
        );
        let v = ctx_spec(&svc, (1, 41));
        let eps = &v["body"]["NetworkingConfig"]["EndpointsConfig"];
        assert_eq!(eps["p_front"]["MacAddress"], "02:42:ac:11:00:02");
        assert_eq!(
            eps["p_front"]["Aliases"],
            json!(["p-svc-1", "svc"]),
            "container name first, then the service, as Compose v2"
        );
        assert!(v["warnings"].to_string().contains("gw_priority"));
    }

    #[test]
    fn swarm_only_deploy_keys_are_named() {
        let svc = Service {
            image: some("img".into()),
            deploy: some(DeployConfig {
                mode: some("global".into()),
                labels: map(&[("swarm", "label")]),
                update_config: some(UpdateConfig::default()),
                rollback_config: some(UpdateConfig::default()),
                placement: Placement {
                    constraints: strings(&["node.role==manager"]),
                    ..Default::default()
                },
                endpoint_mode: some("dnsrr".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let v = ctx_spec(&svc, (1, 41));
        let ws = v["warnings"].to_string();
        for k in [
            "deploy.mode",
            "deploy.labels",
            "deploy.update_config",
            "deploy.rollback_config",
            "deploy.placement",
            "deploy.endpoint_mode",
        ] {
            assert!(
                ws.contains(&format!("services.svc.{k}")),
                "{k} not named: {ws}"
            );
        }
        // Nothing of it reaches the container: its labels are the service's own.
        assert_eq!(v["body"]["Labels"], json!({}));
    }
}
