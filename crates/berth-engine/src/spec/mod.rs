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
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, MountType, PortBinding,
};

use crate::api::lacks;
use berth_compose::model::{Project, Service};
use berth_compose::syntax;

mod fields;
mod names;
mod network;
mod process;
mod resources;
mod storage;
#[cfg(test)]
mod tests;

pub use fields::{Handling, FIELDS};
pub use names::{container_name, image_name, network_name, ordered_networks, volume_name};

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

fn non_empty<T: Clone>(v: &[T]) -> Option<Vec<T>> {
    (!v.is_empty()).then(|| v.to_vec())
}

fn non_empty_map(m: &BTreeMap<String, String>) -> Option<HashMap<String, String>> {
    (!m.is_empty()).then(|| m.clone().into_iter().collect())
}

/// A container's configuration while it is being built from its service.
struct Draft<'a, 'w> {
    /// The service's name (for messages).
    s: &'a str,
    service: &'a Service,
    body: &'a mut ContainerCreateBody,
    host: &'a mut HostConfig,
    w: &'a mut Warnings<'w>,
}

/// Builds the container configuration for replica `number` of `service_name`: each group of
/// attributes in its own step (environment, healthcheck, ports, storage, process settings,
/// networking), what cannot be applied named in a warning.
pub fn container_spec(
    ctx: &SpecContext,
    service_name: &str,
    service: &Service,
    number: u32,
    labels: BTreeMap<String, String>,
) -> Result<ContainerSpec, SpecError> {
    let s = service_name;
    let name = container_name(ctx.project_name, s, service, number);
    let w = Warnings {
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

    let mut warnings = w;
    let mut d = Draft {
        s,
        service,
        body: &mut body,
        host: &mut host,
        w: &mut warnings,
    };
    environment(ctx, &mut d, labels);
    healthcheck(ctx, &mut d)?;
    ports(&mut d);
    let injections = storage::storage(ctx, &mut d)?;
    process::process(ctx, &mut d)?;
    let platform = service
        .platform
        .clone()
        .filter(|p| !p.is_empty())
        .or_else(|| (ctx.environment)("DOCKER_DEFAULT_PLATFORM").filter(|p| !p.is_empty()));

    unapplied(&mut d);
    let extra_networks = network::networking(ctx, &mut d, number, &name)?;
    body.host_config = Some(host);
    Ok(ContainerSpec {
        name,
        body,
        platform,
        extra_networks,
        injections,
        warnings: warnings.list,
    })
}

/// The environment as the loader resolved it, and the labels.
fn environment(ctx: &SpecContext, d: &mut Draft<'_, '_>, labels: BTreeMap<String, String>) {
    let Draft { service, body, .. } = d;
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
}

/// The healthcheck (`start_interval` needs API 1.44).
fn healthcheck(ctx: &SpecContext, d: &mut Draft<'_, '_>) -> Result<(), SpecError> {
    let Draft {
        s,
        service,
        body,
        w,
        ..
    } = d;
    // Healthcheck.
    if let Some(h) = &service.healthcheck {
        let start_interval = duration(s, "healthcheck.start_interval", &h.start_interval)?;
        if let Some(lack) = start_interval.and_then(|_| lacks(ctx.api_version, (1, 44))) {
            // Compose v2 refuses to create the container; berth runs it without.
            w.push(
                "healthcheck.start_interval",
                format_args!("{lack}: not applied"),
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
    Ok(())
}

/// Published ports and `expose`.
fn ports(d: &mut Draft<'_, '_>) {
    let Draft {
        service,
        body,
        host,
        ..
    } = d;
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
}

/// What berth cannot apply, named.
fn unapplied(d: &mut Draft<'_, '_>) {
    let Draft { service, w, .. } = d;
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
    resources::deploy_warnings(service, w);
}
