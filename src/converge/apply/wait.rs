//! Waiting for a container to meet a condition (`service_healthy`, `service_completed_successfully`,
//! `up --wait`), woken by the project's events; on Podman, berth runs the healthcheck while it
//! waits.

use std::time::{Duration, Instant};

use berth_compose::graph::Condition;
use berth_engine::{ContainerStatus, HealthStatus};

use super::walk::Run;
use super::ApplyError;
use crate::converge::report::Resource;

/// Waits until a dependency's container meets `condition`, woken by engine events.
pub(super) async fn wait_condition(
    run: &Run<'_>,
    service: &str,
    id: &str,
    condition: Condition,
) -> Result<(), String> {
    if condition == Condition::Started {
        return Ok(());
    }
    let mut shown = false;
    loop {
        // Register interest before inspecting, so an event between the two is not lost.
        let notified = run.events.notified();
        let i = run
            .engine
            .inspect_container(id)
            .await
            .map_err(|e| e.to_string())?;
        let name = i.name.clone();
        let state = &i.state;
        let status = state.status;
        let exited = status.has_stopped();
        match condition {
            Condition::Healthy => {
                if !i.has_healthcheck() {
                    return Err(format!("container {name} has no healthcheck configured"));
                }
                if let Some(verdict) = health_verdict(run, &name, i.health()) {
                    return verdict;
                }
                if exited {
                    return Err(format!("container {name} exited ({})", state.exit_code));
                }
            }
            Condition::CompletedSuccessfully => {
                if exited {
                    let code = state.exit_code;
                    if code == 0 {
                        run.progress
                            .update(Resource::Container, &name, "Exited", "");
                        return Ok(());
                    }
                    run.progress.update(
                        Resource::Container,
                        &name,
                        "Error",
                        &format!("exit {code}"),
                    );
                    return Err(format!(
                        "service \"{service}\" didn't complete successfully: exit {code}"
                    ));
                }
            }
            Condition::Started => return Ok(()),
        }
        if !shown {
            run.progress
                .update(Resource::Container, &name, "Waiting", "");
            shown = true;
        }
        let checks = condition == Condition::Healthy && status == ContainerStatus::Running;
        let Some(wait) = next_look(run, id, &i, checks).await else {
            continue;
        };
        // Events wake us at once; the timeout only guards against a missed event.
        let _ = tokio::time::timeout(wait, notified).await;
    }
}

/// `--wait`: a container is ready when it runs (and is healthy if it has a healthcheck), or
/// when it is a one-shot container that exited 0 (Compose v2 fails there, docker/compose#10596).
pub(super) async fn wait_ready(
    run: &Run<'_>,
    id: &str,
    deadline: Option<Instant>,
) -> Result<(), ApplyError> {
    // When it was first seen running (without a healthcheck it must stay up a moment).
    let mut running_since: Option<Instant> = None;
    const SETTLE: Duration = Duration::from_millis(300);
    loop {
        let notified = run.events.notified();
        let i = run.engine.inspect_container(id).await?;
        let name = i.name.clone();
        let state = &i.state;
        let has_check = i.has_healthcheck();
        if state.status != ContainerStatus::Running {
            // A restart policy's next run must settle again.
            running_since = None;
        }
        match state.status {
            ContainerStatus::Exited | ContainerStatus::Dead => {
                let code = state.exit_code;
                if code == 0 {
                    run.progress
                        .update(Resource::Container, &name, "Exited", "");
                    return Ok(());
                }
                return Err(ApplyError::Dependency(format!(
                    "container {name} exited ({code})"
                )));
            }
            ContainerStatus::Running => {
                if !has_check {
                    // Without a healthcheck, "running" is all there is to wait for; a short
                    // settle time catches a container that exits right after it starts (an
                    // event may wake us before it is over: the time is what counts).
                    let since = *running_since.get_or_insert_with(Instant::now);
                    let up_for = since.elapsed();
                    if up_for >= SETTLE {
                        run.progress
                            .update(Resource::Container, &name, "Running", "");
                        return Ok(());
                    }
                    let _ = tokio::time::timeout(SETTLE - up_for, notified).await;
                    continue;
                }
                if let Some(verdict) = health_verdict(run, &name, i.health()) {
                    return verdict.map_err(ApplyError::Dependency);
                }
            }
            _ => {}
        }
        run.progress
            .update(Resource::Container, &name, "Waiting", "");
        let checks = has_check && state.status == ContainerStatus::Running;
        let Some(mut wait) = next_look(run, id, &i, checks).await else {
            continue;
        };
        if let Some(d) = deadline {
            let now = Instant::now();
            if now >= d {
                return Err(ApplyError::Timeout(format!(
                    "application not healthy after {:?}",
                    run.opts.wait_timeout.unwrap_or_default()
                )));
            }
            wait = wait.min(d - now);
        }
        let _ = tokio::time::timeout(wait, notified).await;
    }
}

/// A health status that ends the wait, shown: healthy is done, unhealthy an error.
fn health_verdict(run: &Run<'_>, name: &str, health: HealthStatus) -> Option<Result<(), String>> {
    match health {
        HealthStatus::Healthy => {
            run.progress
                .update(Resource::Container, name, "Healthy", "");
            Some(Ok(()))
        }
        HealthStatus::Unhealthy => {
            run.progress
                .update(Resource::Container, name, "Error", "unhealthy");
            Some(Err(format!("container {name} is unhealthy")))
        }
        _ => None,
    }
}

/// How long to wait for an event before looking again; `None` to look again now (a check
/// berth ran has just finished). On Podman without systemd, `checks` has berth run a due
/// healthcheck itself while it waits.
pub(super) async fn next_look(
    run: &Run<'_>,
    id: &str,
    container: &berth_engine::ContainerDetails,
    checks: bool,
) -> Option<Duration> {
    let wait = Duration::from_secs(2);
    if !checks {
        return Some(wait);
    }
    match run.engine.drive_healthcheck(id, container).await {
        Some(Duration::ZERO) => None,
        Some(left) => Some(wait.min(left)),
        None => Some(wait),
    }
}
