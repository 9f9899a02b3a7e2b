//! A container's resource usage, as `docker stats` computes it, read the same from Docker and
//! Podman: CPU against the host (100 % = one full core), memory without the page cache,
//! network and block I/O, PIDs, and the CFS throttling `docker stats` does not show.

use bollard::models::{ContainerCpuStats, ContainerStatsResponse};

/// One sample of a container's usage (counters are cumulative since the container started;
/// the CPU figures carry the engine's previous reading, so one sample gives a rate).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsSample {
    /// When the engine read it (RFC 3339).
    pub read: String,
    /// CPU time the container used, and the host's, in nanoseconds: now and at the previous
    /// reading.
    pub cpu_total: u64,
    pub cpu_system: u64,
    pub precpu_total: u64,
    pub precpu_system: u64,
    /// CPUs the host has online.
    pub online_cpus: u32,
    /// CFS periods in which the container could run, and those in which it was throttled
    /// (hit its CPU limit), and the time it spent throttled (nanoseconds); all cumulative.
    pub cpu_periods: u64,
    pub cpu_throttled_periods: u64,
    pub cpu_throttled_time: u64,
    /// Memory in use without the inactive page cache, as `docker stats` shows it (bytes).
    pub memory_used: u64,
    /// The memory limit the engine reports (the host's memory when the container has none).
    pub memory_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

impl StatsSample {
    /// CPU use since the previous reading as `docker stats` shows it: 100 = one full core.
    pub fn cpu_percent(&self) -> f64 {
        let cpu_delta = self.cpu_total as f64 - self.precpu_total as f64;
        let sys_delta = self.cpu_system as f64 - self.precpu_system as f64;
        if sys_delta > 0.0 && cpu_delta > 0.0 {
            cpu_delta / sys_delta * f64::from(self.online_cpus.max(1)) * 100.0
        } else {
            0.0
        }
    }

    /// Memory in use as a share of the limit (0 to 100).
    pub fn memory_percent(&self) -> f64 {
        if self.memory_limit > 0 {
            self.memory_used as f64 / self.memory_limit as f64 * 100.0
        } else {
            0.0
        }
    }

    pub(crate) fn from_api(s: ContainerStatsResponse) -> StatsSample {
        let cpu = s.cpu_stats.unwrap_or_default();
        let pre = s.precpu_stats.unwrap_or_default();
        let total = |c: &ContainerCpuStats| c.cpu_usage.as_ref().and_then(|u| u.total_usage);
        let online = cpu
            .online_cpus
            .or_else(|| {
                cpu.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map(|v| v.len() as u32)
            })
            .unwrap_or(1);
        let throttling = cpu.throttling_data.clone().unwrap_or_default();
        let mem = s.memory_stats.unwrap_or_default();
        let st = mem.stats.unwrap_or_default();
        let cache = st
            .get("total_inactive_file")
            .or_else(|| st.get("inactive_file"))
            .copied()
            .unwrap_or(0);
        let (mut rx, mut tx) = (0u64, 0u64);
        for n in s.networks.unwrap_or_default().values() {
            rx += n.rx_bytes.unwrap_or(0);
            tx += n.tx_bytes.unwrap_or(0);
        }
        let (mut rd, mut wr) = (0u64, 0u64);
        for e in s
            .blkio_stats
            .and_then(|b| b.io_service_bytes_recursive)
            .unwrap_or_default()
        {
            match e.op.as_deref().map(str::to_lowercase).as_deref() {
                Some("read") => rd += e.value.unwrap_or(0),
                Some("write") => wr += e.value.unwrap_or(0),
                _ => {}
            }
        }
        StatsSample {
            read: s.read.map(|t| t.to_string()).unwrap_or_default(),
            cpu_total: total(&cpu).unwrap_or(0),
            cpu_system: cpu.system_cpu_usage.unwrap_or(0),
            precpu_total: total(&pre).unwrap_or(0),
            precpu_system: pre.system_cpu_usage.unwrap_or(0),
            online_cpus: online,
            cpu_periods: throttling.periods.unwrap_or(0),
            cpu_throttled_periods: throttling.throttled_periods.unwrap_or(0),
            cpu_throttled_time: throttling.throttled_time.unwrap_or(0),
            memory_used: mem.usage.unwrap_or(0).saturating_sub(cache),
            memory_limit: mem.limit.unwrap_or(0),
            net_rx: rx,
            net_tx: tx,
            block_read: rd,
            block_write: wr,
            pids: s.pids_stats.and_then(|p| p.current).unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_memory_percent_count_as_docker_stats_does() {
        let s = StatsSample {
            cpu_total: 3_000,
            precpu_total: 1_000,
            cpu_system: 20_000,
            precpu_system: 10_000,
            online_cpus: 2,
            memory_used: 25,
            memory_limit: 100,
            ..Default::default()
        };
        // 2,000 of 10,000 host nanoseconds on 2 CPUs: 40 % of one core.
        assert!((s.cpu_percent() - 40.0).abs() < 1e-9);
        assert!((s.memory_percent() - 25.0).abs() < 1e-9);
        assert_eq!(StatsSample::default().cpu_percent(), 0.0);
    }
}
