//! `cp`, `port`, `top`, `images`, `wait`, `events`, `stats`, `attach`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::Args;
use futures_util::StreamExt;

use super::{check_services, engine_session, Failure, GlobalOptions};
use crate::project::ProjectContainer as Found;
use crate::project::ProjectScope;
use crate::session::attach::AttachOptions;
use crate::session::{self, Ended};
use crate::ui::stream::Detach;
use berth_engine::archive::{self, Archive, Stamp};
use berth_engine::clock::format_unix;
use berth_engine::labels as L;
use berth_engine::{ComposeLabels, Engine, StatsSample};

/// Services to act on (all when none).
#[derive(Args, Debug, Default)]
pub struct ServicesArgs {
    pub services: Vec<String>,
}

/// The running, non-one-off containers of `services` (all when empty).
async fn service_containers(
    engine: &Engine,
    project: &str,
    services: &[String],
    all: bool,
) -> Result<Vec<Found>, Failure> {
    Ok(crate::project::containers(engine, project)
        .await?
        .into_iter()
        .filter(|c| {
            !c.oneoff
                && (all || c.running)
                && (services.is_empty() || services.contains(&c.service))
        })
        .collect())
}

/// Rows as columns separated by three spaces (the last column not padded).
fn table(rows: &[Vec<String>]) -> String {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map(|c| c.chars().count()).unwrap_or(0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}   ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes to stdout; a closed pipe is not an error.
fn emit(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes()).and_then(|_| o.flush());
}

// ---------------------------------------------------------------------------------------- cp

#[derive(Args, Debug, Default)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// SERVICE:SRC_PATH or a local path (`-` reads a tar archive from stdin)
    pub source: String,
    /// SERVICE:DEST_PATH or a local path (`-` writes a tar archive to stdout)
    pub destination: String,
}

fn split_service_path(s: &str) -> Option<(&str, &str)> {
    if s.starts_with('/') || s.starts_with('.') || s == "-" {
        return None;
    }
    s.split_once(':')
}

pub fn cp(global: &GlobalOptions, args: CpArgs) -> Result<i32, Failure> {
    let ProjectScope { name, loaded } = global.project()?;
    let owned = |x: Option<(&str, &str)>| x.map(|(a, b)| (a.to_string(), b.to_string()));
    let from = owned(split_service_path(&args.source));
    let to = owned(split_service_path(&args.destination));
    let (service, down) = match (&from, &to) {
        (Some((s, _)), None) => (s.clone(), true),
        (None, Some((s, _))) => (s.clone(), false),
        (Some(_), Some(_)) => {
            return Err(Failure::new(1, "copying between services is not supported"))
        }
        (None, None) => {
            return Err(Failure::new(
                1,
                "one of source or destination must be SERVICE:PATH",
            ))
        }
    };
    if let Some(l) = &loaded {
        if !l.project.services.contains_key(&service) {
            return Err(Failure::new(1, format!("no such service: {service}")));
        }
    }
    engine_session(global, |engine, _p| async move {
        let c = crate::project::running_container(&engine, &name, &service, args.index).await?;
        let fail = |m: String| Failure::new(1, format!("service \"{service}\": cp: {m}"));
        if down {
            let src = from.map(|x| x.1).unwrap_or_default();
            let tar = engine
                .download(&c.id, &src)
                .await
                .map_err(|e| fail(e.to_string()))?;
            if args.destination == "-" {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(&tar).and_then(|_| o.flush());
                return Ok(0);
            }
            archive::unpack(&tar, &src, Path::new(&args.destination), args.archive)
                .map_err(fail)?;
        } else {
            let dst = to.map(|x| x.1).unwrap_or_default();
            let stat = engine
                .stat_path(&c.id, &dst)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let (dir, name_in) = match &stat {
                Some(s) if s.is_dir() => (dst.clone(), None),
                _ => {
                    let p = Path::new(&dst);
                    let parent = p
                        .parent()
                        .map(|x| x.display().to_string())
                        .filter(|x| !x.is_empty())
                        .unwrap_or_else(|| "/".into());
                    let base = p.file_name().map(|b| b.to_string_lossy().to_string());
                    (parent, base)
                }
            };
            let tar = if args.source == "-" {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
                    .map_err(|e| fail(e.to_string()))?;
                b
            } else {
                pack(
                    Path::new(&args.source),
                    name_in.as_deref(),
                    args.follow_link,
                )
                .map_err(fail)?
            };
            engine
                .upload(&c.id, &dir, tar, args.archive)
                .await
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(0)
    })
}

/// A tar archive of `src` whose root entry is named `name` (default: src's own name); `src/.`
/// packs a directory's contents.
fn pack(src: &Path, name: Option<&str>, follow: bool) -> Result<Vec<u8>, String> {
    let contents_only = src.to_string_lossy().ends_with("/.");
    let base = name
        .map(str::to_string)
        .or_else(|| {
            src.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|b| b.to_string_lossy().to_string()))
        })
        .unwrap_or_else(|| ".".into());
    let mut a = Archive::new(Stamp::Complete);
    a.follow_links(follow);
    let root = if contents_only { "." } else { base.as_str() };
    a.add_tree(root, src)
        .map_err(|e| format!("{}: {e}", src.display()))?;
    a.finish().map_err(|e| e.to_string())
}

// -------------------------------------------------------------------------------------- port

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
    let ProjectScope { name, .. } = scope;
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

// --------------------------------------------------------------------------------------- top

pub fn top(global: &GlobalOptions, args: ServicesArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let mut out = String::new();
        for c in service_containers(&engine, &name, &args.services, false).await? {
            let t = engine.top(&c.id).await.map_err(Failure::from)?;
            let mut rows = vec![t.titles];
            rows.extend(t.rows);
            out.push_str(&format!("{}\n{}\n", c.name, table(&rows)));
        }
        emit(&out);
        Ok(0)
    })
}

// ------------------------------------------------------------------------------------ images

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

/// Sizes as Docker shows them (decimal units, three significant digits).
pub fn human_size(n: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < units.len() {
        v /= 1000.0;
        i += 1;
    }
    format!("{}{}", sig3(v), units[i])
}

/// Memory sizes as Docker shows them (binary units).
pub fn binary_size(n: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{}{}", sig3(v), units[i])
}

fn sig3(v: f64) -> String {
    let s = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn images(global: &GlobalOptions, args: ImagesArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let list: Vec<Found> = crate::project::containers(&engine, &name)
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

// -------------------------------------------------------------------------------------- wait

#[derive(Args, Debug, Default)]
pub struct WaitArgs {
    /// Drops the project when the first container stops
    #[arg(long)]
    pub down_project: bool,
    #[arg(required = true)]
    pub services: Vec<String>,
}

pub fn wait(global: &GlobalOptions, args: WaitArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let ProjectScope { name, loaded } = scope;
    engine_session(global, |engine, progress| async move {
        let list = service_containers(&engine, &name, &args.services, true).await?;
        if list.is_empty() {
            return Err(Failure::new(1, "no containers for the given services"));
        }
        let waits = list.iter().map(|c| {
            let engine = engine.clone();
            let id = c.id.clone();
            Box::pin(async move { engine.wait_container(&id).await })
        });
        let (code, _, _) = futures_util::future::select_all(waits).await;
        let code = code.map_err(Failure::from)?;
        if args.down_project {
            let opts = crate::converge::down::DownOptions {
                remove_orphans: false,
                volumes: false,
                rmi: None,
                timeout: None,
                parallel: global.parallelism(),
                services: vec![],
                dry_run: false,
            };
            let r = crate::converge::down::down(&engine, &name, loaded.as_ref(), &opts, &progress)
                .await;
            progress.finish();
            r.map_err(Failure::from)?;
        }
        Ok(code as i32)
    })
}

// ------------------------------------------------------------------------------------ events

#[derive(Args, Debug, Default)]
pub struct EventsArgs {
    /// Output events as a stream of json objects
    #[arg(long)]
    pub json: bool,
    pub services: Vec<String>,
}

pub fn events(global: &GlobalOptions, args: EventsArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let mut interrupts = crate::signals::Interrupts::new();
        // Filtered by the project's label on the engine's side, or on ours for Podman.
        let mut s = Box::pin(engine.container_events(&[L::project_filter(&name)]));
        loop {
            let ev = tokio::select! {
                ev = s.next() => ev,
                _ = interrupts.recv() => return Ok(0),
            };
            let Some(ev) = ev else { return Ok(0) };
            let ev = ev.map_err(Failure::from)?;
            let service = ev.service().to_string();
            if !args.services.is_empty() && !args.services.contains(&service) {
                continue;
            }
            // The container's labels are not event attributes.
            let shown: BTreeMap<&String, &String> = ev
                .attributes
                .iter()
                .filter(|(k, _)| !k.contains('.'))
                .collect();
            let n = ev.time_nano;
            let time = if n == 0 {
                String::new()
            } else {
                format_unix(
                    n.div_euclid(1_000_000_000),
                    n.rem_euclid(1_000_000_000) as u32,
                )
            };
            let action = &ev.action;
            let id = &ev.id;
            let line = if args.json {
                serde_json::json!({
                    "action": action, "attributes": shown, "id": id, "service": service,
                    "time": time, "type": "container",
                })
                .to_string()
            } else {
                let a: Vec<String> = shown.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "{} container {action} {id} ({})",
                    time.replace('T', " ").trim_end_matches('Z'),
                    a.join(", ")
                )
            };
            let mut o = std::io::stdout().lock();
            if writeln!(o, "{line}").and_then(|_| o.flush()).is_err() {
                return Ok(0);
            }
        }
    })
}

// ------------------------------------------------------------------------------------- stats

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

fn stats_row(c: &Found, s: &StatsSample, no_trunc: bool) -> Vec<String> {
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
    let ProjectScope { name, .. } = scope;
    engine_session(global, |engine, _p| async move {
        let mut interrupts = crate::signals::Interrupts::new();
        loop {
            let list = service_containers(&engine, &name, &args.services, args.all).await?;
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

// ------------------------------------------------------------------------------------ attach

#[derive(Args, Debug, Default)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container (default: config.json's
    /// detachKeys, else ctrl-p,ctrl-q)
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Do not attach STDIN
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub sig_proxy: bool,
    pub service: String,
}

pub fn attach(global: &GlobalOptions, args: AttachArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, std::slice::from_ref(&args.service))?;
    let detach = Detach::resolve(args.detach_keys.clone()).map_err(|e| Failure::new(16, e))?;
    let opts = AttachOptions {
        service: args.service.clone(),
        index: args.index,
        stdin: !args.no_stdin,
        sig_proxy: args.sig_proxy,
    };
    engine_session(global, |engine, _p| async move {
        let (name, ended) = session::attach::attach(&engine, &scope.name, &opts, &detach).await?;
        match ended {
            Ended::Exited(code) => Ok(code as i32),
            Ended::Restarted => {
                eprintln!(
                    "{name} exited and its restart policy started it again: `berth attach {}` follows it",
                    args.service
                );
                Ok(0)
            }
            Ended::Detached | Ended::Started => {
                eprintln!("\r\ndetached from {name} (it keeps running)");
                Ok(0)
            }
        }
    })
}
