//! `berth run`: a one-off container `<project>-<service>-run-<id>` for a service, after its
//! dependencies are up and meet their conditions (through `up`'s own machinery).

use std::io::IsTerminal;

use clap::Args;

use super::exec::{env_list, pump_stdin, RawMode, Resize};
use super::select::check_services;
use super::{engine_session, warn, Failure, GlobalOptions};
use crate::converge::apply::{self, ApplyError, UpOptions};
use crate::converge::report::{Reporter, Silent};
use crate::images::{self, PullPolicy};
use berth_compose::graph::{Condition, ServiceGraph};
use berth_compose::load::{LoadFlags, LoadedProject};
use berth_compose::model::{Service, ServicePortConfig, ServiceVolumeBind, ServiceVolumeConfig};
use berth_engine::labels as L;
use berth_engine::spec::{self, OneOff, SpecContext};
use berth_engine::Engine;

#[derive(Args, Debug, Default)]
pub struct RunArgs {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Automatically remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Set environment variables (KEY=VALUE, or KEY to pass berth's own)
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Add or override a label (KEY=VALUE)
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Run as specified username or uid
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Bind mount a volume (SRC:DST[:ro], or DST for an anonymous volume)
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Publish a container's port(s) to the host ([IP:][HOST:]CONTAINER[/PROTO])
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Run command with all service's ports enabled and mapped to the host
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Override the entrypoint of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Keep STDIN open even if not attached (default true)
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Use the service's network aliases in the network(s) the container connects to
    #[arg(long)]
    pub use_aliases: bool,
    /// Add Linux capabilities
    #[arg(long)]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long)]
    pub cap_drop: Vec<String>,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Build image before starting container
    #[arg(long)]
    pub build: bool,
    /// Pull image before running ("always"|"missing"|"never"|"build"; default: the service's pull_policy)
    #[arg(long, default_value = "policy")]
    pub pull: String,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// The service
    pub service: String,
    /// The command and its arguments (default: the service's)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// 32 random bytes as hex (the slug; its first 12 characters name the container).
fn slug() -> String {
    let mut b = [0u8; 32];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_ok();
    if !ok {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
            ^ ((std::process::id() as u128) << 64);
        for (i, x) in b.iter_mut().enumerate() {
            *x = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    hex::encode(b)
}

/// `-p [IP:][HOST:]CONTAINER[/PROTO]`.
fn parse_publish(s: &str) -> Result<ServicePortConfig, String> {
    let (spec, proto) = match s.rsplit_once('/') {
        Some((a, p)) => (a, Some(p.to_string())),
        None => (s, None),
    };
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    let (target, published, ip) = match parts.as_slice() {
        [t] => (*t, None, None),
        [t, h] => (*t, Some(*h), None),
        [t, h, ip] => (*t, Some(*h), Some(ip.trim_matches(['[', ']']))),
        _ => return Err(format!("invalid port {s:?}")),
    };
    let target: u32 = target
        .parse()
        .map_err(|_| format!("invalid port {s:?}: {target} is not a port number"))?;
    Ok(ServicePortConfig {
        target,
        published: published.filter(|p| !p.is_empty()).map(str::to_string),
        host_ip: ip.filter(|i| !i.is_empty()).map(str::to_string),
        protocol: proto,
        mode: Some("ingress".into()),
        ..Default::default()
    })
}

/// `-v SRC:DST[:ro|rw]` (a path binds, a name is a volume) or `-v DST` (anonymous).
fn parse_volume(s: &str, working_dir: &std::path::Path) -> Result<ServiceVolumeConfig, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, mode) = match parts.as_slice() {
        [d] => (None, *d, ""),
        [a, d] => (Some(*a), *d, ""),
        [a, d, m] => (Some(*a), *d, *m),
        _ => return Err(format!("invalid volume {s:?}")),
    };
    if dst.is_empty() {
        return Err(format!("invalid volume {s:?}: no target path"));
    }
    let read_only = mode.split(',').any(|m| m == "ro");
    let mut v = ServiceVolumeConfig {
        kind: "volume".into(),
        target: Some(dst.to_string()),
        read_only,
        ..Default::default()
    };
    if let Some(src) = src {
        if src.starts_with(['/', '.', '~']) {
            let path = if let Some(rest) = src.strip_prefix('~') {
                std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(rest.trim_start_matches('/'))
            } else {
                working_dir.join(src)
            };
            v.kind = "bind".into();
            v.source = Some(path.display().to_string());
            v.bind = Some(ServiceVolumeBind {
                create_host_path: true,
                ..Default::default()
            });
        } else {
            v.source = Some(src.to_string());
        }
    }
    Ok(v)
}

/// The service as the one-off container runs it (Compose v2's `applyRunOptions`).
fn one_off_service(
    loaded: &LoadedProject,
    args: &RunArgs,
    container: &str,
    stdin_tty: bool,
) -> Result<Service, Failure> {
    let bad = |m: String| Failure::new(1, format!("service \"{}\": {m}", args.service));
    let mut svc = loaded.project.services[&args.service].clone();
    svc.container_name = Some(container.to_string());
    svc.tty = stdin_tty;
    svc.stdin_open = args.interactive || !args.detach;
    svc.restart = None;
    if let Some(d) = svc.deploy.as_mut() {
        d.restart_policy = None;
    }
    if let Some(ep) = &args.entrypoint {
        let words = shell_words::split(ep).map_err(|e| bad(format!("--entrypoint: {e}")))?;
        svc.entrypoint = Some(words);
        if args.command.is_empty() {
            svc.command = Some(vec![]);
        }
    }
    if !args.command.is_empty() {
        svc.command = Some(args.command.clone());
    }
    if args.user.is_some() {
        svc.user = args.user.clone();
    }
    if args.workdir.is_some() {
        svc.working_dir = args.workdir.clone();
    }
    for e in env_list(&args.env) {
        if let Some((k, v)) = e.split_once('=') {
            svc.environment.insert(k.to_string(), Some(v.to_string()));
        }
    }
    for l in &args.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        svc.labels.insert(k.to_string(), v.to_string());
    }
    svc.cap_add.extend(args.cap_add.iter().cloned());
    svc.cap_drop.extend(args.cap_drop.iter().cloned());
    if !args.service_ports {
        svc.ports.clear();
    }
    for p in &args.publish {
        svc.ports.push(parse_publish(p).map_err(bad)?);
    }
    for v in &args.volume {
        svc.volumes
            .push(parse_volume(v, &loaded.working_dir).map_err(bad)?);
    }
    Ok(svc)
}

pub fn run(global: &GlobalOptions, args: RunArgs) -> Result<i32, Failure> {
    let flags = LoadFlags {
        services: vec![args.service.clone()],
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    check_services(Some(&loaded), std::slice::from_ref(&args.service))?;
    let pull = PullPolicy::from_flag(&args.pull).map_err(|e| Failure::new(16, e))?;
    let policy = PullPolicy::for_service(pull, &loaded.project.services[&args.service]);
    let tty = !args.no_tty && !args.detach && std::io::stdin().is_terminal();
    let slug = slug();
    let container = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-run-{}", loaded.name, args.service, &slug[..12]));
    let svc = one_off_service(&loaded, &args, &container, tty)?;
    let interactive = svc.stdin_open;
    let detach = super::exec::Detach::resolve(None)?;
    engine_session(global, |engine, progress| async move {
        let mut interrupts = super::Interrupts::new();
        let name = args.service.clone();
        let graph = ServiceGraph::from_project(&loaded.project);
        let deps: Vec<(String, Condition, bool)> = graph
            .dependencies(&name)
            .iter()
            .map(|d| (d.service.clone(), d.condition, d.required))
            .collect();
        let image = spec::image_name(&loaded.name, &name, &svc);
        let image_progress: &dyn Reporter = if args.quiet_pull { &Silent } else { &progress };
        let ready = async {
            let present = engine.image_id(&image).await?.is_some();
            let step = images::decide(
                &loaded.project.services[&name],
                policy,
                args.build,
                false,
                present,
            );
            images::make_ready(
                &engine,
                &loaded,
                &name,
                step,
                global.parallelism(),
                image_progress,
            )
            .await
        };
        let image_id = tokio::select! {
            r = ready => r.map_err(|e| { progress.finish(); Failure::from(ApplyError::from(e)) })?,
            _ = interrupts.recv() => return Err(Failure::new(130, "interrupted")),
        };
        if !args.no_deps && !deps.is_empty() {
            let opts = UpOptions {
                services: deps.iter().map(|d| d.0.clone()).collect(),
                remove_orphans: args.remove_orphans,
                parallel: global.parallelism(),
                pull: (policy == PullPolicy::Never).then_some(PullPolicy::Never),
                // Health waits through up's own (woken by events; drives Podman's checks).
                then_wait: deps.clone(),
                ..Default::default()
            };
            let outcome = tokio::select! {
                r = apply::up(&engine, &loaded, &opts, &progress) => r?,
                _ = interrupts.recv() => return Err(Failure::new(130, "interrupted")),
            };
            for w in &outcome.warnings {
                warn(w);
            }
        }
        let selected = std::slice::from_ref(&name);
        apply::ensure_networks(&engine, &loaded, selected, &progress).await?;
        apply::ensure_volumes(&engine, &loaded, selected, &progress).await?;
        progress.finish();

        let mut labels = apply::container_labels(&loaded, &name, &svc, 1, Some(&image_id), true);
        labels.insert(L::SLUG.into(), slug.clone());
        let resolve = |s: &str| -> Option<String> {
            let other = loaded.project.services.get(s)?;
            Some(spec::container_name(&loaded.name, s, other, 1))
        };
        let environment = |k: &str| loaded.environment.get(k).map(str::to_string);
        let proxies = berth_engine::CliConfig::load().proxies(engine.host());
        let ctx = SpecContext {
            project: &loaded.project,
            project_name: &loaded.name,
            api_version: engine.api_version(),
            resolve_container: &resolve,
            environment: &environment,
            working_dir: &loaded.working_dir,
            base_environment: &proxies,
        };
        let mut cs = spec::container_spec(&ctx, &name, &svc, 1, labels)
            .map_err(|e| Failure::new(1, e.to_string()))?;
        for w in &cs.warnings {
            warn(w);
        }
        // Stdin closing (end of input) must close only the container's stdin, not our view of
        // its output: the engine's StdinOnce, as `docker run -i` sets it.
        cs.one_off(OneOff {
            stdin_once: interactive && !args.detach,
            auto_remove: args.rm && args.detach,
            use_aliases: args.use_aliases,
        });
        let (id, engine_warnings) = engine
            .create_from_spec(&cs)
            .await
            .map_err(|e| Failure::new(1, format!("service \"{name}\": {e}")))?;
        for w in engine_warnings {
            warn(&format!("services.{name}: the engine says: {w}"));
        }
        let cleanup = |engine: Engine, id: String| async move {
            let _ = engine.remove_container(&id, true).await;
        };
        if args.detach {
            engine
                .start_container(&id)
                .await
                .map_err(|e| Failure::new(1, format!("service \"{name}\": {e}")))?;
            println!("{id}");
            return Ok(0);
        }
        let (output, input) = engine
            .attach(&id, interactive, detach.keys.as_deref())
            .await
            .map_err(|e| Failure::new(1, format!("service \"{name}\": attach: {e}")))?;
        let raw = if tty { RawMode::enable() } else { None };
        if let Err(e) = engine.start_container(&id).await {
            drop(raw);
            if args.rm {
                cleanup(engine.clone(), id.clone()).await;
            }
            return Err(Failure::new(1, format!("service \"{name}\": {e}")));
        }
        let resize = tty.then(|| Resize::Container(id.clone()).follow(&engine));
        // With a TTY, the detach keys leave it running (as `docker run -it`, Compose v2).
        let stdin_task =
            interactive.then(|| pump_stdin(input, true, detach.watch(tty && interactive)));
        // Without a TTY, Ctrl-C and SIGTERM go to the container as signals.
        let forward =
            (!tty).then(|| super::misc::forward_signals(&engine, &id, interrupts.clone()));
        if detach.output_until_typed(output).await {
            drop(raw);
            for t in [resize, stdin_task, forward].into_iter().flatten() {
                t.abort();
            }
            let later = if args.rm {
                "; --rm cannot remove it from here: `berth down` will".to_string()
            } else {
                String::new()
            };
            eprintln!("\r\ndetached from {} (it keeps running{later})", cs.name);
            return Ok(0);
        }
        let code = engine.wait_container(&id).await.unwrap_or(-1);
        drop(raw);
        for t in [resize, stdin_task, forward].into_iter().flatten() {
            t.abort();
        }
        if args.rm {
            cleanup(engine.clone(), id.clone()).await;
        }
        Ok(code as i32)
    })
}
