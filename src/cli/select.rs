//! Shared by the developer-loop commands: the project, its service containers, colours.

use bollard::models::ContainerSummary;

use super::{Ansi, Failure, GlobalOptions};
use berth_compose::load::LoadedProject;
use berth_engine::labels as L;
use berth_engine::Engine;

/// The project name and (when its compose file is there) the loaded project.
pub fn project(global: &GlobalOptions) -> Result<(String, Option<LoadedProject>), Failure> {
    super::lifecycle::project_or_name(global)
}

/// `no such service: x` (exit 1) for a service the compose file does not define.
pub fn check_services(loaded: Option<&LoadedProject>, services: &[String]) -> Result<(), Failure> {
    if let Some(l) = loaded {
        for s in services {
            if !l.project.services.contains_key(s) {
                return Err(Failure::new(1, format!("no such service: {s}")));
            }
        }
    }
    Ok(())
}

/// A project container, as listed.
#[derive(Clone, Debug)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub running: bool,
    pub summary: ContainerSummary,
}

/// The project's containers (one-off containers too), sorted by service then number.
pub async fn containers(engine: &Engine, project: &str) -> Result<Vec<Found>, Failure> {
    let list = engine
        .list_containers(&[L::project_filter(project)])
        .await
        .map_err(|e| Failure::new(1, e.to_string()))?;
    let mut out: Vec<Found> = list
        .into_iter()
        .map(|c| {
            let labels = c.labels.clone().unwrap_or_default();
            Found {
                id: c.id.clone().unwrap_or_default(),
                name: c
                    .names
                    .as_ref()
                    .and_then(|n| n.first().cloned())
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                service: labels.get(L::SERVICE).cloned().unwrap_or_default(),
                number: labels
                    .get(L::NUMBER)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
                oneoff: labels
                    .get(L::ONEOFF)
                    .map(|v| v.eq_ignore_ascii_case("true"))
                    .unwrap_or(false),
                running: c.state.map(|s| s.to_string()).as_deref() == Some("running"),
                summary: c,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
    Ok(out)
}

/// The container `exec`, `cp`, `port`, `attach` act on: replica `index` (default 1) of
/// `service`, which must be running.
pub async fn running_container(
    engine: &Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
) -> Result<Found, Failure> {
    let all = containers(engine, project).await?;
    let mine: Vec<&Found> = all
        .iter()
        .filter(|c| c.service == service && !c.oneoff)
        .collect();
    let pick = match index {
        Some(i) => mine.iter().find(|c| c.number == i),
        None => mine.iter().find(|c| c.running).or_else(|| mine.first()),
    };
    match pick {
        Some(c) if c.running => Ok((*c).clone()),
        None if index.is_some() && !mine.is_empty() => Err(Failure::new(
            1,
            format!(
                "service \"{service}\" is not running container #{}",
                index.unwrap_or(1)
            ),
        )),
        _ => Err(Failure::new(
            1,
            format!("service \"{service}\" is not running"),
        )),
    }
}

/// Whether to colour output on stdout.
pub fn stdout_color(global: &GlobalOptions, no_color: bool) -> bool {
    use std::io::IsTerminal;
    if no_color {
        return false;
    }
    match global.ansi {
        Ansi::Never => false,
        Ansi::Always => true,
        Ansi::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

pub fn engine_err(e: impl std::fmt::Display) -> Failure {
    Failure::new(1, e.to_string())
}
