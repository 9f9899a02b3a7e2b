//! Stage 2: interpolation of every value (never keys) of one file, then the cast of typed
//! fields (`replicas: ${N}` becomes a number), each error pointing at the value.

use crate::error::LoadError;
use crate::interpolate::{interpolate, InterpolationError};
use crate::yaml::{Node, Value};

/// One step of a key path while walking a file's tree.
pub type Seg<'a> = crate::keypath::Seg<&'a str>;

/// Renders `services.web.ports[1]` (only when an error needs it).
pub fn render_path(segs: &[Seg]) -> String {
    crate::keypath::render(segs)
}

/// Interpolates `node` in place; collects the names of unset variables for warnings.
pub fn interpolate_tree(
    node: &mut Node,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), LoadError> {
    let mut segs: Vec<Seg> = path
        .split('.')
        .filter(|s| !s.is_empty())
        .map(Seg::Key)
        .collect();
    walk(node, &mut segs, lookup, unset)
}

fn walk<'a>(
    node: &'a mut Node,
    segs: &mut Vec<Seg<'a>>,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), LoadError> {
    if matches!(node.value, Value::Str(_)) {
        return interpolate_scalar(node, segs, lookup, unset);
    }
    match &mut node.value {
        Value::Seq(items) => {
            for (i, it) in items.iter_mut().enumerate() {
                segs.push(Seg::Index(i));
                let r = walk(it, segs, lookup, unset);
                segs.pop();
                r?;
            }
        }
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                segs.push(Seg::Key(k.as_str()));
                let r = walk(v, segs, lookup, unset);
                segs.pop();
                r?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn interpolate_scalar(
    node: &mut Node,
    segs: &[Seg],
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<(), LoadError> {
    if let Value::Str(s) = &node.value {
        if s.contains('$') {
            let out = interpolate(s, lookup)
                .map_err(|e| interp_error(&node.pos, &render_path(segs), e))?;
            for u in out.unset {
                if !unset.contains(&u) {
                    unset.push(u);
                }
            }
            node.value = Value::Str(out.value);
        }
    }
    cast_typed(node, segs)
}

fn interp_error(pos: &crate::yaml::Pos, path: &str, e: InterpolationError) -> LoadError {
    match e {
        InterpolationError::Required { var, message } => {
            let msg = if message.is_empty() {
                format!("required variable {var} is missing a value")
            } else {
                format!("required variable {var} is missing a value: {message}")
            };
            LoadError::at(pos, path, msg).with_hint(format!(
                "set {var} in the shell or in the project's .env file"
            ))
        }
        other => LoadError::at(pos, path, other.to_string()),
    }
}

#[derive(Clone, Copy)]
enum Cast {
    Int,
    Float,
    Bool,
}

/// The typed fields Compose casts after interpolation (compose-go's type-cast mapping).
fn cast_for(segs: &[Seg]) -> Option<Cast> {
    // Only services.*, networks.*, ... have typed fields.
    if segs.len() < 3 {
        return None;
    }
    let m = |pat: &[&str]| {
        segs.len() == pat.len()
            && segs.iter().zip(pat).all(|(a, b)| match a {
                Seg::Key(k) => *b == "*" || k == b,
                Seg::Index(_) => *b == "*",
            })
    };
    const INTS: &[&[&str]] = &[
        &["services", "*", "build", "ulimits", "*"],
        &["services", "*", "build", "ulimits", "*", "hard"],
        &["services", "*", "build", "ulimits", "*", "soft"],
        &["services", "*", "configs", "*", "mode"],
        &["services", "*", "cpu_count"],
        &["services", "*", "cpu_percent"],
        &["services", "*", "cpu_period"],
        &["services", "*", "cpu_quota"],
        &["services", "*", "cpu_rt_period"],
        &["services", "*", "cpu_rt_runtime"],
        &["services", "*", "cpu_shares"],
        &["services", "*", "deploy", "replicas"],
        &[
            "services",
            "*",
            "deploy",
            "placement",
            "max_replicas_per_node",
        ],
        &["services", "*", "deploy", "resources", "limits", "pids"],
        &[
            "services",
            "*",
            "deploy",
            "resources",
            "reservations",
            "pids",
        ],
        &["services", "*", "deploy", "restart_policy", "max_attempts"],
        &["services", "*", "deploy", "rollback_config", "parallelism"],
        &["services", "*", "deploy", "update_config", "parallelism"],
        &["services", "*", "healthcheck", "retries"],
        &["services", "*", "mem_swappiness"],
        &["services", "*", "oom_score_adj"],
        &["services", "*", "pids_limit"],
        &["services", "*", "ports", "*", "target"],
        &["services", "*", "scale"],
        &["services", "*", "secrets", "*", "mode"],
        &["services", "*", "ulimits", "*"],
        &["services", "*", "ulimits", "*", "hard"],
        &["services", "*", "ulimits", "*", "soft"],
        &["services", "*", "blkio_config", "weight"],
        &[
            "services",
            "*",
            "blkio_config",
            "weight_device",
            "*",
            "weight",
        ],
        &["services", "*", "volumes", "*", "tmpfs", "mode"],
    ];
    const FLOATS: &[&[&str]] = &[
        &["services", "*", "cpus"],
        &["services", "*", "deploy", "resources", "limits", "cpus"],
        &[
            "services",
            "*",
            "deploy",
            "resources",
            "reservations",
            "cpus",
        ],
        &[
            "services",
            "*",
            "deploy",
            "rollback_config",
            "max_failure_ratio",
        ],
        &[
            "services",
            "*",
            "deploy",
            "update_config",
            "max_failure_ratio",
        ],
    ];
    const BOOLS: &[&[&str]] = &[
        &["configs", "*", "external"],
        &["networks", "*", "attachable"],
        &["networks", "*", "enable_ipv6"],
        &["networks", "*", "external"],
        &["networks", "*", "internal"],
        &["secrets", "*", "external"],
        &["services", "*", "build", "no_cache"],
        &["services", "*", "build", "privileged"],
        &["services", "*", "build", "pull"],
        &["services", "*", "depends_on", "*", "required"],
        &["services", "*", "depends_on", "*", "restart"],
        &["services", "*", "develop", "watch", "*", "initial_sync"],
        &["services", "*", "env_file", "*", "required"],
        &["services", "*", "healthcheck", "disable"],
        &["services", "*", "init"],
        &["services", "*", "oom_kill_disable"],
        &["services", "*", "privileged"],
        &["services", "*", "read_only"],
        &["services", "*", "stdin_open"],
        &["services", "*", "tty"],
        &["services", "*", "volumes", "*", "bind", "create_host_path"],
        &["services", "*", "volumes", "*", "read_only"],
        &["services", "*", "volumes", "*", "volume", "nocopy"],
        &["volumes", "*", "external"],
    ];
    if INTS.iter().any(|p| m(p)) {
        Some(Cast::Int)
    } else if FLOATS.iter().any(|p| m(p)) {
        Some(Cast::Float)
    } else if BOOLS.iter().any(|p| m(p)) {
        Some(Cast::Bool)
    } else {
        None
    }
}

/// YAML 1.1 / Go `strconv.ParseBool` spellings Compose accepts for booleans.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" | "y" | "Y" | "yes" | "Yes" | "YES" | "on"
        | "On" | "ON" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" | "n" | "N" | "no" | "No" | "NO" | "off"
        | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn cast_typed(node: &mut Node, segs: &[Seg]) -> Result<(), LoadError> {
    let Some(cast) = cast_for(segs) else {
        return Ok(());
    };
    let Value::Str(s) = &node.value else {
        return Ok(());
    };
    let s = s.clone();
    let path = &render_path(segs);
    node.value = match cast {
        Cast::Int => match s.trim().parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => {
                return Err(LoadError::at(
                    &node.pos,
                    path,
                    format!("\"{s}\" is not a whole number (after interpolation)"),
                ))
            }
        },
        Cast::Float => match s.trim().parse::<f64>() {
            Ok(f) => Value::Float(f),
            Err(_) => {
                return Err(LoadError::at(
                    &node.pos,
                    path,
                    format!("\"{s}\" is not a number (after interpolation)"),
                ))
            }
        },
        Cast::Bool => match parse_bool(&s) {
            Some(b) => Value::Bool(b),
            None => {
                return Err(LoadError::at(
                    &node.pos,
                    path,
                    format!("\"{s}\" is not a boolean (after interpolation; use true or false)"),
                ))
            }
        },
    };
    Ok(())
}
