//! `berth watch [SERVICE...]` (and the rule checks `up --watch` shares).

use clap::Args;

use super::{engine_session, Failure, GlobalOptions};
use crate::converge::apply::{self, ApplyError, UpOptions};
use crate::watch::{self, rules};
use berth_compose::load::{LoadFlags, LoadedProject};

#[derive(Args, Debug, Default, Clone)]
pub struct WatchArgs {
    /// Do not build & start services before watching
    #[arg(long)]
    pub no_up: bool,
    /// Prune dangling images on rebuild
    #[arg(long)]
    pub prune: bool,
    /// Hide build output
    #[arg(long)]
    pub quiet: bool,
    /// Services to watch (default: every service with develop.watch rules)
    pub services: Vec<String>,
}

/// The compiled rules of the services to watch, or every rule that cannot work (with file
/// positions: the project is loaded a second time with provenance only to report them).
pub(crate) fn compile_rules(
    global: &GlobalOptions,
    flags: &LoadFlags,
    loaded: &LoadedProject,
    services: &[String],
) -> Result<Vec<watch::Rule>, Failure> {
    let traced = || {
        global
            .load(&LoadFlags {
                provenance: true,
                ..flags.clone()
            })
            .ok()
            .and_then(|(_, l)| l.provenance)
    };
    rules::compile_checked(loaded, services, traced).map_err(|e| Failure::new(15, e))
}

pub fn run(global: &GlobalOptions, args: WatchArgs) -> Result<i32, Failure> {
    let flags = LoadFlags {
        services: args.services.clone(),
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    let rules = compile_rules(global, &flags, &loaded, &args.services)?;
    let mut services: Vec<String> = rules.iter().map(|r| r.service.clone()).collect();
    services.dedup();
    let opts = watch::Options {
        quiet: args.quiet,
        prune: args.prune,
    };
    engine_session(global, |engine, progress| async move {
        let mut interrupts = crate::signals::Interrupts::new();
        if !args.no_up {
            let up = UpOptions {
                services: services.clone(),
                parallel: global.parallelism(),
                dry_run: global.dry_run,
                ..Default::default()
            };
            let r = tokio::select! {
                r = apply::up(&engine, &loaded, &up, &progress) => r,
                _ = interrupts.recv() => Err(ApplyError::Interrupted),
            };
            progress.finish();
            r?.warnings.iter().for_each(|w| super::warn(w));
        }
        if global.dry_run {
            return Ok(0);
        }
        tokio::select! {
            r = watch::run(&engine, &loaded, &rules, &opts) => {
                r.map_err(|e| Failure::new(1, e))?;
                Ok(0)
            }
            _ = interrupts.recv() => {
                watch::say("watch: stopped; the containers keep running (`berth down` stops them)");
                Ok(0)
            }
        }
    })
}
