//! The plan: what `up` must do to bring the engine to the project, decided from the project and
//! what the engine reports for the project's labels. Pure data, no I/O, so it is tested alone.

use std::collections::BTreeMap;

use berth_engine::labels as L;
use berth_engine::{ComposeLabels, ContainerSummary};

/// A container of the project as the engine reports it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub config_hash: Option<String>,
    /// The image ID the container was created from (`com.docker.compose.image`).
    pub image_id: Option<String>,
    /// `running`, `exited`, `created`, `paused`, ...
    pub state: String,
    /// The exit code of an exited container.
    pub exit_code: Option<i64>,
    /// berth's copy of the config the hash covers (`com.docker.compose.berth.config`).
    pub berth_config: Option<String>,
    /// The files of the project that created it (`com.docker.compose.project.config_files`).
    pub config_files: Option<String>,
    /// All its labels.
    pub labels: BTreeMap<String, String>,
}

impl Observed {
    /// What the plan needs of a listed container.
    pub fn from_summary(c: &ContainerSummary) -> Observed {
        let get = |k: &str| c.label(k).map(str::to_string);
        Observed {
            id: c.id.clone(),
            name: c.name.clone(),
            service: c.service().to_string(),
            number: c.number(),
            oneoff: c.oneoff(),
            config_hash: get(L::CONFIG_HASH),
            image_id: get(L::IMAGE),
            state: c.state.to_string(),
            exit_code: c.exit_code(),
            berth_config: get(L::BERTH_CONFIG),
            config_files: get(L::CONFIG_FILES),
            labels: c
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

/// What the project wants of one service.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub service: String,
    pub replicas: u32,
    /// Compose v2's hash (the `config-hash` label), for containers Compose v2 made.
    pub config_hash: String,
    /// berth's copy of the config that decides recreation (the `berth.config` label).
    pub berth_config: String,
    /// The ID of the image the service runs now (None when unknown).
    pub image_id: Option<String>,
    /// A one-shot service (others wait for it with `service_completed_successfully`): once it
    /// has exited 0, a later `up` leaves it alone instead of running it again.
    pub one_shot: bool,
}

/// Whether a container's configuration differs from the project's: by berth's own config label
/// when the container has one (it leaves out `depends_on`, so `up --no-deps` recreates nothing),
/// else (a container Compose v2 made) by Compose v2's hash.
fn config_differs(o: &Observed, d: &Desired) -> bool {
    match &o.berth_config {
        Some(c) => *c != d.berth_config,
        None => o.config_hash.as_deref() != Some(d.config_hash.as_str()),
    }
}

/// How `up` treats containers that exist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecreatePolicy {
    /// Recreate what changed (the default).
    #[default]
    Diverged,
    /// `--force-recreate`.
    Force,
    /// `--no-recreate`.
    Never,
}

/// Why a container is recreated (shown by `up` and `up --dry-run`).
#[derive(Clone, Debug, PartialEq)]
pub enum RecreateReason {
    Forced,
    ConfigChanged {
        old: Option<String>,
        new: String,
    },
    ImageChanged {
        old: Option<String>,
        new: String,
    },
    /// A start-first update was interrupted before the replacement joined its service's
    /// names: it is replaced again.
    Interrupted,
}

impl std::fmt::Display for RecreateReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short = |s: &Option<String>| {
            s.as_deref()
                .map(|x| {
                    x.trim_start_matches("sha256:")
                        .chars()
                        .take(12)
                        .collect::<String>()
                })
                .unwrap_or_else(|| "none".into())
        };
        match self {
            RecreateReason::Forced => write!(f, "--force-recreate"),
            RecreateReason::Interrupted => write!(
                f,
                "an interrupted update left it out of its service's network aliases"
            ),
            RecreateReason::ConfigChanged { old, new } => {
                write!(
                    f,
                    "configuration changed (hash {} -> {})",
                    short(old),
                    short(&Some(new.clone()))
                )
            }
            RecreateReason::ImageChanged { old, new } => {
                write!(
                    f,
                    "image changed ({} -> {})",
                    short(old),
                    short(&Some(new.clone()))
                )
            }
        }
    }
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create {
        service: String,
        number: u32,
    },
    Recreate {
        service: String,
        number: u32,
        old: Observed,
        reason: RecreateReason,
    },
    Start {
        service: String,
        container: Observed,
    },
    Keep {
        service: String,
        container: Observed,
    },
    Remove {
        service: String,
        container: Observed,
        why: String,
    },
}

impl Action {
    pub fn service(&self) -> &str {
        match self {
            Action::Create { service, .. }
            | Action::Recreate { service, .. }
            | Action::Start { service, .. }
            | Action::Keep { service, .. }
            | Action::Remove { service, .. } => service,
        }
    }
}

/// The whole plan: per service, in the order services were given; orphans apart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    pub services: BTreeMap<String, Vec<Action>>,
    /// Containers of services the project no longer declares.
    pub orphans: Vec<Observed>,
}

/// A container a start-first update created out of its service's aliases and left under its
/// name aside (`<12 hex>_<name>`): the update did not get to publish it.
fn held_back(o: &Observed) -> bool {
    let aside = o
        .name
        .split_once('_')
        .is_some_and(|(id, _)| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    aside && o.labels.get(L::BERTH_HELD).map(String::as_str) == Some("True")
}

/// Decides, per service, which containers to create, recreate, start, keep or remove.
pub fn plan(
    desired: &[Desired],
    observed: &[Observed],
    known_services: &[String],
    policy: RecreatePolicy,
) -> Plan {
    let mut out = Plan::default();
    for d in desired {
        let mut existing: Vec<&Observed> = observed
            .iter()
            .filter(|o| !o.oneoff && o.service == d.service)
            .collect();
        existing.sort_by_key(|o| o.number);
        let mut actions = Vec::new();
        // Scale down: diverged containers first, then the highest numbers.
        let diverged = |o: &Observed| config_differs(o, d);
        let mut keep: Vec<&Observed> = existing.clone();
        if keep.len() > d.replicas as usize {
            let mut order: Vec<&Observed> = keep.clone();
            // A replacement an interrupted start-first update left out of the service's
            // names goes first: the container it was to replace still serves, and is then
            // updated again as it should have been.
            order.sort_by_key(|o| (!held_back(o), !diverged(o), std::cmp::Reverse(o.number)));
            let excess = keep.len() - d.replicas as usize;
            let removed: Vec<&Observed> = order.into_iter().take(excess).collect();
            for r in &removed {
                actions.push(Action::Remove {
                    service: d.service.clone(),
                    container: (*r).clone(),
                    why: format!("scaled down to {}", d.replicas),
                });
            }
            keep.retain(|o| !removed.iter().any(|r| r.id == o.id));
        }
        for o in &keep {
            let reason = match policy {
                _ if held_back(o) => Some(RecreateReason::Interrupted),
                RecreatePolicy::Never => None,
                RecreatePolicy::Force => Some(RecreateReason::Forced),
                RecreatePolicy::Diverged => {
                    if config_differs(o, d) {
                        Some(RecreateReason::ConfigChanged {
                            old: o.config_hash.clone(),
                            new: d.config_hash.clone(),
                        })
                    } else {
                        match (&d.image_id, &o.image_id) {
                            (Some(new), old) if old.as_deref() != Some(new.as_str()) => {
                                Some(RecreateReason::ImageChanged {
                                    old: old.clone(),
                                    new: new.clone(),
                                })
                            }
                            _ => None,
                        }
                    }
                }
            };
            actions.push(match reason {
                Some(reason) => Action::Recreate {
                    service: d.service.clone(),
                    number: o.number,
                    old: (*o).clone(),
                    reason,
                },
                None if d.one_shot && o.state == "exited" && o.exit_code == Some(0) => {
                    Action::Keep {
                        service: d.service.clone(),
                        container: (*o).clone(),
                    }
                }
                None if o.state != "running" => Action::Start {
                    service: d.service.clone(),
                    container: (*o).clone(),
                },
                None => Action::Keep {
                    service: d.service.clone(),
                    container: (*o).clone(),
                },
            });
        }
        // Scale up: new numbers continue after the highest one in use.
        let first = existing.iter().map(|o| o.number).max().unwrap_or(0) + 1;
        let missing = (d.replicas as usize).saturating_sub(keep.len()) as u32;
        for number in first..first + missing {
            actions.push(Action::Create {
                service: d.service.clone(),
                number,
            });
        }
        out.services.insert(d.service.clone(), actions);
    }
    out.orphans = observed
        .iter()
        .filter(|o| !o.oneoff && !known_services.contains(&o.service))
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(service: &str, n: u32, hash: &str, state: &str) -> Observed {
        Observed {
            id: format!("{service}{n}"),
            name: format!("p-{service}-{n}"),
            service: service.into(),
            number: n,
            oneoff: false,
            config_hash: Some(hash.into()),
            image_id: Some("sha256:img".into()),
            state: state.into(),
            exit_code: (state == "exited").then_some(0),
            ..Default::default()
        }
    }
    fn want(service: &str, replicas: u32, hash: &str) -> Desired {
        Desired {
            service: service.into(),
            replicas,
            config_hash: hash.into(),
            berth_config: format!("{{\"h\":\"{hash}\"}}"),
            image_id: Some("sha256:img".into()),
            one_shot: false,
        }
    }
    #[test]
    fn an_interrupted_start_first_replacement_goes_and_the_old_one_is_updated() {
        let old = obs("web", 1, "h1", "running");
        let mut held = obs("web", 1, "h2", "running");
        held.id = "held".into();
        held.name = "0123456789ab_p-web-1".into();
        held.labels.insert(L::BERTH_HELD.into(), "True".into());
        let p = plan(
            &[want("web", 1, "h2")],
            &[old.clone(), held.clone()],
            &["web".into()],
            RecreatePolicy::Diverged,
        );
        let acts = &p.services["web"];
        assert!(
            matches!(&acts[0], Action::Remove { container, .. } if container.id == "held"),
            "{acts:?}"
        );
        assert!(
            matches!(&acts[1], Action::Recreate { old: o, .. } if o.id == old.id),
            "{acts:?}"
        );
        // Alone (the old one is gone), it is replaced rather than kept out of the names.
        let p = plan(
            &[want("web", 1, "h2")],
            &[held],
            &["web".into()],
            RecreatePolicy::Diverged,
        );
        assert!(
            matches!(
                &p.services["web"][0],
                Action::Recreate {
                    reason: RecreateReason::Interrupted,
                    ..
                }
            ),
            "{:?}",
            p.services["web"]
        );
    }

    fn kinds(p: &Plan, s: &str) -> Vec<String> {
        p.services[s]
            .iter()
            .map(|a| match a {
                Action::Create { number, .. } => format!("create {number}"),
                Action::Recreate { number, .. } => format!("recreate {number}"),
                Action::Start { container, .. } => format!("start {}", container.number),
                Action::Keep { container, .. } => format!("keep {}", container.number),
                Action::Remove { container, .. } => format!("remove {}", container.number),
            })
            .collect()
    }

    #[test]
    fn plan_table() {
        let known = vec!["web".to_string()];
        type Case<'a> = (
            &'a str,
            Vec<Desired>,
            Vec<Observed>,
            RecreatePolicy,
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "nothing there: create",
                vec![want("web", 2, "h")],
                vec![],
                RecreatePolicy::Diverged,
                vec!["create 1", "create 2"],
            ),
            (
                "berth's own config label decides over Compose v2's hash: keep",
                vec![want("web", 1, "h")],
                vec![Observed {
                    berth_config: Some("{\"h\":\"h\"}".into()),
                    ..obs("web", 1, "v2-hash-of-another-depends_on", "running")
                }],
                RecreatePolicy::Diverged,
                vec!["keep 1"],
            ),
            (
                "berth's own config label differs: recreate",
                vec![want("web", 1, "h")],
                vec![Observed {
                    berth_config: Some("{\"h\":\"old\"}".into()),
                    ..obs("web", 1, "h", "running")
                }],
                RecreatePolicy::Diverged,
                vec!["recreate 1"],
            ),
            (
                "up to date: keep",
                vec![want("web", 1, "h")],
                vec![obs("web", 1, "h", "running")],
                RecreatePolicy::Diverged,
                vec!["keep 1"],
            ),
            (
                "stopped: start",
                vec![want("web", 1, "h")],
                vec![obs("web", 1, "h", "exited")],
                RecreatePolicy::Diverged,
                vec!["start 1"],
            ),
            (
                "changed: recreate",
                vec![want("web", 1, "h2")],
                vec![obs("web", 1, "h", "running")],
                RecreatePolicy::Diverged,
                vec!["recreate 1"],
            ),
            (
                "changed, --no-recreate: keep",
                vec![want("web", 1, "h2")],
                vec![obs("web", 1, "h", "running")],
                RecreatePolicy::Never,
                vec!["keep 1"],
            ),
            (
                "--force-recreate",
                vec![want("web", 1, "h")],
                vec![obs("web", 1, "h", "running")],
                RecreatePolicy::Force,
                vec!["recreate 1"],
            ),
            (
                "scale up continues numbering",
                vec![want("web", 3, "h")],
                vec![obs("web", 2, "h", "running")],
                RecreatePolicy::Diverged,
                vec!["keep 2", "create 3", "create 4"],
            ),
            (
                "scale down removes the highest",
                vec![want("web", 1, "h")],
                vec![
                    obs("web", 1, "h", "running"),
                    obs("web", 2, "h", "running"),
                    obs("web", 3, "h", "running"),
                ],
                RecreatePolicy::Diverged,
                vec!["remove 3", "remove 2", "keep 1"],
            ),
            (
                "scale down removes diverged first",
                vec![want("web", 1, "h")],
                vec![
                    obs("web", 1, "old", "running"),
                    obs("web", 2, "h", "running"),
                ],
                RecreatePolicy::Diverged,
                vec!["remove 1", "keep 2"],
            ),
        ];
        for (name, d, o, policy, expect) in cases {
            let p = plan(&d, &o, &known, policy);
            assert_eq!(kinds(&p, "web"), expect, "{name}");
        }
    }

    #[test]
    fn a_completed_one_shot_is_left_alone_but_a_failed_one_reruns() {
        let mut d = want("web", 1, "h");
        d.one_shot = true;
        let done = obs("web", 1, "h", "exited");
        assert_eq!(
            kinds(
                &plan(
                    &[d.clone()],
                    std::slice::from_ref(&done),
                    &["web".into()],
                    RecreatePolicy::Diverged
                ),
                "web"
            ),
            vec!["keep 1"]
        );
        let mut failed = done;
        failed.exit_code = Some(3);
        assert_eq!(
            kinds(
                &plan(&[d], &[failed], &["web".into()], RecreatePolicy::Diverged),
                "web"
            ),
            vec!["start 1"]
        );
    }

    #[test]
    fn image_change_recreates_and_orphans_are_found() {
        let mut o = obs("web", 1, "h", "running");
        o.image_id = Some("sha256:old".into());
        let orphan = obs("gone", 1, "x", "running");
        let p = plan(
            &[want("web", 1, "h")],
            &[o, orphan.clone()],
            &["web".into()],
            RecreatePolicy::Diverged,
        );
        assert!(matches!(
            p.services["web"][0],
            Action::Recreate {
                reason: RecreateReason::ImageChanged { .. },
                ..
            }
        ));
        assert_eq!(p.orphans, vec![orphan]);
    }
}
