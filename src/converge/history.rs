//! The update history of a project's services, kept with the project on the engine so that it
//! survives a reboot and does not depend on the directory berth runs from: each `up` that
//! changed services writes one small volume whose labels hold each changed service's revision
//! (the image, the config berth compares, the time). The volumes carry berth's own labels, not
//! Compose's project label: Compose v2 leaves them alone, `down` keeps them, `down -v` removes
//! them. Each service keeps its last [`KEPT`] revisions.

use std::collections::{BTreeMap, HashMap};

use berth_compose::model::VolumeConfig;
use berth_engine::labels as L;
use berth_engine::{Engine, EngineError};
use serde::{Deserialize, Serialize};

/// Revisions kept per service.
pub const KEPT: usize = 10;

/// One revision of a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    /// 1, 2, ... per service.
    pub number: u32,
    /// When it was applied (RFC 3339, UTC).
    pub time: String,
    /// The image reference the service named, and the ID it ran.
    pub image: String,
    pub image_id: String,
    /// Compose v2's config hash and berth's compared config (the `berth.config` label).
    pub hash: String,
    pub config: serde_json::Value,
    /// `up`, or `rollback to N`.
    pub cause: String,
}

/// What `up` applied to one service, to record.
#[derive(Clone, Debug)]
pub struct Applied {
    pub service: String,
    pub image: String,
    pub image_id: String,
    pub hash: String,
    pub config: serde_json::Value,
    pub cause: String,
}

/// A history volume as listed: its name, sequence number and revisions by service.
struct Entry {
    volume: String,
    seq: u64,
    revisions: Vec<(String, Revision)>,
}

async fn entries(engine: &Engine, project: &str) -> Result<Vec<Entry>, EngineError> {
    let vols = engine
        .list_volumes(&[format!("{}={project}", L::HISTORY_PROJECT)])
        .await?;
    let mut out: Vec<Entry> = vols
        .into_iter()
        .map(|v| {
            let seq = v
                .labels
                .get(L::HISTORY_SEQ)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let revisions = v
                .labels
                .iter()
                .filter_map(|(k, val)| {
                    let service = k.strip_prefix(L::HISTORY_SERVICE_PREFIX)?;
                    let r: Revision = serde_json::from_str(val).ok()?;
                    Some((service.to_string(), r))
                })
                .collect();
            Entry {
                volume: v.name,
                seq,
                revisions,
            }
        })
        .collect();
    out.sort_by_key(|e| e.seq);
    Ok(out)
}

/// Every service's revisions, oldest first.
pub async fn load(
    engine: &Engine,
    project: &str,
) -> Result<BTreeMap<String, Vec<Revision>>, EngineError> {
    let mut out: BTreeMap<String, Vec<Revision>> = BTreeMap::new();
    for e in entries(engine, project).await? {
        for (s, r) in e.revisions {
            out.entry(s).or_default().push(r);
        }
    }
    for revs in out.values_mut() {
        revs.sort_by_key(|r| r.number);
    }
    Ok(out)
}

/// Records what `up` applied: a revision for each service whose image or config differs from
/// its latest one; then forgets what is past [`KEPT`] for every service.
pub async fn record(
    engine: &Engine,
    project: &str,
    applied: &[Applied],
    now: &str,
) -> Result<(), EngineError> {
    let existing = entries(engine, project).await?;
    let mut latest: HashMap<&str, &Revision> = HashMap::new();
    for e in &existing {
        for (s, r) in &e.revisions {
            if latest.get(s.as_str()).is_none_or(|l| l.number < r.number) {
                latest.insert(s, r);
            }
        }
    }
    let mut labels = HashMap::new();
    for a in applied {
        let last = latest.get(a.service.as_str());
        if last.is_some_and(|l| l.image_id == a.image_id && l.config == a.config) {
            continue;
        }
        let r = Revision {
            number: last.map_or(1, |l| l.number + 1),
            time: now.to_string(),
            image: a.image.clone(),
            image_id: a.image_id.clone(),
            hash: a.hash.clone(),
            config: a.config.clone(),
            cause: a.cause.clone(),
        };
        let value = serde_json::to_string(&r).unwrap_or_default();
        labels.insert(format!("{}{}", L::HISTORY_SERVICE_PREFIX, a.service), value);
    }
    if labels.is_empty() {
        return Ok(());
    }
    let seq = existing.last().map_or(1, |e| e.seq + 1);
    labels.insert(L::HISTORY_PROJECT.into(), project.into());
    labels.insert(L::HISTORY_SEQ.into(), seq.to_string());
    let name = format!("{project}_berth-history-{seq:06}");
    engine
        .create_volume(&name, &VolumeConfig::default(), labels)
        .await?;
    prune(engine, project).await
}

/// Removes the history volumes none of whose revisions is among its service's last [`KEPT`].
async fn prune(engine: &Engine, project: &str) -> Result<(), EngineError> {
    let all = entries(engine, project).await?;
    let mut per_service: HashMap<&str, Vec<u32>> = HashMap::new();
    for e in &all {
        for (s, r) in &e.revisions {
            per_service.entry(s).or_default().push(r.number);
        }
    }
    let keep_from: HashMap<&str, u32> = per_service
        .into_iter()
        .map(|(s, mut ns)| {
            ns.sort_unstable();
            let from = ns.len().saturating_sub(KEPT);
            (s, ns.get(from).copied().unwrap_or(0))
        })
        .collect();
    for e in &all {
        let needed = e
            .revisions
            .iter()
            .any(|(s, r)| r.number >= keep_from.get(s.as_str()).copied().unwrap_or(0));
        if !needed {
            engine.remove_volume(&e.volume).await?;
        }
    }
    Ok(())
}

/// Removes the project's whole history (`down -v`); returns the volumes removed.
pub async fn forget(engine: &Engine, project: &str) -> Result<Vec<String>, EngineError> {
    let mut gone = Vec::new();
    for e in entries(engine, project).await? {
        engine.remove_volume(&e.volume).await?;
        gone.push(e.volume);
    }
    Ok(gone)
}
