//! Shared by the developer-loop commands: the project, its service containers, colours.

use berth_engine::{ComposeLabels, ContainerStatus, ContainerSummary};

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
        .map(|c| Found {
            id: c.id.clone(),
            name: c.name.clone(),
            service: c.service().to_string(),
            number: c.number(),
            oneoff: c.oneoff(),
            running: c.state == ContainerStatus::Running,
            summary: c,
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
