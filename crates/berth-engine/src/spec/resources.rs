//! CPU, memory, block I/O, devices and GPUs (service level and `deploy.resources`), and the
//! `deploy` keys only Swarm applies.

use berth_compose::model::ThrottleDevice as ComposeThrottle;
use bollard::models::{
    DeviceMapping, DeviceRequest, ResourcesBlkioWeightDevice, ResourcesUlimits, ThrottleDevice,
};

use super::*;

/// CPUs as the engine's nano-CPUs, from the decimal the user wrote (`0.1` is 100000000, not
/// the float's 100000001).
fn nano_cpus(c: f32) -> i64 {
    let exact: f64 = c.to_string().parse().unwrap_or(c as f64);
    (exact * 1e9).round() as i64
}

fn throttles(list: &[ComposeThrottle]) -> Option<Vec<ThrottleDevice>> {
    (!list.is_empty()).then(|| {
        list.iter()
            .map(|t| ThrottleDevice {
                path: Some(t.path.clone()),
                rate: Some(t.rate.0),
            })
            .collect()
    })
}

fn device_request(
    d: &berth_compose::model::DeviceRequest,
    extra_capability: Option<&str>,
) -> DeviceRequest {
    let mut caps = d.capabilities.clone();
    if let Some(c) = extra_capability {
        if !caps.iter().any(|x| x == c) {
            caps.push(c.to_string());
        }
    }
    DeviceRequest {
        driver: d.driver.clone(),
        // No count and no ids: every matching device, as the Compose spec says.
        count: d.count.or_else(|| d.device_ids.is_empty().then_some(-1)),
        device_ids: non_empty(&d.device_ids),
        capabilities: Some(vec![caps]),
        options: non_empty_map(&d.options),
    }
}

/// Resources: the service's own keys, then `deploy.resources` over them (as Compose v2).
pub(super) fn resources(
    s: &str,
    service: &Service,
    host: &mut HostConfig,
    w: &mut Warnings,
) -> Result<(), SpecError> {
    if let Some(l) = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.limits.as_ref())
    {
        // As compose-go: both may be set, but not to different values.
        let distinct = [
            (
                "cpus",
                "cpus",
                service.cpus.filter(|c| *c != 0.0).map(nano_cpus),
                l.cpus.filter(|c| *c != 0.0).map(nano_cpus),
            ),
            (
                "mem_limit",
                "memory",
                service.mem_limit.map(|b| b.0).filter(|b| *b != 0),
                l.memory.map(|b| b.0).filter(|b| *b != 0),
            ),
            (
                "pids_limit",
                "pids",
                service.pids_limit.filter(|p| *p != 0),
                l.pids.filter(|p| *p != 0),
            ),
        ];
        for (own, deploy, a, b) in distinct {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    return Err(err(
                        s,
                        own,
                        format!("can't set distinct values on '{own}' and 'deploy.resources.limits.{deploy}'"),
                    ));
                }
            }
        }
    }
    host.cpu_shares = service.cpu_shares;
    host.cpu_period = service.cpu_period;
    host.cpu_quota = service.cpu_quota;
    host.cpu_realtime_period = service.cpu_rt_period;
    host.cpu_realtime_runtime = service.cpu_rt_runtime;
    host.cpuset_cpus = service.cpuset.clone();
    host.nano_cpus = service.cpus.map(nano_cpus);
    if service.cpu_count.is_some() || service.cpu_percent.is_some() {
        host.cpu_count = service.cpu_count;
        host.cpu_percent = service.cpu_percent.map(|p| p.round() as i64);
        w.push(
            if service.cpu_count.is_some() {
                "cpu_count"
            } else {
                "cpu_percent"
            },
            "applies to Windows containers only: a Linux engine ignores it",
        );
    }
    host.memory = service.mem_limit.map(|b| b.0);
    host.memory_reservation = service.mem_reservation.map(|b| b.0);
    host.memory_swap = service.memswap_limit.map(|b| b.0);
    host.memory_swappiness = service.mem_swappiness.map(|b| b.0);
    host.oom_kill_disable = Some(service.oom_kill_disable);
    host.pids_limit = service.pids_limit;
    host.cgroup_parent = service.cgroup_parent.clone();
    host.device_cgroup_rules = non_empty(&service.device_cgroup_rules);
    if !service.ulimits.is_empty() {
        host.ulimits = Some(
            service
                .ulimits
                .iter()
                .map(|(k, u)| {
                    let (soft, hard) = u.limits();
                    ResourcesUlimits {
                        name: Some(k.clone()),
                        soft: Some(soft),
                        hard: Some(hard),
                    }
                })
                .collect(),
        );
    }
    if let Some(b) = &service.blkio_config {
        host.blkio_weight = b.weight;
        if !b.weight_device.is_empty() {
            host.blkio_weight_device = Some(
                b.weight_device
                    .iter()
                    .map(|d| ResourcesBlkioWeightDevice {
                        path: Some(d.path.clone()),
                        weight: Some(d.weight as usize),
                    })
                    .collect(),
            );
        }
        host.blkio_device_read_bps = throttles(&b.device_read_bps);
        host.blkio_device_read_iops = throttles(&b.device_read_iops);
        host.blkio_device_write_bps = throttles(&b.device_write_bps);
        host.blkio_device_write_iops = throttles(&b.device_write_iops);
    }
    if !service.devices.is_empty() {
        host.devices = Some(
            service
                .devices
                .iter()
                .map(|d| DeviceMapping {
                    path_on_host: d.source.clone(),
                    path_in_container: d.target.clone().or_else(|| d.source.clone()),
                    cgroup_permissions: Some(
                        d.permissions
                            .clone()
                            .filter(|p| !p.is_empty())
                            .unwrap_or_else(|| "rwm".into()),
                    ),
                })
                .collect(),
        );
    }
    let mut requests: Vec<DeviceRequest> = service
        .gpus
        .iter()
        .map(|g| device_request(g, Some("gpu")))
        .collect();
    if let Some(d) = &service.deploy {
        let res = &d.resources;
        if let Some(l) = &res.limits {
            if let Some(c) = l.cpus.filter(|c| *c != 0.0) {
                host.nano_cpus = Some(nano_cpus(c));
            }
            if let Some(m) = l.memory.filter(|m| m.0 != 0) {
                host.memory = Some(m.0);
            }
            if let Some(p) = l.pids.filter(|p| *p > 0) {
                host.pids_limit = Some(p);
            }
            if !l.devices.is_empty() {
                w.push(
                    "deploy.resources.limits.devices",
                    "devices are reserved, not limited: use deploy.resources.reservations.devices; not applied",
                );
            }
            if !l.generic_resources.is_empty() {
                w.push(
                    "deploy.resources.limits.generic_resources",
                    "a Swarm setting: not applied",
                );
            }
        }
        if let Some(r) = &res.reservations {
            if let Some(m) = r.memory.filter(|m| m.0 != 0) {
                host.memory_reservation = Some(m.0);
            }
            requests.extend(r.devices.iter().map(|d| device_request(d, None)));
            if r.cpus.is_some() {
                w.push(
                    "deploy.resources.reservations.cpus",
                    "a CPU reservation is a Swarm scheduling setting: not applied (cpus or deploy.resources.limits.cpus limit a container)",
                );
            }
            if r.pids.is_some() {
                w.push(
                    "deploy.resources.reservations.pids",
                    "PIDs can only be limited: not applied",
                );
            }
            if !r.generic_resources.is_empty() {
                w.push(
                    "deploy.resources.reservations.generic_resources",
                    "a Swarm setting: not applied",
                );
            }
        }
    }
    if !requests.is_empty() {
        host.device_requests = Some(requests);
    }
    Ok(())
}

/// Deploy keys that only Swarm has: named in a warning when set.
pub(super) fn deploy_warnings(service: &Service, w: &mut Warnings) {
    let Some(d) = &service.deploy else { return };
    if d.mode.as_deref() == Some("global") {
        w.push(
            "deploy.mode",
            "global (one container per Swarm node) is a Swarm mode: one container per replica is run",
        );
    }
    let swarm = [
        ("labels", !d.labels.is_empty()),
        (
            "placement",
            !d.placement.constraints.is_empty()
                || !d.placement.preferences.is_empty()
                || d.placement.max_replicas_per_node.is_some(),
        ),
        ("endpoint_mode", d.endpoint_mode.is_some()),
    ];
    for (k, set) in swarm {
        if set {
            let note = if k == "labels" {
                "Swarm service labels are not container labels (use labels): not applied"
            } else {
                "a Swarm setting: not applied by a local engine"
            };
            w.push(&format!("deploy.{k}"), note);
        }
    }
}
