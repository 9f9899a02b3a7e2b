//! `berth logs`: the services' logs through the multiplexer (`ui::logs`).

use clap::Args;

use super::{check_services, engine_session, Failure, GlobalOptions};
use crate::project::ProjectScope;
use crate::ui::logs::{self, Options, Source};

#[derive(Args, Debug, Default)]
pub struct LogsArgs {
    /// Follow log output (across restarts, recreations and scale-ups)
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container ("all" or a number)
    #[arg(short = 'n', long, default_value = "all")]
    pub tail: String,
    /// Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)
    #[arg(long)]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Don't print prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Services (default: all)
    pub services: Vec<String>,
}

pub fn run(global: &GlobalOptions, args: LogsArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let ProjectScope { name, .. } = scope;
    if args.tail != "all" && args.tail.parse::<i64>().is_err() {
        return Err(Failure::new(
            1,
            format!("invalid --tail {:?}: use \"all\" or a number", args.tail),
        ));
    }
    let bound = |v: &Option<String>| -> Result<i32, Failure> {
        v.as_deref()
            .map(logs::parse_time_bound)
            .transpose()
            .map(|x| x.unwrap_or(0))
            .map_err(|e| Failure::new(1, e))
    };
    let opts = Options {
        follow: args.follow,
        timestamps: args.timestamps,
        since: bound(&args.since)?,
        until: bound(&args.until)?,
        tail: args.tail.clone(),
        prefix: !args.no_log_prefix,
        color: global.stdout_color(args.no_color),
        project: name.clone(),
        services: args.services.clone(),
        index: args.index,
        from_ts: None,
    };
    engine_session(global, |engine, _progress| async move {
        let sources: Vec<Source> = crate::project::containers(&engine, &name)
            .await?
            .into_iter()
            .filter(|c| {
                !c.oneoff
                    && (args.services.is_empty() || args.services.contains(&c.service))
                    && args.index.map(|i| i == c.number).unwrap_or(true)
            })
            .map(|c| Source {
                name: logs::display_name(&name, &c.name),
                id: c.id,
                service: c.service,
            })
            .collect();
        logs::show(&engine, sources, &opts)
            .await
            .map_err(Failure::from)?;
        Ok(0)
    })
}
