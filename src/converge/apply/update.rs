//! Updating a service's containers under `deploy.update_config` (or `rollback_config` when
//! `berth rollback` runs): replicas in batches of `parallelism`, `delay` apart. Each replacement
//! must become ready (healthy, or running without a healthcheck) and stay so for `monitor`
//! before the container it replaces goes; a replacement that fails never replaces a working
//! container, and `failure_action` says what happens to the rest of the service.
//!
//! `start-first`: the replacement starts beside the old container, out of the service's DNS
//! names (its aliases are held back), joins them once ready, and only then does the old one
//! leave its networks (new connections stop reaching it) and stop with its grace period.
//! `stop-first`: the old container leaves its networks and stops first; when the replacement
//! fails, the old one is started again.
//!
//! Until the whole service is done, replaced containers are kept stopped under a name aside,
//! so `rollback` can start them again; they are removed once the update is over.

use std::time::{Duration, Instant};

use berth_compose::model::{Service, UpdateConfig};
use berth_compose::syntax::parse_duration;
use berth_engine::{ContainerStatus, Endpoints, HealthStatus};

use super::describe::recreate_detail;
use super::walk::{create_container, NewContainer, Run};
use super::ApplyError;
use crate::converge::plan::{Observed, RecreateReason};
use crate::converge::report::Resource;

/// `order`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    StopFirst,
    StartFirst,
}

/// `failure_action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    Pause,
    Rollback,
    Continue,
}

/// How one service is updated: its `update_config` (or `rollback_config`) with the
/// specification's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// Replicas replaced at once (0: all).
    pub parallelism: usize,
    pub delay: Duration,
    pub monitor: Duration,
    pub order: Order,
    pub on_failure: OnFailure,
    pub max_failure_ratio: f32,
}

/// The policy of a service: None when it has no `update_config` (then `up` recreates as
/// Compose v2 does). A rollback uses `rollback_config`, else `update_config`.
pub fn policy(svc: &Service, rollback: bool) -> Option<Policy> {
    let d = svc.deploy.as_ref()?;
    let uc: &UpdateConfig = match rollback {
        true => d.rollback_config.as_ref().or(d.update_config.as_ref())?,
        false => d.update_config.as_ref()?,
    };
    let dur = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or_default()
    };
    Some(Policy {
        parallelism: uc.parallelism.map_or(1, |p| p as usize),
        delay: dur(&uc.delay),
        monitor: dur(&uc.monitor),
        order: match uc.order.as_deref() {
            Some("start-first") => Order::StartFirst,
            _ => Order::StopFirst,
        },
        on_failure: match uc.failure_action.as_deref() {
            Some("rollback") => OnFailure::Rollback,
            Some("continue") => OnFailure::Continue,
            _ => OnFailure::Pause,
        },
        max_failure_ratio: uc.max_failure_ratio.unwrap_or(0.0),
    })
}

/// One container to replace.
pub(super) struct Replace {
    pub number: u32,
    pub old: Observed,
    pub reason: RecreateReason,
}

/// A replica whose replacement took over, its old container kept aside until the end.
struct Swapped {
    new_id: String,
    old: Observed,
    /// Start-first: the old container left its networks before it stopped (their endpoints,
    /// to join again on a rollback). Stop-first: it kept them, and only stopped.
    old_endpoints: Option<Endpoints>,
    final_name: String,
}

/// Updates the containers of `name` under `policy`; returns the containers that run the
/// service afterwards. A failure beyond `max_failure_ratio` is an error naming the service,
/// the container and the reason, after `failure_action` was carried out.
pub(super) async fn roll(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    policy: &Policy,
    mut replace: Vec<Replace>,
) -> Result<Vec<String>, ApplyError> {
    replace.sort_by_key(|r| r.number);
    let total = replace.len();
    let order = effective_order(run, name, svc, policy)?;
    let batch = match policy.parallelism {
        0 => total.max(1),
        n => n,
    };
    let mut swapped: Vec<Swapped> = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut stopped_at: Option<String> = None;
    for (i, group) in replace.chunks(batch).enumerate() {
        if i > 0 && !policy.delay.is_zero() {
            tokio::time::sleep(policy.delay).await;
        }
        let steps = group
            .iter()
            .map(|r| replace_one(run, name, svc, policy, order, r));
        for (r, outcome) in group
            .iter()
            .zip(futures_util::future::join_all(steps).await)
        {
            match outcome? {
                Ok(s) => swapped.push(s),
                Err(why) => {
                    kept.push(r.old.id.clone());
                    failures.push(why);
                }
            }
        }
        let ratio = failures.len() as f32 / total.max(1) as f32;
        if !failures.is_empty()
            && ratio > policy.max_failure_ratio
            && policy.on_failure != OnFailure::Continue
        {
            stopped_at = Some(format!("{} of {total} replicas updated", swapped.len()));
            break;
        }
    }
    let ratio = failures.len() as f32 / total.max(1) as f32;
    let failed = !failures.is_empty() && ratio > policy.max_failure_ratio;
    let p = run.progress;
    if failed && policy.on_failure == OnFailure::Rollback {
        for s in swapped.drain(..) {
            restore(run, name, &s).await?;
            kept.push(s.old.id.clone());
        }
    }
    // Replicas a paused update did not reach keep their containers.
    let untouched: Vec<String> = replace
        .iter()
        .filter(|r| !kept.contains(&r.old.id) && !swapped.iter().any(|s| s.old.id == r.old.id))
        .map(|r| r.old.id.clone())
        .collect();
    kept.extend(untouched);
    // The update is over: the containers it replaced go.
    for s in &swapped {
        run.engine
            .remove_container(&s.old.id, run.opts.renew_anon_volumes)
            .await?;
        p.update(Resource::Container, &s.final_name, "Recreated", "");
    }
    let mut ids: Vec<String> = swapped.iter().map(|s| s.new_id.clone()).collect();
    ids.extend(kept);
    if !failures.is_empty() && !failed {
        p.warn(&format!(
            "service \"{name}\": {} of {total} replacements failed, within max_failure_ratio {}: {}",
            failures.len(),
            policy.max_failure_ratio,
            failures.join("; ")
        ));
    }
    if failed {
        let what = match policy.on_failure {
            OnFailure::Rollback => "rolled back: every replica runs its previous container",
            OnFailure::Pause => "paused",
            OnFailure::Continue => "continued",
        };
        let place = stopped_at.map(|s| format!(" ({s})")).unwrap_or_default();
        return Err(ApplyError::Update(format!(
            "service \"{name}\": update failed, {what}{place}: {}",
            failures.join("; ")
        )));
    }
    Ok(ids)
}

/// The order the service can have: start-first needs a second container to fit beside the
/// first (no fixed host port, static address, or writable volume both would write).
fn effective_order(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    policy: &Policy,
) -> Result<Order, ApplyError> {
    if policy.order == Order::StopFirst {
        return Ok(Order::StopFirst);
    }
    if let Some(what) = super::walk::exclusive(run, name, svc)? {
        let msg = format!(
            "services.{name}.deploy.update_config.order: start-first needs two containers at once, but {what} can be held by one: updated stop-first (put the service behind a proxy service to update it without downtime; see docs/updates.md)"
        );
        if run.opts.strict {
            return Err(ApplyError::Invalid(msg));
        }
        run.progress.warn(&msg);
        return Ok(Order::StopFirst);
    }
    Ok(Order::StartFirst)
}

/// Replaces one container. The outer error stops `up` (the engine failed); the inner one is a
/// replacement that failed (its old container is back), with the reason.
async fn replace_one(
    run: &Run<'_>,
    name: &str,
    svc: &Service,
    policy: &Policy,
    order: Order,
    r: &Replace,
) -> Result<Result<Swapped, String>, ApplyError> {
    let _permit = run
        .limit
        .acquire()
        .await
        .map_err(|_| ApplyError::Interrupted)?;
    let engine = run.engine;
    let p = run.progress;
    let old = &r.old;
    let why = recreate_detail(svc, old, &r.reason);
    p.update(
        Resource::Container,
        &old.name,
        "Recreate",
        &format!("({why}, {})", order_word(order)),
    );
    let inherited = if run.opts.renew_anon_volumes {
        None
    } else {
        engine.inspect_container(&old.id).await.ok()
    };
    let final_name = berth_engine::spec::container_name(&run.loaded.name, name, svc, r.number);
    let old_aside = aside_name(&old.id, &final_name);
    match order {
        Order::StartFirst => {
            // The replacement's name aside is Compose v2's for a recreate.
            let new_aside = format!("{}_{final_name}", &old.id[..old.id.len().min(12)]);
            let created = create_container(
                run,
                name,
                svc,
                r.number,
                NewContainer {
                    inherit_from: inherited.as_ref(),
                    start: true,
                    aside: Some(&new_aside),
                    hold_aliases: true,
                },
            )
            .await?;
            let new_id = created.id;
            if let Err(why) = ready(run, &new_id, &final_name).await? {
                discard(run, &new_id, false).await;
                p.update(Resource::Container, &old.name, "Kept", "");
                return Ok(Err(why));
            }
            engine.publish(&new_id, &created.held).await?;
            if let Err(why) = watch(run, &new_id, &final_name, policy.monitor).await? {
                discard(run, &new_id, true).await;
                p.update(Resource::Container, &old.name, "Kept", "");
                return Ok(Err(why));
            }
            p.update(Resource::Container, &old.name, "Stopping", "");
            let old_endpoints = engine.leave_networks(&old.id).await?;
            engine.stop_container(&old.id, run.opts.timeout).await?;
            engine.rename_container(&old.id, &old_aside).await?;
            engine.rename_container(&new_id, &final_name).await?;
            remember(run, &final_name, &new_id);
            p.update(Resource::Container, &final_name, "Updated", "");
            Ok(Ok(Swapped {
                new_id,
                old: old.clone(),
                old_endpoints: Some(old_endpoints),
                final_name,
            }))
        }
        Order::StopFirst => {
            // Stopping takes it out of the service's names (leaving the networks first would
            // not spare a request: nothing else answers in between).
            p.update(Resource::Container, &old.name, "Stopping", "");
            engine.stop_container(&old.id, run.opts.timeout).await?;
            engine.rename_container(&old.id, &old_aside).await?;
            let created = create_container(
                run,
                name,
                svc,
                r.number,
                NewContainer {
                    inherit_from: inherited.as_ref(),
                    start: true,
                    aside: None,
                    hold_aliases: false,
                },
            )
            .await;
            let failure = match created {
                Err(e) => Some((None, e.to_string())),
                Ok(c) => match ready(run, &c.id, &final_name).await? {
                    Err(why) => Some((Some(c.id), why)),
                    Ok(()) => match watch(run, &c.id, &final_name, policy.monitor).await? {
                        Err(why) => Some((Some(c.id), why)),
                        Ok(()) => {
                            remember(run, &final_name, &c.id);
                            p.update(Resource::Container, &final_name, "Updated", "");
                            return Ok(Ok(Swapped {
                                new_id: c.id,
                                old: old.clone(),
                                old_endpoints: None,
                                final_name,
                            }));
                        }
                    },
                },
            };
            let Some((new_id, why)) = failure else {
                unreachable!("every path above returns or fails")
            };
            if let Some(id) = new_id {
                discard(run, &id, false).await;
            }
            engine.rename_container(&old.id, &final_name).await?;
            engine.start_container(&old.id).await?;
            remember(run, &final_name, &old.id);
            p.update(Resource::Container, &final_name, "Restored", "");
            Ok(Err(why))
        }
    }
}

/// Puts a replaced container back in the place of its replacement. Start-first, without a
/// gap: it starts out of the service's names, joins them once ready, and the replacement then
/// leaves. Stop-first: the replacement stops, the old container starts.
async fn restore(run: &Run<'_>, name: &str, s: &Swapped) -> Result<(), ApplyError> {
    let engine = run.engine;
    let p = run.progress;
    p.update(Resource::Container, &s.final_name, "Rolling back", "");
    let aside = aside_name(&s.new_id, &s.final_name);
    match &s.old_endpoints {
        Some(eps) => {
            engine
                .join_networks(&s.old.id, &eps.without_aliases())
                .await?;
            engine.start_container(&s.old.id).await?;
            if let Err(why) = ready(run, &s.old.id, &s.final_name).await? {
                return Err(ApplyError::Update(format!(
                    "service \"{name}\": rollback failed: the previous container {} did not come back: {why}",
                    s.final_name
                )));
            }
            engine.publish(&s.old.id, eps).await?;
            // The replacement leaves the names before it stops: no new connection reaches it.
            let _ = engine.leave_networks(&s.new_id).await;
            engine.stop_container(&s.new_id, run.opts.timeout).await?;
            engine.remove_container(&s.new_id, false).await?;
            engine.rename_container(&s.old.id, &s.final_name).await?;
        }
        None => {
            engine.stop_container(&s.new_id, run.opts.timeout).await?;
            engine.rename_container(&s.new_id, &aside).await?;
            engine.rename_container(&s.old.id, &s.final_name).await?;
            engine.start_container(&s.old.id).await?;
            engine.remove_container(&s.new_id, false).await?;
        }
    }
    remember(run, &s.final_name, &s.old.id);
    p.update(Resource::Container, &s.final_name, "Rolled back", "");
    Ok(())
}

/// A replacement that failed goes: out of the names first when it joined them, then stopped
/// and removed (its anonymous volumes are the old container's: kept).
async fn discard(run: &Run<'_>, id: &str, published: bool) {
    let engine = run.engine;
    if published {
        let _ = engine.leave_networks(id).await;
    }
    let _ = engine.stop_container(id, Some(0)).await;
    let _ = engine.remove_container(id, false).await;
}

fn remember(run: &Run<'_>, name: &str, id: &str) {
    if let Ok(mut names) = run.names.lock() {
        names.insert(name.to_string(), id.to_string());
    }
}

fn order_word(o: Order) -> &'static str {
    match o {
        Order::StartFirst => "start-first",
        Order::StopFirst => "stop-first",
    }
}

/// The name a replaced container waits under until the update is over.
fn aside_name(id: &str, final_name: &str) -> String {
    format!("{final_name}-replaced-{}", &id[..id.len().min(12)])
}

/// The longest a replacement may take to become ready: its healthcheck's whole budget
/// (start period, then every retry), or `--wait-timeout`, else two minutes.
fn ready_budget(run: &Run<'_>, details: &berth_engine::ContainerDetails) -> Duration {
    if let Some(t) = run.opts.wait_timeout {
        return t;
    }
    let base = Duration::from_secs(120);
    match &details.healthcheck {
        Some(h) if h.is_active() => {
            let interval = if h.interval.is_zero() {
                Duration::from_secs(30)
            } else {
                h.interval
            };
            let timeout = if h.timeout.is_zero() {
                Duration::from_secs(30)
            } else {
                h.timeout
            };
            base.max(h.start_period + (interval + timeout) * (h.retries.max(3) as u32 + 1))
        }
        _ => base,
    }
}

/// Waits until a replacement is ready: healthy, or running for a moment without a
/// healthcheck. The reason it is not: it exited, was restarted, is unhealthy (with the last
/// probe's output), or ran out of time.
async fn ready(run: &Run<'_>, id: &str, shown: &str) -> Result<Result<(), String>, ApplyError> {
    const SETTLE: Duration = Duration::from_millis(500);
    let first = run.engine.inspect_container(id).await?;
    let budget = ready_budget(run, &first);
    let deadline = Instant::now() + budget;
    let restarts = first.restart_count;
    let mut running_since: Option<Instant> = None;
    run.progress
        .update(Resource::Container, shown, "Waiting", "");
    loop {
        let notified = run.events.notified();
        let i = run.engine.inspect_container(id).await?;
        if let Some(why) = failing(&i, restarts) {
            run.progress
                .update(Resource::Container, shown, "Error", &why);
            return Ok(Err(format!("container {shown}: {why}")));
        }
        let mut wait = Duration::from_secs(2);
        if i.state.status == ContainerStatus::Running {
            if i.has_healthcheck() {
                if i.health() == HealthStatus::Healthy {
                    run.progress
                        .update(Resource::Container, shown, "Healthy", "");
                    return Ok(Ok(()));
                }
                if let Some(next) = super::wait::next_look(run, id, &i, true).await {
                    wait = wait.min(next);
                } else {
                    continue;
                }
            } else {
                let since = *running_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= SETTLE {
                    run.progress
                        .update(Resource::Container, shown, "Running", "");
                    return Ok(Ok(()));
                }
                wait = SETTLE - since.elapsed();
            }
        } else {
            running_since = None;
        }
        let now = Instant::now();
        if now >= deadline {
            let why = format!("not ready after {}s{}", budget.as_secs(), last_probe(&i));
            return Ok(Err(format!("container {shown}: {why}")));
        }
        let _ = tokio::time::timeout(wait.min(deadline - now), notified).await;
    }
}

/// Watches a ready replacement for `monitor`: it must not exit, restart or turn unhealthy.
async fn watch(
    run: &Run<'_>,
    id: &str,
    shown: &str,
    monitor: Duration,
) -> Result<Result<(), String>, ApplyError> {
    if monitor.is_zero() {
        return Ok(Ok(()));
    }
    let first = run.engine.inspect_container(id).await?;
    let restarts = first.restart_count;
    let until = Instant::now() + monitor;
    run.progress.update(
        Resource::Container,
        shown,
        "Monitoring",
        &format!("{}s", monitor.as_secs_f32()),
    );
    loop {
        let notified = run.events.notified();
        let i = run.engine.inspect_container(id).await?;
        if let Some(why) = failing(&i, restarts) {
            run.progress
                .update(Resource::Container, shown, "Error", &why);
            return Ok(Err(format!(
                "container {shown} failed within monitor: {why}"
            )));
        }
        let now = Instant::now();
        if now >= until {
            return Ok(Ok(()));
        }
        let mut wait = Duration::from_secs(1).min(until - now);
        if i.has_healthcheck() {
            match super::wait::next_look(run, id, &i, true).await {
                Some(next) => wait = wait.min(next),
                None => continue,
            }
        }
        let _ = tokio::time::timeout(wait, notified).await;
    }
}

/// Why a replacement has failed, if it has.
fn failing(i: &berth_engine::ContainerDetails, restarts: i64) -> Option<String> {
    let s = &i.state;
    if s.oom_killed {
        return Some("was OOM-killed (its memory limit is too small)".into());
    }
    if i.restart_count > restarts || s.restarting {
        return Some(format!("was restarted (exit {})", s.exit_code));
    }
    if s.status.has_stopped() {
        return Some(format!("exited with code {}", s.exit_code));
    }
    if i.health() == HealthStatus::Unhealthy {
        return Some(format!("is unhealthy{}", last_probe(i)));
    }
    None
}

/// The last probe's exit code and output, to say why a container is not healthy.
fn last_probe(i: &berth_engine::ContainerDetails) -> String {
    let Some(p) = i.state.health.as_ref().and_then(|h| h.log.last()) else {
        return String::new();
    };
    let out = p.output.trim();
    let out: String = out.chars().take(200).collect();
    if out.is_empty() {
        format!(": last probe exit {}", p.exit_code)
    } else {
        format!(": last probe exit {}: {out}", p.exit_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_compose::model::DeployConfig;

    fn service(update: Option<UpdateConfig>, rollback: Option<UpdateConfig>) -> Service {
        Service {
            deploy: Some(DeployConfig {
                update_config: update,
                rollback_config: rollback,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn policies_take_the_specification_s_defaults() {
        assert_eq!(policy(&Service::default(), false), None);
        let p = policy(&service(Some(UpdateConfig::default()), None), false).unwrap();
        assert_eq!(
            p,
            Policy {
                parallelism: 1,
                delay: Duration::ZERO,
                monitor: Duration::ZERO,
                order: Order::StopFirst,
                on_failure: OnFailure::Pause,
                max_failure_ratio: 0.0,
            }
        );
        let full = UpdateConfig {
            parallelism: Some(0),
            delay: Some("1m30s".into()),
            monitor: Some("500ms".into()),
            order: Some("start-first".into()),
            failure_action: Some("rollback".into()),
            max_failure_ratio: Some(0.5),
            ..Default::default()
        };
        let p = policy(&service(Some(full.clone()), None), false).unwrap();
        assert_eq!(p.parallelism, 0);
        assert_eq!(p.delay, Duration::from_secs(90));
        assert_eq!(p.monitor, Duration::from_millis(500));
        assert_eq!(
            (p.order, p.on_failure),
            (Order::StartFirst, OnFailure::Rollback)
        );
        // A rollback follows rollback_config, else update_config.
        let back = UpdateConfig {
            failure_action: Some("continue".into()),
            ..Default::default()
        };
        let p = policy(&service(Some(full.clone()), Some(back)), true).unwrap();
        assert_eq!(
            (p.order, p.on_failure),
            (Order::StopFirst, OnFailure::Continue)
        );
        let p = policy(&service(Some(full), None), true).unwrap();
        assert_eq!(p.order, Order::StartFirst);
    }
}
