//! `berth events`: the project's container events as they happen.

use std::collections::BTreeMap;
use std::io::Write;

use futures_util::StreamExt;

use clap::Args;

use super::{check_services, engine_session, Failure, GlobalOptions};
use berth_engine::clock::format_unix;
use berth_engine::labels as L;
use berth_engine::ComposeLabels;

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
    let crate::project::ProjectScope { name, .. } = scope;
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
