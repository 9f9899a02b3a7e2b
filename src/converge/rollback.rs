//! `berth rollback`: each service back to a recorded revision ([`super::history`]), applied as
//! an update under the service's `rollback_config` (else its `update_config`). The project's
//! file gives everything else (networks, volumes, the other services); the service's own
//! configuration and image come from the revision. Everything is checked before anything
//! stops: a revision that does not exist, or whose image is gone from the engine, is refused.

use std::collections::BTreeMap;

use berth_compose::load::LoadedProject;
use berth_compose::model::Service;
use berth_engine::Engine;

use super::history::{self, Revision};

/// What a rollback returns to.
#[derive(Clone, Debug)]
pub struct Target {
    pub service: String,
    /// The revision running now (the latest recorded) and the one returned to.
    pub from: Revision,
    pub to: Revision,
}

/// Why a rollback cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error(transparent)]
    Engine(#[from] berth_engine::EngineError),
    #[error("{0}")]
    Refused(String),
}

fn refused(m: String) -> RollbackError {
    RollbackError::Refused(m)
}

/// The revision each service returns to: `to`, else the one before its latest. `services`
/// empty: every service of the file that has an earlier revision.
pub async fn targets(
    engine: &Engine,
    loaded: &LoadedProject,
    services: &[String],
    to: Option<u32>,
) -> Result<Vec<Target>, RollbackError> {
    let all = history::load(engine, &loaded.name).await?;
    let names: Vec<String> = if services.is_empty() {
        all.iter()
            .filter(|(s, revs)| revs.len() > 1 && loaded.project.services.contains_key(*s))
            .map(|(s, _)| s.clone())
            .collect()
    } else {
        services.to_vec()
    };
    if names.is_empty() {
        return Err(refused(format!(
            "project {} has no service with an earlier revision to return to (`berth history` lists them)",
            loaded.name
        )));
    }
    let mut out = Vec::new();
    for s in names {
        if !loaded.project.services.contains_key(&s) {
            return Err(refused(format!("no such service: {s}")));
        }
        let revs = all.get(&s).cloned().unwrap_or_default();
        let Some(latest) = revs.last().cloned() else {
            return Err(refused(format!(
                "service \"{s}\" has no recorded revision: berth records one each time `up` creates or replaces its containers"
            )));
        };
        let target = match to {
            Some(n) => revs.iter().find(|r| r.number == n).cloned().ok_or_else(|| {
                let known: Vec<String> = revs.iter().map(|r| r.number.to_string()).collect();
                refused(format!(
                    "service \"{s}\" has no revision {n} (it has {})",
                    known.join(", ")
                ))
            })?,
            None => revs
                .iter()
                .rev()
                .find(|r| r.number < latest.number)
                .cloned()
                .ok_or_else(|| {
                    refused(format!(
                        "service \"{s}\" has only revision {}: there is nothing earlier to return to",
                        latest.number
                    ))
                })?,
        };
        if engine.inspect_image(&target.image_id).await?.is_none() {
            return Err(refused(format!(
                "service \"{s}\": revision {} ran image {} ({}), which is no longer on the engine: load or build it again, or pick another revision with --to (`berth history {s}`)",
                target.number,
                target.image,
                short(&target.image_id)
            )));
        }
        out.push(Target {
            service: s,
            from: latest,
            to: target,
        });
    }
    Ok(out)
}

/// The project with each target service as its revision had it. What the revision does not
/// record (build, pull policy, dependencies, scale, profiles) stays as the file says; the
/// image is the revision's, by name when the name still points at it, else by ID; nothing is
/// built or pulled.
pub async fn project_at(
    engine: &Engine,
    loaded: &LoadedProject,
    targets: &[Target],
) -> Result<LoadedProject, RollbackError> {
    let mut out = loaded.clone();
    for t in targets {
        let Some(current) = loaded.project.services.get(&t.service) else {
            continue;
        };
        let mut svc: Service = serde_json::from_value(t.to.config.clone()).map_err(|e| {
            refused(format!(
                "service \"{}\": revision {} cannot be read back ({e}); it was written by another berth version",
                t.service, t.to.number
            ))
        })?;
        svc.build = None;
        svc.pull_policy = Some("never".into());
        svc.depends_on = current.depends_on.clone();
        svc.scale = current.scale;
        svc.profiles = current.profiles.clone();
        if let (Some(d), Some(cur)) = (svc.deploy.as_mut(), current.deploy.as_ref()) {
            d.replicas = cur.replicas;
        }
        let by_name = engine.image_id(&t.to.image).await?;
        svc.image = Some(match by_name.as_deref() == Some(t.to.image_id.as_str()) {
            true => t.to.image.clone(),
            false => t.to.image_id.clone(),
        });
        out.project.services.insert(t.service.clone(), svc);
    }
    Ok(out)
}

/// The first 12 hex digits of an image ID.
pub fn short(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// What changed from one revision to the next, in a few words: the image, then the config's
/// changed fields (`environment.VERSION`).
pub fn change(prev: Option<&Revision>, r: &Revision) -> String {
    let Some(p) = prev else {
        return "first revision".into();
    };
    let mut parts = Vec::new();
    if p.image_id != r.image_id {
        parts.push(format!(
            "image {} -> {}",
            short(&p.image_id),
            short(&r.image_id)
        ));
    }
    // The image is said above by ID; its reference is a field of the config too.
    let fields: Vec<String> = berth_compose::hash::config_diff(&p.config, &r.config)
        .into_iter()
        .map(|(k, _, _)| k)
        .filter(|k| k != "image" || p.image_id == r.image_id)
        .collect();
    if !fields.is_empty() {
        let shown: Vec<&str> = fields.iter().take(4).map(String::as_str).collect();
        let more = fields.len().saturating_sub(shown.len());
        let mut s = shown.join(", ");
        if more > 0 {
            s.push_str(&format!(" (+{more})"));
        }
        parts.push(s);
    }
    if parts.is_empty() {
        "same as the previous".into()
    } else {
        parts.join("; ")
    }
}

/// The targets by service, for [`super::apply::UpOptions::rollback`].
pub fn numbers(targets: &[Target]) -> BTreeMap<String, u32> {
    targets
        .iter()
        .map(|t| (t.service.clone(), t.to.number))
        .collect()
}
