//! `up` without `-d`: every attached service's logs, prefixed and coloured, until the
//! containers stop; Ctrl-C stops them (a second Ctrl-C kills them), as Compose v2 does.

use std::collections::BTreeMap;
use std::io::Write;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;

use super::Failure;
use crate::engine::Engine;
use crate::ui::progress::Progress;

pub struct FollowOptions {
    pub abort_on_exit: bool,
    pub exit_code_from: Option<String>,
    pub no_color: bool,
    pub no_prefix: bool,
    pub timestamps: bool,
    pub timeout: Option<i32>,
}

const COLORS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

/// Follows the logs of `attach`'s containers; returns the exit code berth should exit with.
pub async fn follow(
    engine: &Engine,
    containers: &BTreeMap<String, Vec<String>>,
    attach: &[String],
    opts: FollowOptions,
    progress: &Progress,
) -> Result<i32, Failure> {
    let mut names: Vec<(String, String, String)> = Vec::new(); // (service, id, name)
    for (svc, ids) in containers {
        for id in ids {
            let name = engine
                .inspect_container(id)
                .await
                .ok()
                .and_then(|i| i.name)
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string();
            names.push((svc.clone(), id.clone(), name));
        }
    }
    let width = names.iter().map(|(_, _, n)| n.len()).max().unwrap_or(0);
    let color = !opts.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String, Option<i64>)>();
    let mut followed = 0;
    for (i, (svc, id, name)) in names.iter().enumerate() {
        if !attach.contains(svc) {
            continue;
        }
        followed += 1;
        let prefix = if opts.no_prefix {
            String::new()
        } else if color {
            format!("\x1b[{}m{name:<width$} |\x1b[0m ", COLORS[i % COLORS.len()])
        } else {
            format!("{name:<width$} | ")
        };
        let engine = engine.clone();
        let id = id.clone();
        let svc = svc.clone();
        let name_for_exit = name.clone();
        let tx = tx.clone();
        let timestamps = opts.timestamps;
        tokio::spawn(async move {
            let o = LogsOptionsBuilder::new()
                .follow(true)
                .stdout(true)
                .stderr(true)
                .timestamps(timestamps)
                .build();
            let mut s = engine.docker.logs(&id, Some(o));
            let mut pending = String::new();
            while let Some(item) = s.next().await {
                let bytes = match item {
                    Ok(LogOutput::StdOut { message })
                    | Ok(LogOutput::StdErr { message })
                    | Ok(LogOutput::Console { message }) => message,
                    Ok(_) => continue,
                    Err(_) => break,
                };
                pending.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(pos) = pending.find('\n') {
                    let line: String = pending.drain(..=pos).collect();
                    let mut out = std::io::stdout().lock();
                    if out.write_all(format!("{prefix}{line}").as_bytes()).is_err() {
                        return;
                    }
                }
            }
            if !pending.is_empty() {
                let _ = writeln!(std::io::stdout().lock(), "{prefix}{pending}");
            }
            let code = engine.wait_container(&id).await.ok();
            let _ = tx.send((svc, name_for_exit, code));
        });
    }
    drop(tx);
    let mut exit_code = 0;
    let mut ended = 0;
    let ids: Vec<String> = names.iter().map(|(_, id, _)| id.clone()).collect();
    let stop_all = |kill: bool| {
        let engine = engine.clone();
        let ids = ids.clone();
        let timeout = opts.timeout;
        async move {
            let jobs = ids.iter().map(|id| {
                let engine = engine.clone();
                async move {
                    if kill {
                        let _ = engine.kill_container(id, "SIGKILL").await;
                    } else {
                        let _ = engine.stop_container(id, timeout).await;
                    }
                }
            });
            futures_util::future::join_all(jobs).await;
        }
    };
    if followed == 0 {
        return Ok(0);
    }
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some((svc, name, code)) = msg else { break };
                ended += 1;
                let _ = writeln!(std::io::stdout().lock(), "{name} exited with code {}", code.unwrap_or(-1));
                if let Some(from) = &opts.exit_code_from {
                    if &svc == from {
                        exit_code = code.unwrap_or(-1) as i32;
                    }
                }
                if opts.abort_on_exit {
                    progress.note("Aborting on container exit...");
                    stop_all(false).await;
                    if opts.exit_code_from.is_none() {
                        exit_code = code.unwrap_or(0) as i32;
                    }
                    break;
                }
                if ended == followed {
                    break;
                }
            }
            _ = tokio::signal::ctrl_c() => {
                progress.note("Gracefully stopping... (press Ctrl+C again to force)");
                tokio::select! {
                    _ = stop_all(false) => {}
                    _ = tokio::signal::ctrl_c() => { stop_all(true).await; }
                }
                return Ok(0);
            }
        }
    }
    Ok(exit_code)
}
