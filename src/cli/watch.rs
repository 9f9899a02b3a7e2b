//! `berth watch [SERVICE...]` (and the rule checks `up --watch` shares).

use clap::Args;

use super::{engine_session, Failure, GlobalOptions};
use crate::converge::apply::{self, ApplyError, UpOptions};
use crate::ui::text::say;
use crate::watch;
use berth_compose::load::LoadFlags;

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

pub fn run(global: &GlobalOptions, args: WatchArgs) -> Result<i32, Failure> {
    let flags = LoadFlags {
        services: args.services.clone(),
        ..Default::default()
    };
    let (_, loaded) = global.load(&flags)?;
    let rules = global.watch_rules(&flags, &loaded, &args.services)?;
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
            r = watch::run(&engine, &loaded, &rules, &opts, &say) => {
                r.map_err(|e| Failure::new(1, e))?;
                Ok(0)
            }
            _ = interrupts.recv() => {
                say("watch: stopped; the containers keep running (`berth down` stops them)");
                Ok(0)
            }
        }
    })
}
