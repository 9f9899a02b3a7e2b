//! `run`: a one-off container `<project>-<service>-run-<id>` of a service, started after its
//! dependencies are up and meet their conditions (through `up`'s own machinery), and this
//! terminal joined to it, as Compose v2's `run` does.

use std::collections::BTreeMap;
use std::path::Path;

use berth_compose::graph::{Condition, ServiceGraph};
use berth_compose::load::LoadedProject;
use berth_compose::model::{Service, ServicePortConfig, ServiceVolumeConfig};
use berth_compose::syntax;
use berth_engine::labels as L;
use berth_engine::spec::{self, OneOff, SpecContext};
use berth_engine::Engine;

use super::{Ended, SessionError};
use crate::converge::apply::{self, ApplyError, UpOptions};
use crate::converge::report::{Reporter, Silent};
use crate::images::{self, PullPolicy};
use crate::signals::{forward_signals, Interrupts};
use crate::ui::stream::{pump_stdin, Detach};
use crate::ui::terminal::{RawMode, Resize};

/// How the one-off container differs from the service's own (`run`'s flags).
#[derive(Clone, Debug, Default)]
pub struct OneOffOptions {
    pub service: String,
    /// The command (default: the service's).
    pub command: Vec<String>,
    /// `--entrypoint`, as a shell would split it.
    pub entrypoint: Option<String>,
    /// `KEY=VALUE` entries added to the environment.
    pub env: Vec<String>,
    /// `KEY=VALUE` labels added.
    pub labels: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `-v` in Compose's short syntax (a relative source is from the project directory).
    pub volumes: Vec<String>,
    /// `-p` in Compose's short syntax.
    pub publish: Vec<String>,
    /// Keep the service's own ports (`--service-ports`).
    pub service_ports: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// The container's name (default: `<project>-<service>-run-<12 hex>`).
    pub name: Option<String>,
    /// Start it and leave it running (`-d`).
    pub detach: bool,
    /// Remove it when it ends (`--rm`).
    pub rm: bool,
    /// Keep stdin open (`-i`; always when attached).
    pub interactive: bool,
    /// Give it a TTY (this terminal is one and `-T` was not given).
    pub tty: bool,
    pub use_aliases: bool,
    pub no_deps: bool,
    pub build: bool,
    /// The pull policy for its image (`--pull`, else the service's).
    pub pull: PullPolicy,
    pub quiet_pull: bool,
    pub remove_orphans: bool,
    pub parallel: usize,
}

/// The one-off container about to be made: its name, its slug label, the service as it runs.
pub struct Prepared {
    pub container: String,
    slug: String,
    service: Service,
}

/// The one-off container, created.
pub struct Created {
    /// Its ID (what `run -d` prints).
    pub id: String,
    /// Warnings of `up` (for the dependencies) and of the container's configuration.
    pub warnings: Vec<String>,
}

/// Why `run` stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("interrupted")]
    Interrupted,
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

/// `-p [IP:][HOST:]CONTAINER[/PROTO]`, read as the `ports` short syntax is.
fn parse_publish(s: &str) -> Result<Vec<ServicePortConfig>, String> {
    let ports = syntax::parse_port(s).map_err(|e| e.message)?;
    ports
        .into_iter()
        .map(|p| serde_json::from_value(p).map_err(|e| format!("invalid port {s:?}: {e}")))
        .collect()
}

/// `-v SRC:DST[:ro|rw]` (a path binds, a name is a volume) or `-v DST` (anonymous), read as
/// the `volumes` short syntax is; a relative source is from the project directory.
fn parse_volume(s: &str, working_dir: &Path) -> Result<ServiceVolumeConfig, String> {
    let v = syntax::parse_volume(s).map_err(|e| e.message)?;
    let mut v: ServiceVolumeConfig =
        serde_json::from_value(v).map_err(|e| format!("invalid volume {s:?}: {e}"))?;
    if v.kind == "bind" {
        if let Some(src) = v.source.as_deref() {
            let path = match src.strip_prefix('~') {
                Some(rest) => std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(rest.trim_start_matches('/')),
                None => working_dir.join(src),
            };
            v.source = Some(berth_compose::paths::clean(&path).display().to_string());
        }
    }
    Ok(v)
}

/// The service as the one-off container runs it (Compose v2's `applyRunOptions`).
pub fn prepare(loaded: &LoadedProject, opts: &OneOffOptions) -> Result<Prepared, SessionError> {
    let bad = |m: String| SessionError::Invalid(format!("service \"{}\": {m}", opts.service));
    let slug = slug();
    let container = opts
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-run-{}", loaded.name, opts.service, &slug[..12]));
    let mut svc = loaded.project.services[&opts.service].clone();
    svc.container_name = Some(container.clone());
    svc.tty = opts.tty;
    svc.stdin_open = opts.interactive || !opts.detach;
    svc.restart = None;
    if let Some(d) = svc.deploy.as_mut() {
        d.restart_policy = None;
    }
    if let Some(ep) = &opts.entrypoint {
        let words = syntax::split_command(ep).map_err(|e| bad(format!("--entrypoint: {e}")))?;
        svc.entrypoint = Some(words);
        if opts.command.is_empty() {
            svc.command = Some(vec![]);
        }
    }
    if !opts.command.is_empty() {
        svc.command = Some(opts.command.clone());
    }
    if opts.user.is_some() {
        svc.user = opts.user.clone();
    }
    if opts.workdir.is_some() {
        svc.working_dir = opts.workdir.clone();
    }
    for e in &opts.env {
        if let Some((k, v)) = e.split_once('=') {
            svc.environment.insert(k.to_string(), Some(v.to_string()));
        }
    }
    for l in &opts.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        svc.labels.insert(k.to_string(), v.to_string());
    }
    svc.cap_add.extend(opts.cap_add.iter().cloned());
    svc.cap_drop.extend(opts.cap_drop.iter().cloned());
    if !opts.service_ports {
        svc.ports.clear();
    }
    for p in &opts.publish {
        svc.ports.extend(parse_publish(p).map_err(bad)?);
    }
    for v in &opts.volumes {
        svc.volumes
            .push(parse_volume(v, &loaded.working_dir).map_err(bad)?);
    }
    Ok(Prepared {
        container,
        slug,
        service: svc,
    })
}

/// Waits on `f` unless Ctrl-C comes first.
async fn or_interrupted<T, E>(
    f: impl std::future::Future<Output = Result<T, E>>,
    interrupts: &mut Interrupts,
) -> Result<T, RunError>
where
    RunError: From<E>,
{
    tokio::select! {
        r = f => r.map_err(RunError::from),
        _ = interrupts.recv() => Err(RunError::Interrupted),
    }
}

/// Makes the image ready and the dependencies up (Ctrl-C stops the wait), then creates the
/// one-off container.
pub async fn create(
    engine: &Engine,
    loaded: &LoadedProject,
    opts: &OneOffOptions,
    prepared: &Prepared,
    reporter: &dyn Reporter,
    interrupts: &mut Interrupts,
) -> Result<Created, RunError> {
    let mut warnings = Vec::new();
    let name = &opts.service;
    let svc = &prepared.service;
    let image = spec::image_name(&loaded.name, name, svc);
    let shown: &dyn Reporter = if opts.quiet_pull { &Silent } else { reporter };
    let ready = async {
        let present = engine.image_id(&image).await?.is_some();
        let own = &loaded.project.services[name];
        let step = images::decide(own, opts.pull, opts.build, false, present);
        images::make_ready(engine, loaded, name, step, opts.parallel, shown).await
    };
    let image_id =
        or_interrupted(async { ready.await.map_err(ApplyError::from) }, interrupts).await?;
    let deps: Vec<(String, Condition, bool)> = ServiceGraph::from_project(&loaded.project)
        .dependencies(name)
        .iter()
        .map(|d| (d.service.clone(), d.condition, d.required))
        .collect();
    if !opts.no_deps && !deps.is_empty() {
        let up = UpOptions {
            services: deps.iter().map(|d| d.0.clone()).collect(),
            remove_orphans: opts.remove_orphans,
            parallel: opts.parallel,
            pull: (opts.pull == PullPolicy::Never).then_some(PullPolicy::Never),
            // Health waits through up's own (woken by events; drives Podman's checks).
            then_wait: deps,
            ..Default::default()
        };
        let outcome = or_interrupted(apply::up(engine, loaded, &up, reporter), interrupts).await?;
        warnings.extend(outcome.warnings);
    }
    let selected = std::slice::from_ref(name);
    apply::ensure_networks(engine, loaded, selected, reporter).await?;
    apply::ensure_volumes(engine, loaded, selected, reporter).await?;

    let mut labels: BTreeMap<String, String> =
        apply::container_labels(loaded, name, svc, 1, Some(&image_id), true);
    labels.insert(L::SLUG.into(), prepared.slug.clone());
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
    let mut cs = spec::container_spec(&ctx, name, svc, 1, labels)
        .map_err(|e| SessionError::Invalid(e.to_string()))?;
    warnings.extend(cs.warnings.iter().cloned());
    // Stdin closing (end of input) must close only the container's stdin, not our view of
    // its output: the engine's StdinOnce, as `docker run -i` sets it.
    cs.one_off(OneOff {
        stdin_once: svc.stdin_open && !opts.detach,
        auto_remove: opts.rm && opts.detach,
        use_aliases: opts.use_aliases,
    });
    let (id, engine_warnings) = engine
        .create_from_spec(&cs)
        .await
        .map_err(|e| SessionError::Invalid(format!("service \"{name}\": {e}")))?;
    for w in engine_warnings {
        warnings.push(format!("services.{name}: the engine says: {w}"));
    }
    Ok(Created { id, warnings })
}

/// Starts the created one-off container `id`: detached, or joined to this terminal until it
/// ends or the detach keys are typed. `--rm` removes it at its end.
pub async fn start(
    engine: &Engine,
    opts: &OneOffOptions,
    prepared: &Prepared,
    id: &str,
    interrupts: &Interrupts,
    detach: &Detach,
) -> Result<Ended, SessionError> {
    let fail = SessionError::engine(&opts.service, "");
    if opts.detach {
        engine.start_container(id).await.map_err(&fail)?;
        return Ok(Ended::Started);
    }
    let tty = opts.tty;
    let interactive = prepared.service.stdin_open;
    let remove = || async {
        if opts.rm {
            let _ = engine.remove_container(id, true).await;
        }
    };
    let (output, input) = engine
        .attach(id, interactive, detach.keys.as_deref())
        .await
        .map_err(SessionError::engine(&opts.service, "attach: "))?;
    let raw = if tty { RawMode::enable() } else { None };
    if let Err(e) = engine.start_container(id).await {
        drop(raw);
        remove().await;
        return Err(fail(e));
    }
    let resize = tty.then(|| Resize::Container(id.to_string()).follow(engine));
    // With a TTY, the detach keys leave it running (as `docker run -it`, Compose v2).
    let stdin_task = interactive.then(|| pump_stdin(input, true, detach.watch(tty && interactive)));
    // Without a TTY, Ctrl-C and SIGTERM go to the container as signals.
    let forward = (!tty).then(|| forward_signals(engine, id, interrupts.clone()));
    let by_keys = detach.output_until_typed(output).await;
    let code = if by_keys {
        None
    } else {
        Some(engine.wait_container(id).await.unwrap_or(-1))
    };
    drop(raw);
    for t in [resize, stdin_task, forward].into_iter().flatten() {
        t.abort();
    }
    match code {
        None => Ok(Ended::Detached),
        Some(code) => {
            remove().await;
            Ok(Ended::Exited(code))
        }
    }
}
