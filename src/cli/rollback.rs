//! `history` (the revisions `up` recorded for each service) and `rollback` (services back to
//! one of them, under their `rollback_config`).

use std::collections::BTreeSet;

use clap::Args;

use super::{engine_session, warn, Failure, GlobalOptions};
use crate::converge::apply::UpOptions;
use crate::converge::history;
use crate::converge::rollback::{self, change, short, RollbackError};
use crate::signals::Interrupts;
use crate::ui::text::{say, table};
use crate::up::{self, UpError};
use berth_compose::load::LoadFlags;

#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Format: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Services to list (default: all)
    pub services: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// The revision to return to (default: the one before the latest)
    #[arg(long)]
    pub to: Option<u32>,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<i32>,
    /// Services to roll back (default: every service with an earlier revision)
    pub services: Vec<String>,
}

impl From<RollbackError> for Failure {
    fn from(e: RollbackError) -> Failure {
        Failure::new(1, e.to_string())
    }
}

pub fn history(global: &GlobalOptions, args: HistoryArgs) -> Result<i32, Failure> {
    if !matches!(args.format.as_str(), "table" | "json") {
        return Err(Failure::new(
            1,
            format!("invalid --format {:?}: table or json", args.format),
        ));
    }
    let scope = global.project()?;
    let name = scope.name.clone();
    engine_session(global, |engine, _| async move {
        let all = history::load(&engine, &name)
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        let wanted: BTreeSet<&String> = args.services.iter().collect();
        if let Some(s) = wanted.iter().find(|s| !all.contains_key(s.as_str())) {
            return Err(Failure::new(
                1,
                format!("service \"{s}\" has no recorded revision in project {name}"),
            ));
        }
        let shown = all
            .iter()
            .filter(|(s, _)| wanted.is_empty() || wanted.contains(s));
        if args.format == "json" {
            let v: serde_json::Map<String, serde_json::Value> = shown
                .map(|(s, revs)| (s.clone(), serde_json::to_value(revs).unwrap_or_default()))
                .collect();
            say(&format!("{}\n", serde_json::Value::Object(v)));
            return Ok(0);
        }
        let mut rows = vec![vec![
            "SERVICE".to_string(),
            "REVISION".into(),
            "APPLIED".into(),
            "IMAGE".into(),
            "CAUSE".into(),
            "CHANGE".into(),
        ]];
        for (s, revs) in shown {
            for (i, r) in revs.iter().enumerate() {
                let current = if i + 1 == revs.len() {
                    " (current)"
                } else {
                    ""
                };
                rows.push(vec![
                    s.clone(),
                    format!("{}{current}", r.number),
                    r.time.clone(),
                    format!("{} ({})", r.image, short(&r.image_id)),
                    r.cause.clone(),
                    change(i.checked_sub(1).map(|p| &revs[p]), r),
                ]);
            }
        }
        say(table(&rows).trim_end());
        Ok(0)
    })
}

pub fn rollback(global: &GlobalOptions, args: RollbackArgs) -> Result<i32, Failure> {
    let (_, loaded) = global.load(&LoadFlags::default())?;
    engine_session(global, |engine, progress| async move {
        let targets = rollback::targets(&engine, &loaded, &args.services, args.to).await?;
        let at = rollback::project_at(&engine, &loaded, &targets).await?;
        for t in &targets {
            progress.note(&format!(
                "{}: revision {} -> {} ({})",
                t.service,
                t.from.number,
                t.to.number,
                change(Some(&t.from), &t.to)
            ));
        }
        let opts = UpOptions {
            services: targets.iter().map(|t| t.service.clone()).collect(),
            no_deps: true,
            timeout: args.timeout,
            parallel: global.parallelism(),
            dry_run: global.dry_run,
            rollback: rollback::numbers(&targets),
            ..Default::default()
        };
        let mut interrupts = Interrupts::new();
        match up::up(&engine, &at, &opts, None, &progress, &mut interrupts, &warn).await {
            Ok(code) => Ok(code),
            Err(UpError::Apply(e)) => Err(e.into()),
            Err(e) => Err(Failure::new(1, e.to_string())),
        }
    })
}
