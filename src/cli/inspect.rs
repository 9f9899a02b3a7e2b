//! `berth port`, `top`, `images`, `stats`: what the project's containers have and use.

use std::io::{IsTerminal, Write};

use clap::Args;

use super::{check_services, engine_session, Failure, GlobalOptions};
use crate::project::{self, ProjectContainer};
use crate::ui::text::{binary_size, emit, human_size, table};
use berth_engine::StatsSample;

/// Services to act on (all when none).
#[derive(Args, Debug, Default)]
pub struct ServicesArgs {
    pub services: Vec<String>,
}

#[derive(Args, Debug, Default)]
pub struct PortArgs {
    /// tcp or udp
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    pub service: String,
    pub private_port: u16,
}

pub fn port(global: &GlobalOptions, args: PortArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, std::slice::from_ref(&args.service))?;
    let crate::project::ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let c =
            crate::project::running_container(&engine, &name, &args.service, args.index).await?;
        let i = engine
            .inspect_container(&c.id)
            .await
            .map_err(Failure::from)?;
        let key = format!("{}/{}", args.private_port, args.protocol);
        let binding = i.ports.get(&key).and_then(|b| b.first());
        match binding {
            Some(b) => {
                emit(&format!("{}:{}\n", b.host_ip, b.host_port));
                Ok(0)
            }
            None => Err(Failure::new(
                1,
                format!("no port {key} for container {}", c.name),
            )),
        }
    })
}

pub fn top(global: &GlobalOptions, args: ServicesArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let crate::project::ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let mut out = String::new();
        for c in project::service_containers(&engine, &name, &args.services, false).await? {
            let t = engine.top(&c.id).await.map_err(Failure::from)?;
            let mut rows = vec![t.titles];
            rows.extend(t.rows);
            out.push_str(&format!("{}\n{}\n", c.name, table(&rows)));
        }
        emit(&out);
        Ok(0)
    })
}

#[derive(Args, Debug, Default)]
pub struct ImagesArgs {
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Format the output: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
    pub services: Vec<String>,
}

pub fn images(global: &GlobalOptions, args: ImagesArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let crate::project::ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let list: Vec<ProjectContainer> = crate::project::containers(&engine, &name)
            .await?
            .into_iter()
            .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
            .collect();
        let mut rows = vec![vec![
            "CONTAINER".to_string(),
            "REPOSITORY".into(),
            "TAG".into(),
            "IMAGE ID".into(),
            "SIZE".into(),
        ]];
        let mut json = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut c_sorted = list;
        c_sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for c in &c_sorted {
            let image_ref = c.summary.image_id.clone();
            let Ok(Some(img)) = engine.inspect_image(&image_ref).await else {
                continue;
            };
            let id = img.id.clone();
            let short = id
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect::<String>();
            let shown = c.summary.image.clone();
            let tag_ref = img
                .repo_tags
                .iter()
                .find(|t| **t == shown || t.starts_with(&format!("{shown}:")))
                .or_else(|| img.repo_tags.first())
                .cloned()
                .unwrap_or_else(|| "<none>:<none>".into());
            let (repo, tag) = tag_ref
                .rsplit_once(':')
                .filter(|(_, t)| !t.contains('/'))
                .map(|(r, t)| (r.to_string(), t.to_string()))
                .unwrap_or((tag_ref.clone(), "latest".into()));
            let size = img.size;
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
            json.push(serde_json::json!({
                "ID": id, "ContainerName": c.name, "Repository": repo, "Tag": tag, "Size": size,
            }));
            rows.push(vec![
                c.name.clone(),
                repo,
                tag,
                short,
                human_size(size as f64),
            ]);
        }
        if args.quiet {
            emit(&ids.iter().map(|i| format!("{i}\n")).collect::<String>());
        } else if args.format == "json" {
            emit(&format!("{}\n", serde_json::Value::Array(json)));
        } else {
            emit(&table(&rows));
        }
        Ok(0)
    })
}

#[derive(Args, Debug, Default)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    pub all: bool,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Format the output: table or json
    #[arg(long, default_value = "table")]
    pub format: String,
    pub services: Vec<String>,
}

fn stats_row(c: &ProjectContainer, s: &StatsSample, no_trunc: bool) -> Vec<String> {
    let (used, limit) = (s.memory_used as f64, s.memory_limit as f64);
    let (rx, tx, rd, wr) = (s.net_rx, s.net_tx, s.block_read, s.block_write);
    let (cpu_pct, mem_pct, pids) = (s.cpu_percent(), s.memory_percent(), s.pids);
    vec![
        if no_trunc {
            c.id.clone()
        } else {
            c.id.chars().take(12).collect()
        },
        c.name.clone(),
        format!("{cpu_pct:.2}%"),
        format!("{} / {}", binary_size(used), binary_size(limit)),
        format!("{mem_pct:.2}%"),
        format!("{} / {}", human_size(rx as f64), human_size(tx as f64)),
        format!("{} / {}", human_size(rd as f64), human_size(wr as f64)),
        pids.to_string(),
    ]
}

pub fn stats(global: &GlobalOptions, args: StatsArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let crate::project::ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let mut interrupts = crate::signals::Interrupts::new();
        loop {
            let list =
                project::service_containers(&engine, &name, &args.services, args.all).await?;
            let samples =
                futures_util::future::join_all(list.iter().map(|c| engine.stats_once(&c.id))).await;
            let mut rows = vec![[
                "CONTAINER ID",
                "NAME",
                "CPU %",
                "MEM USAGE / LIMIT",
                "MEM %",
                "NET I/O",
                "BLOCK I/O",
                "PIDS",
            ]
            .map(str::to_string)
            .to_vec()];
            let mut json = Vec::new();
            for (c, s) in list.iter().zip(samples) {
                let Ok(Some(s)) = s else { continue };
                let r = stats_row(c, &s, args.no_trunc);
                json.push(serde_json::json!({
                    "ID": r[0], "Name": r[1], "CPUPerc": r[2], "MemUsage": r[3],
                    "MemPerc": r[4], "NetIO": r[5], "BlockIO": r[6], "PIDs": r[7],
                }));
                rows.push(r);
            }
            let text = if args.format == "json" {
                json.iter().map(|j| format!("{j}\n")).collect()
            } else {
                table(&rows)
            };
            if args.no_stream {
                emit(&text);
                return Ok(0);
            }
            let clear = if std::io::stdout().is_terminal() {
                crate::ui::terminal::clear_screen()
            } else {
                String::new()
            };
            let mut o = std::io::stdout().lock();
            if write!(o, "{clear}{text}").and_then(|_| o.flush()).is_err() {
                return Ok(0);
            }
            drop(o);
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
                _ = interrupts.recv() => return Ok(0),
            }
        }
    })
}
