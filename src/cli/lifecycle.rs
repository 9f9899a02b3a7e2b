//! `down`, `ps`, `ls`, `start`, `stop`, `restart`, `rm`, `kill`, `pause`, `unpause`.

use std::collections::{BTreeMap, BTreeSet};

use clap::Args;

use super::{check_services, engine_session, warn, Failure, GlobalOptions};
use crate::converge::down::{self, DownOptions};
use crate::converge::verbs::{self, Verb, VerbOptions};
use crate::project::ProjectScope;
use berth_engine::labels as L;
use berth_engine::{ComposeLabels, ContainerSummary};

#[derive(Args, Debug, Default)]
pub struct DownArgs {
    /// Remove containers for services not defined in the Compose file
    #[arg(long)]
    pub remove_orphans: bool,
    /// Remove named volumes declared in the "volumes" section and anonymous volumes
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove images used by services: "local" (only those without a custom tag) or "all"
    #[arg(long, value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Shutdown timeout in seconds
    #[arg(short = 't', long)]
    pub timeout: Option<i32>,
    /// Services to stop and remove (default: the whole project)
    pub services: Vec<String>,
}

pub fn down(global: &GlobalOptions, args: DownArgs) -> Result<i32, Failure> {
    let ProjectScope { name, loaded } = global.project()?;
    let opts = DownOptions {
        remove_orphans: args.remove_orphans,
        volumes: args.volumes,
        rmi: args.rmi.clone(),
        timeout: args.timeout,
        parallel: global.parallelism(),
        services: args.services.clone(),
        dry_run: global.dry_run,
    };
    engine_session(global, |engine, progress| async move {
        let r = down::down(&engine, &name, loaded.as_ref(), &opts, &progress).await;
        progress.finish();
        let warnings = r.map_err(|e| Failure::new(1, e.to_string()))?;
        for w in warnings {
            warn(&w);
        }
        Ok(0)
    })
}

#[derive(Args, Debug, Default)]
pub struct PsArgs {
    /// Show all stopped containers (including those created by the run command)
    #[arg(short, long)]
    pub all: bool,
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Display services
    #[arg(long)]
    pub services: bool,
    /// Filter services by status (paused, restarting, removing, running, dead, created, exited)
    #[arg(long)]
    pub status: Vec<String>,
    /// Filter by a property (supported: status=VALUE)
    #[arg(long)]
    pub filter: Option<String>,
    /// Format: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Services to list
    pub service_names: Vec<String>,
}

fn ago(ts: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(ts);
    let s = (now - ts).max(0);
    match s {
        0..=59 => format!("{s} seconds ago"),
        60..=3599 => format!("{} minutes ago", s / 60),
        3600..=86399 => format!("{} hours ago", s / 3600),
        _ => format!("{} days ago", s / 86400),
    }
}

fn ports(c: &ContainerSummary) -> String {
    let mut out: Vec<String> = Vec::new();
    for p in &c.ports {
        let proto = p.protocol.clone().unwrap_or_else(|| "tcp".into());
        let s = match (p.ip.as_deref(), p.public_port) {
            (Some(ip), Some(pub_port)) => format!("{ip}:{pub_port}->{}/{proto}", p.private_port),
            _ => format!("{}/{proto}", p.private_port),
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.join(", ")
}

pub fn ps(global: &GlobalOptions, args: PsArgs) -> Result<i32, Failure> {
    let ProjectScope { name, loaded } = global.project()?;
    if let Some(l) = &loaded {
        for s in &args.service_names {
            if !l.project.services.contains_key(s) {
                return Err(Failure::new(1, format!("no such service: {s}")));
            }
        }
    }
    let mut statuses = args.status.clone();
    if let Some(f) = &args.filter {
        match f.split_once('=') {
            Some(("status", v)) => statuses.push(v.to_string()),
            _ => {
                return Err(Failure::new(
                    1,
                    format!("invalid filter {f:?}: supported filter: status=VALUE"),
                ))
            }
        }
    }
    engine_session(global, |engine, _progress| async move {
        let list = engine
            .list_containers(&[L::project_filter(&name)])
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        let mut rows: Vec<&ContainerSummary> = list
            .iter()
            .filter(|c| {
                let state = c.state.as_str();
                (args.all || (state == "running" && !c.oneoff()) || !statuses.is_empty())
                    && (args.service_names.is_empty()
                        || args.service_names.iter().any(|s| s == c.service()))
                    && (statuses.is_empty() || statuses.iter().any(|s| s == state))
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        if args.quiet {
            for c in rows {
                println!("{}", c.id);
            }
            return Ok(0);
        }
        if args.services {
            let set: BTreeSet<&str> = rows.iter().filter_map(|c| c.label(L::SERVICE)).collect();
            for s in set {
                println!("{s}");
            }
            return Ok(0);
        }
        if args.format == "json" {
            for c in rows {
                let labels = &c.labels;
                let v = serde_json::json!({
                    "ID": c.id,
                    "Name": c.name,
                    "Image": c.image,
                    "Command": c.command,
                    "Project": labels.get(L::PROJECT),
                    "Service": labels.get(L::SERVICE),
                    "Created": c.created,
                    "State": c.state.as_str(),
                    "Status": c.status,
                    "Health": c.health_shown(),
                    "ExitCode": c.exit_code().unwrap_or(0),
                    "Publishers": c.ports,
                    "Ports": ports(c),
                    "Labels": labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
                });
                println!("{v}");
            }
            return Ok(0);
        }
        if args.format != "table" {
            return Err(Failure::new(
                1,
                format!("unsupported format {:?} (use table or json)", args.format),
            ));
        }
        let mut table: Vec<[String; 7]> = vec![[
            "NAME".into(),
            "IMAGE".into(),
            "COMMAND".into(),
            "SERVICE".into(),
            "CREATED".into(),
            "STATUS".into(),
            "PORTS".into(),
        ]];
        for c in rows {
            let mut cmd = c.command.clone();
            if !args.no_trunc && cmd.chars().count() > 20 {
                cmd = format!("{}…", cmd.chars().take(19).collect::<String>());
            }
            table.push([
                c.name.clone(),
                c.image.clone(),
                format!("\"{cmd}\""),
                c.service().to_string(),
                ago(c.created),
                c.status.clone(),
                ports(c),
            ]);
        }
        let widths: Vec<usize> = (0..7)
            .map(|i| {
                table
                    .iter()
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in &table {
            let mut line = String::new();
            for (i, cell) in r.iter().enumerate() {
                if i == 6 {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}   ", w = widths[i]));
                }
            }
            println!("{}", line.trim_end());
        }
        Ok(0)
    })
}

#[derive(Args, Debug, Default)]
pub struct LsArgs {
    /// Show all stopped Compose projects
    #[arg(short, long)]
    pub all: bool,
    /// Only display project names
    #[arg(short, long)]
    pub quiet: bool,
    /// Format: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
}

pub fn ls(global: &GlobalOptions, args: LsArgs) -> Result<i32, Failure> {
    engine_session(global, |engine, _p| async move {
        let list = engine
            .list_containers(&[L::PROJECT.to_string()])
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        let mut projects: BTreeMap<String, (BTreeMap<String, usize>, BTreeSet<String>)> =
            BTreeMap::new();
        for c in &list {
            let Some(p) = c.label(L::PROJECT) else {
                continue;
            };
            let e = projects.entry(p.to_string()).or_default();
            *e.0.entry(c.state.to_string()).or_default() += 1;
            if let Some(f) = c.labels.get(L::CONFIG_FILES) {
                e.1.insert(f.clone());
            }
        }
        let rows: Vec<(String, String, String)> = projects
            .into_iter()
            .filter(|(_, (states, _))| args.all || states.contains_key("running"))
            .map(|(name, (states, files))| {
                let status = states
                    .iter()
                    .map(|(s, n)| format!("{s}({n})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    name,
                    status,
                    files.into_iter().collect::<Vec<_>>().join(","),
                )
            })
            .collect();
        if args.quiet {
            for (n, _, _) in rows {
                println!("{n}");
            }
        } else if args.format == "json" {
            let v: Vec<_> = rows
                .iter()
                .map(|(n, s, f)| serde_json::json!({"Name": n, "Status": s, "ConfigFiles": f}))
                .collect();
            println!("{}", serde_json::Value::Array(v));
        } else {
            let w0 = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(4);
            let w1 = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(6);
            println!("{:<w0$}   {:<w1$}   CONFIG FILES", "NAME", "STATUS");
            for (n, s, f) in rows {
                println!("{n:<w0$}   {s:<w1$}   {f}");
            }
        }
        Ok(0)
    })
}

#[derive(Args, Debug, Default)]
pub struct VerbArgs {
    /// Shutdown timeout in seconds (stop, restart)
    #[arg(short = 't', long)]
    pub timeout: Option<i32>,
    /// SIGNAL to send (kill)
    #[arg(short = 's', long, default_value = "SIGKILL")]
    pub signal: String,
    /// Don't ask to confirm removal (rm)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers, if required, before removing (rm)
    #[arg(short = 'S', long = "stop")]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers (rm)
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Don't restart dependent services (restart)
    #[arg(long)]
    pub no_deps: bool,
    /// Remove containers for services not defined in the Compose file (kill)
    #[arg(long)]
    pub remove_orphans: bool,
    pub services: Vec<String>,
}

pub fn verb(global: &GlobalOptions, verb: Verb, args: VerbArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let opts = VerbOptions {
        services: args.services.clone(),
        timeout: args.timeout,
        signal: args.signal.clone(),
        stop: args.stop,
        volumes: args.volumes,
        no_deps: args.no_deps,
        parallel: global.parallelism(),
        dry_run: global.dry_run,
    };
    engine_session(global, |engine, progress| async move {
        let r = verbs::apply_verb(
            &engine,
            &scope.name,
            scope.loaded.as_ref(),
            verb,
            &opts,
            &progress,
        )
        .await;
        progress.finish();
        r.map_err(|e| Failure::new(1, e.to_string()))?;
        Ok(0)
    })
}
