//! What `up --dry-run` says per container: what `up` would do to it, and why (for a
//! configuration change, the fields that changed; for an orphan, the files that declared it).

use berth_compose::hash;
use berth_compose::load::LoadedProject;
use berth_compose::model::Service;
use berth_engine::labels as L;
use berth_engine::spec;

use crate::converge::plan::{self, Action, Observed};

/// One line of `up --dry-run`: the container and what `up` would do to it, and why.
pub fn describe(
    loaded: &LoadedProject,
    service: &str,
    a: &Action,
    all: &[Action],
) -> (String, String) {
    let svc = &loaded.project.services[service];
    match a {
        Action::Create { number, .. } => {
            let existing = all
                .iter()
                .filter(|x| !matches!(x, Action::Create { .. } | Action::Remove { .. }))
                .count();
            let wanted = all
                .iter()
                .filter(|x| !matches!(x, Action::Remove { .. }))
                .count();
            let why = if existing == 0 {
                "no container yet".to_string()
            } else {
                format!("scale up from {existing} to {wanted}")
            };
            (
                spec::container_name(&loaded.name, service, svc, *number),
                format!("Create ({why})"),
            )
        }
        Action::Recreate { old, reason, .. } => (
            old.name.clone(),
            format!("Recreate ({})", recreate_detail(svc, old, reason)),
        ),
        Action::Start { container, .. } => (
            container.name.clone(),
            format!("Start ({}, configuration up to date)", container.state),
        ),
        Action::Keep { container, .. } => (
            container.name.clone(),
            if container.state == "exited" {
                "Leave alone (one-shot, exited 0, up to date)".into()
            } else {
                "Leave alone (running, up to date)".into()
            },
        ),
        Action::Remove { container, why, .. } => {
            (container.name.clone(), format!("Remove ({why})"))
        }
    }
}

/// Why a container is recreated; for a configuration change, the fields that changed with
/// their old and new values (from berth's config label on the old container).
pub fn recreate_detail(svc: &Service, old: &Observed, reason: &plan::RecreateReason) -> String {
    if !matches!(reason, plan::RecreateReason::ConfigChanged { .. }) {
        return reason.to_string();
    }
    let Some(before) = old
        .berth_config
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
    else {
        return format!(
            "{reason}; the container has no {} label (made by Compose v2 or an older berth): which fields changed is unknown",
            L::BERTH_CONFIG
        );
    };
    let diff = hash::config_diff(&before, &hash::hashed_config(svc));
    if diff.is_empty() {
        return format!("{reason}; the fields are the same: the hash was computed differently");
    }
    let show = |v: &Option<serde_json::Value>| match v {
        None => "(unset)".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                format!("{}…", s.chars().take(59).collect::<String>())
            } else {
                s
            }
        }
    };
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = diff
        .iter()
        .take(SHOWN)
        .map(|(k, o, n)| format!("{k}: {} -> {}", show(o), show(n)))
        .collect();
    if diff.len() > SHOWN {
        parts.push(format!("and {} more", diff.len() - SHOWN));
    }
    format!("configuration changed: {}", parts.join(", "))
}

/// Why an orphan is one: the files that declared it, against what the project reads now.
pub fn orphan_detail(loaded: &LoadedProject, o: &Observed) -> String {
    let now: Vec<String> = loaded
        .config_files
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    match o.config_files.as_deref() {
        Some(files) if files == now.join(",") => format!(
            "service \"{}\" is no longer declared in {}",
            o.service,
            files.replace(',', ", ")
        ),
        Some(files) => format!(
            "service \"{}\" was declared by {}, not by {}",
            o.service,
            files.replace(',', ", "),
            now.join(", ")
        ),
        None => format!("service \"{}\" is not declared by the project", o.service),
    }
}
