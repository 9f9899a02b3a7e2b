//! Every field of [`Service`] and how berth treats it (applied, warned, not a container
//! setting): the audit the unit test keeps complete.

/// How berth treats one field of [`Service`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Reaches the container configuration.
    Applied,
    /// Cannot be applied by berth on a local engine: a warning names it when it is set.
    Warned,
    /// Not a container setting: used by the loader, the graph, `build`, scaling or `up`.
    NotContainer,
}

/// Every field of [`Service`] and how it is handled (the unit test keeps this list complete).
pub const FIELDS: &[(&str, Handling)] = {
    use Handling::*;
    &[
        ("annotations", Applied), // API 1.43+; warned on older engines
        ("attach", NotContainer), // which logs `up` follows
        ("blkio_config", Applied),
        ("build", NotContainer),
        ("cap_add", Applied),
        ("cap_drop", Applied),
        ("cgroup", Applied),
        ("cgroup_parent", Applied),
        ("command", Applied),
        ("configs", Applied),
        ("container_name", Applied),
        ("cpu_count", Applied),   // Windows containers only: also warned
        ("cpu_percent", Applied), // Windows containers only: also warned
        ("cpu_period", Applied),
        ("cpu_quota", Applied),
        ("cpu_rt_period", Applied),
        ("cpu_rt_runtime", Applied),
        ("cpus", Applied),
        ("cpuset", Applied),
        ("cpu_shares", Applied),
        ("credential_spec", Warned),  // Windows (gMSA)
        ("depends_on", NotContainer), // the graph
        ("deploy", Applied),          // resources, restart_policy; Swarm-only keys warned
        ("develop", NotContainer),    // `watch`
        ("device_cgroup_rules", Applied),
        ("devices", Applied),
        ("dns", Applied),
        ("dns_opt", Applied),
        ("dns_search", Applied),
        ("dockerfile", NotContainer), // legacy build key (rejected by the schema)
        ("domainname", Applied),
        ("entrypoint", Applied),
        ("env_file", NotContainer), // folded into `environment` by the loader
        ("environment", Applied),
        ("expose", Applied),
        ("extends", NotContainer), // resolved by the loader
        ("external_links", Applied),
        ("extra_hosts", Applied),
        ("gpus", Applied),
        ("group_add", Applied),
        ("healthcheck", Applied),
        ("hostname", Applied),
        ("image", Applied),
        ("init", Applied),
        ("ipc", Applied),
        ("isolation", Applied),
        ("label_file", NotContainer), // folded into `labels` by the loader
        ("labels", Applied),
        ("links", Applied),
        ("log_driver", Warned), // legacy (rejected by the schema): use `logging`
        ("log_opt", Warned),    // legacy (rejected by the schema): use `logging`
        ("logging", Applied),
        ("mac_address", Applied),
        ("mem_limit", Applied),
        ("mem_reservation", Applied),
        ("mem_swappiness", Applied),
        ("memswap_limit", Applied),
        ("net", Warned), // legacy (rejected by the schema): use `network_mode`
        ("network_mode", Applied),
        ("networks", Applied),
        ("oom_kill_disable", Applied),
        ("oom_score_adj", Applied),
        ("pid", Applied),
        ("pids_limit", Applied),
        ("platform", Applied),
        ("ports", Applied),
        ("post_start", Warned), // lifecycle hooks are not run by berth
        ("pre_stop", Warned),
        ("privileged", Applied),
        ("profiles", NotContainer),
        ("pull_policy", NotContainer),
        ("read_only", Applied),
        ("restart", Applied),
        ("runtime", Applied),
        ("scale", NotContainer),
        ("secrets", Applied),
        ("security_opt", Applied),
        ("shm_size", Applied),
        ("stdin_open", Applied),
        ("stop_grace_period", Applied),
        ("stop_signal", Applied),
        ("storage_opt", Applied),
        ("sysctls", Applied),
        ("tmpfs", Applied),
        ("tty", Applied),
        ("ulimits", Applied),
        ("user", Applied),
        ("userns_mode", Applied),
        ("uts", Applied),
        ("volume_driver", Applied),
        ("volumes", Applied),
        ("volumes_from", Applied),
        ("working_dir", Applied),
    ]
};
