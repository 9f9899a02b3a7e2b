//! The project a command acts on: loaded from its compose files when they can be found, else
//! known by name alone (`-p`, `COMPOSE_PROJECT_NAME`), since `down`, `ps`, `logs`... work from
//! the containers' labels; and its containers on the engine.

use berth_compose::error::{ErrorKind, LoadError};
use berth_compose::load::{self, LoadFlags, LoadedProject};
use berth_compose::options::ProjectRequest;
use berth_engine::labels as L;
use berth_engine::{ComposeLabels, ContainerStatus, ContainerSummary, Engine, EngineError};

/// A project by name, with its model when its compose files were found.
pub struct ProjectScope {
    pub name: String,
    pub loaded: Option<LoadedProject>,
}

impl ProjectScope {
    /// Loads the project `request` describes. When its files cannot be found, a project named
    /// by `-p` (`name_flag`) or `COMPOSE_PROJECT_NAME` is known by name alone; any other load
    /// error is the error.
    pub fn open(
        request: ProjectRequest,
        name_flag: Option<&str>,
    ) -> Result<ProjectScope, LoadError> {
        match request
            .resolve()
            .and_then(|o| load::load(&o, &LoadFlags::default()))
        {
            Ok(l) => Ok(ProjectScope {
                name: l.name.clone(),
                loaded: Some(l),
            }),
            Err(e) => {
                let name = name_flag.map(str::to_string).or_else(|| {
                    std::env::var("COMPOSE_PROJECT_NAME")
                        .ok()
                        .filter(|s| !s.is_empty())
                });
                match (name, e.kind) {
                    (Some(name), ErrorKind::FileNotFound) => {
                        Ok(ProjectScope { name, loaded: None })
                    }
                    _ => Err(e),
                }
            }
        }
    }

    /// The loader's warnings (none without a model).
    pub fn warnings(&self) -> &[String] {
        self.loaded.as_ref().map_or(&[], |l| &l.warnings)
    }

    /// The first of `services` the compose file does not define (none without a model: the
    /// labels decide then).
    pub fn unknown_service<'a>(&self, services: &'a [String]) -> Option<&'a str> {
        let l = self.loaded.as_ref()?;
        services
            .iter()
            .find(|s| !l.project.services.contains_key(*s))
            .map(String::as_str)
    }
}

/// A container of the project, as listed.
#[derive(Clone, Debug)]
pub struct ProjectContainer {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub running: bool,
    pub summary: ContainerSummary,
}

/// Why a service's container cannot be acted on.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("service \"{0}\" is not running")]
    NotRunning(String),
    #[error("service \"{0}\" is not running container #{1}")]
    NotRunningReplica(String, u32),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The project's containers (one-off containers too), sorted by service then number.
pub async fn containers(
    engine: &Engine,
    project: &str,
) -> Result<Vec<ProjectContainer>, EngineError> {
    let list = engine
        .list_containers(&[L::project_filter(project)])
        .await?;
    let mut out: Vec<ProjectContainer> = list
        .into_iter()
        .map(|c| ProjectContainer {
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

/// The running, non-one-off containers of `services` (all services when empty; stopped ones
/// too with `all`).
pub async fn service_containers(
    engine: &Engine,
    project: &str,
    services: &[String],
    all: bool,
) -> Result<Vec<ProjectContainer>, EngineError> {
    Ok(containers(engine, project)
        .await?
        .into_iter()
        .filter(|c| {
            !c.oneoff
                && (all || c.running)
                && (services.is_empty() || services.contains(&c.service))
        })
        .collect())
}

/// The container `exec`, `cp`, `port`, `attach` act on: replica `index` (default: the first
/// running one) of `service`, which must be running.
pub async fn running_container(
    engine: &Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
) -> Result<ProjectContainer, ContainerError> {
    let all = containers(engine, project).await?;
    let mine: Vec<&ProjectContainer> = all
        .iter()
        .filter(|c| c.service == service && !c.oneoff)
        .collect();
    let pick = match index {
        Some(i) => mine.iter().find(|c| c.number == i),
        None => mine.iter().find(|c| c.running).or_else(|| mine.first()),
    };
    match (pick, index) {
        (Some(c), _) if c.running => Ok((*c).clone()),
        (None, Some(i)) if !mine.is_empty() => {
            Err(ContainerError::NotRunningReplica(service.to_string(), i))
        }
        _ => Err(ContainerError::NotRunning(service.to_string())),
    }
}
