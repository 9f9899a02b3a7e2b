//! `berth up` and `berth create`.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;

use super::{engine_session, warn, Failure, GlobalOptions};
use crate::converge::apply::UpOptions;
use crate::converge::plan::RecreatePolicy;
use crate::images::PullPolicy;
use crate::signals::Interrupts;
use crate::up::{self, Foreground, UpError};
use berth_compose::load::LoadFlags;

#[derive(Args, Debug, Default, Clone)]
pub struct UpArgs {
    /// Detached mode: run containers in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Recreate containers even if their configuration and image haven't changed
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Recreate dependent containers of a recreated service
    #[arg(long, conflicts_with = "no_recreate")]
    pub always_recreate_deps: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances (SERVICE=NUM; repeatable)
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Don't start the services after creating them
    #[arg(long)]
    pub no_start: bool,
    /// Pull image before running: always, missing, never, build (default: each service's pull_policy)
    #[arg(long, default_value = "policy")]
    pub pull: String,
    /// Build images before starting containers
    #[arg(long)]
    pub build: bool,
    /// Don't build an image, even if it's missing
    #[arg(long)]
    pub no_build: bool,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<i32>,
    /// Wait for services to be running|healthy (one-shot services: exited 0). Implies detached mode
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy
    #[arg(long)]
    pub wait_timeout: Option<u64>,
    /// Stops all containers if any container was stopped (attached mode)
    #[arg(long)]
    pub abort_on_container_exit: bool,
    /// Return the exit code of the selected service container (implies --abort-on-container-exit)
    #[arg(long)]
    pub exit_code_from: Option<String>,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Restrict attaching to the specified services
    #[arg(long)]
    pub attach: Vec<String>,
    /// Do not attach (stream logs) to the specified services
    #[arg(long)]
    pub no_attach: Vec<String>,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show timestamps
    #[arg(long)]
    pub timestamps: bool,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Watch source code and rebuild/refresh containers when files are updated (develop.watch)
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Refuse what berth would otherwise do another way with a warning (a start-first update
    /// of a service that cannot run twice, e.g. on a fixed host port)
    #[arg(long)]
    pub strict: bool,
    /// Services to start (default: all)
    pub services: Vec<String>,
}

/// `berth scale SERVICE=REPLICAS...`: Compose v2's `scale`, the same convergence as
/// `up -d --scale` on the named services.
#[derive(Args, Debug, Clone)]
pub struct ScaleArgs {
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Services and their number of replicas
    #[arg(value_name = "SERVICE=REPLICAS", required = true)]
    pub scale: Vec<String>,
}

impl ScaleArgs {
    /// The `up -d --scale S=N ... S...` this stands for.
    pub fn as_up(&self) -> Result<UpArgs, Failure> {
        // v2's wording and exit code for a bad specifier (`up --scale` exits 16 on it).
        if let Some(bad) = self.scale.iter().find(|s| {
            s.split_once('=')
                .is_none_or(|(k, n)| k.is_empty() || n.parse::<u32>().is_err())
        }) {
            return Err(Failure::new(1, format!("invalid scale specifier: {bad}")));
        }
        let services = parse_scale(&self.scale)?.into_keys().collect();
        Ok(UpArgs {
            detach: true,
            no_deps: self.no_deps,
            scale: self.scale.clone(),
            pull: "policy".into(),
            services,
            ..Default::default()
        })
    }
}

fn parse_scale(items: &[String]) -> Result<BTreeMap<String, u32>, Failure> {
    let mut out = BTreeMap::new();
    for s in items {
        let Some((k, v)) = s.split_once('=') else {
            return Err(Failure::new(
                16,
                format!("invalid --scale {s:?}: expected SERVICE=NUM"),
            ));
        };
        let n: u32 = v
            .parse()
            .map_err(|_| Failure::new(16, format!("invalid --scale {s:?}: {v} is not a number")))?;
        out.insert(k.to_string(), n);
    }
    Ok(out)
}

pub fn run(global: &GlobalOptions, args: UpArgs, create_only: bool) -> Result<i32, Failure> {
    let flags = LoadFlags {
        services: args.services.clone(),
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    let detach = args.detach || args.wait || create_only;
    // `--watch` follows the logs and the files together: with -d there would be nobody left
    // to watch (Compose 2.26 ignores --watch then, silently).
    let watch_rules = if args.watch {
        if detach {
            return Err(Failure::new(
                1,
                "--watch follows the logs and applies develop.watch rules in the foreground:                  it cannot be combined with -d/--detach, --wait or create (use `berth up -d`                  then `berth watch --no-up`)",
            ));
        }
        let candidates: Vec<String> = if args.services.is_empty() {
            vec![]
        } else {
            let graph = berth_compose::graph::ServiceGraph::from_project(&loaded.project);
            let set = if args.no_deps {
                args.services.iter().cloned().collect()
            } else {
                graph.with_dependencies(&args.services)
            };
            let mut v: Vec<String> = set
                .into_iter()
                .filter(|s| {
                    loaded.project.services.get(s).is_some_and(|svc| {
                        svc.develop.as_ref().is_some_and(|d| !d.watch.is_empty())
                    })
                })
                .collect();
            v.sort();
            if v.is_empty() {
                return Err(Failure::new(
                    15,
                    "none of the selected services has develop.watch rules: add a `develop:                      watch:` section, or drop --watch",
                ));
            }
            v
        };
        Some(global.watch_rules(&flags, &loaded, &candidates)?)
    } else {
        None
    };
    let scale = parse_scale(&args.scale)?;
    for s in scale.keys() {
        if !loaded.project.services.contains_key(s) {
            return Err(Failure::new(1, format!("no such service: {s}")));
        }
    }
    // `--pull` decides for every service (else each service's pull_policy): what is pulled,
    // built or used is `images::decide`'s rule, inside `up`. Offline, a failed pull exits 18.
    let pull = PullPolicy::from_flag(&args.pull).map_err(|e| Failure::new(16, e))?;
    let opts = UpOptions {
        services: args.services.clone(),
        recreate: if args.force_recreate {
            RecreatePolicy::Force
        } else if args.no_recreate {
            RecreatePolicy::Never
        } else {
            RecreatePolicy::Diverged
        },
        always_recreate_deps: args.always_recreate_deps,
        no_deps: args.no_deps,
        remove_orphans: args.remove_orphans,
        ignore_orphans: std::env::var("COMPOSE_IGNORE_ORPHANS")
            .map(|v| v == "true" || v == "1")
            .unwrap_or(false),
        scale,
        no_start: args.no_start || create_only,
        renew_anon_volumes: args.renew_anon_volumes,
        timeout: args.timeout,
        wait: args.wait,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        parallel: global.parallelism(),
        dry_run: global.dry_run,
        build: args.build,
        no_build: args.no_build,
        pull,
        quiet_pull: args.quiet_pull,
        then_wait: Vec::new(),
        strict: args.strict,
        rollback: Default::default(),
    };
    if opts.remove_orphans && opts.ignore_orphans {
        return Err(Failure::new(
            1,
            "COMPOSE_IGNORE_ORPHANS and --remove-orphans cannot be combined",
        ));
    }
    let foreground = (!detach).then(|| Foreground {
        attach: args.attach.clone(),
        no_attach: args.no_attach.clone(),
        abort_on_exit: args.abort_on_container_exit,
        exit_code_from: args.exit_code_from.clone(),
        color: global.stdout_color(args.no_color),
        no_prefix: args.no_log_prefix,
        timestamps: args.timestamps,
        watch: watch_rules,
    });
    engine_session(global, |engine, progress| async move {
        let mut interrupts = Interrupts::new();
        let r = up::up(
            &engine,
            &loaded,
            &opts,
            foreground.as_ref(),
            &progress,
            &mut interrupts,
            &warn,
        )
        .await;
        match r {
            Ok(code) => Ok(code),
            Err(UpError::Apply(e)) => Err(e.into()),
            Err(e) => Err(Failure::new(1, e.to_string())),
        }
    })
}
