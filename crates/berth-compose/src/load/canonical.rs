//! Stages after merging: every short syntax to its long form, defaults, relative paths made
//! absolute, Compose's normalisation (default network, resource names, implicit dependencies),
//! profiles, and the services' `env_file` folded into `environment`.

use std::collections::BTreeMap;

use std::path::Path;

use crate::error::{index, join, ErrorKind, LoadError};
use crate::model::{EnvFile, EnvFileOrigin};
use crate::options::Environment;
use crate::paths::clean as clean_path;
use crate::syntax;
use crate::yaml::{format_go_float, Map, Node, Pos, Value};

use super::{expand_home, LoadFlags};

fn err(node: &Node, path: &str, msg: impl Into<String>) -> LoadError {
    LoadError::at(&node.pos, path, msg)
}

fn jnode(v: &serde_json::Value, pos: &Pos) -> Node {
    Node::from_json(v, pos)
}

/// A scalar as a string node (numbers and booleans stringified as Compose does).
fn stringify(n: &mut Node) {
    if let Some(s) = n.scalar_string() {
        if !matches!(n.value, Value::Str(_)) {
            n.value = Value::Str(s);
        }
    }
}

/// `[K=V, K2]` or `{K: V}` to a mapping of strings; `bare` is the value of `K2` (null or "").
fn to_mapping(n: &mut Node, path: &str, bare: Option<&str>) -> Result<(), LoadError> {
    match &mut n.value {
        Value::Seq(items) => {
            let mut m = Map::new();
            for (i, it) in items.iter().enumerate() {
                let Some(s) = it.scalar_string() else {
                    return Err(err(
                        it,
                        &index(path, i),
                        format!("expected a KEY=VALUE string, found {}", it.kind_name()),
                    ));
                };
                let (k, v) = syntax::split_env_entry(&s);
                let v = match v {
                    Some(v) => Node::str(v, it.pos.clone()),
                    None => match bare {
                        Some(b) => Node::str(b, it.pos.clone()),
                        None => Node::null(it.pos.clone()),
                    },
                };
                m.insert_with_pos(k, it.pos.clone(), v);
            }
            n.value = Value::Map(m);
        }
        Value::Map(m) => {
            for (_, v) in m.iter_mut() {
                match bare {
                    Some(b) if v.is_null() => v.value = Value::Str(b.to_string()),
                    _ => stringify(v),
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// A string becomes a one-element list.
fn to_list(n: &mut Node) {
    if let Value::Str(s) = &n.value {
        let item = Node::str(s.clone(), n.pos.clone());
        n.value = Value::Seq(vec![item]);
    }
}

fn duration(n: &mut Node, path: &str) -> Result<(), LoadError> {
    let s = match &n.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => format!("{i}s"),
        Value::Float(f) => format!("{}s", format_go_float(*f)),
        _ => return Ok(()),
    };
    let d = syntax::parse_duration_nanos(&s).map_err(|e| err(n, path, e.message))?;
    n.value = Value::Str(syntax::format_go_duration_nanos(d));
    Ok(())
}

fn bytes(n: &mut Node, path: &str) -> Result<(), LoadError> {
    let s = match &n.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_go_float(*f),
        _ => return Ok(()),
    };
    let b = syntax::parse_bytes(&s).map_err(|e| err(n, path, e.message))?;
    n.value = Value::Str(b.to_string());
    Ok(())
}

fn with_map(
    n: &mut Node,
    f: impl FnOnce(&mut Map) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    match n.as_map_mut() {
        Some(m) => f(m),
        None => Ok(()),
    }
}

fn field(
    m: &mut Map,
    key: &str,
    path: &str,
    f: impl FnOnce(&mut Node, &str) -> Result<(), LoadError>,
) -> Result<(), LoadError> {
    match m.get_mut(key) {
        Some(n) => f(n, &join(path, key)),
        None => Ok(()),
    }
}

/// The `services` mapping of a project tree, when there is one.
fn services_mut(root: &mut Node) -> Option<&mut Map> {
    root.as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|s| s.as_map_mut())
}

/// Short syntaxes to long ones, defaults, and paths, over the whole merged tree.
pub fn canonical(root: &mut Node, working_dir: &Path, flags: &LoadFlags) -> Result<(), LoadError> {
    let Some(m) = root.as_map_mut() else {
        return Ok(());
    };
    if let Some(services) = m.get_mut("services") {
        if let Some(sm) = services.as_map_mut() {
            let mut port_budget = MAX_PORT_MAPPINGS;
            for (name, svc) in sm.iter_mut() {
                let path = format!("services.{name}");
                if svc.is_null() {
                    svc.value = Value::Map(Map::new());
                }
                canonical_service(svc, &path, flags.interpolate, &mut port_budget)?;
            }
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        if let Some(res) = m.get_mut(kind) {
            if let Some(rm) = res.as_map_mut() {
                for (name, r) in rm.iter_mut() {
                    canonical_resource(r, &format!("{kind}.{name}"))?;
                }
            }
        }
    }
    super::merge::enforce_unicity(root, &[]);
    if flags.resolve_paths {
        resolve_paths(root, working_dir)?;
    }
    Ok(())
}

fn canonical_resource(r: &mut Node, path: &str) -> Result<(), LoadError> {
    if r.is_null() {
        r.value = Value::Map(Map::new());
        return Ok(());
    }
    with_map(r, |m| {
        if let Some(ext) = m.get_mut("external") {
            if let Value::Map(em) = &ext.value {
                let extname = em.get("name").cloned();
                ext.value = Value::Bool(true);
                if let Some(n) = extname {
                    match m.get("name").and_then(|x| x.scalar_string()) {
                        Some(existing) if Some(existing.clone()) != n.scalar_string() => {
                            return Err(err(
                                &n,
                                &join(path, "external.name"),
                                "name and external.name conflict; only use name",
                            ));
                        }
                        Some(_) => {}
                        None => m.insert("name", n),
                    }
                }
            }
        }
        if let Some(l) = m.get_mut("labels") {
            to_mapping(l, &join(path, "labels"), Some(""))?;
        }
        if let Some(o) = m.get_mut("driver_opts") {
            if let Some(om) = o.as_map_mut() {
                for (_, v) in om.iter_mut() {
                    stringify(v);
                }
            }
        }
        let external = matches!(m.get("external").map(|n| &n.value), Some(Value::Bool(true)));
        if external {
            for k in ["driver", "driver_opts", "labels"] {
                if let Some(n) = m.get(k) {
                    if path.starts_with("volumes.") || path.starts_with("networks.") {
                        return Err(err(n, &join(path, k), format!(
                            "conflicting parameters \"external\" and \"{k}\" specified (an external resource is created outside this project)"
                        )));
                    }
                }
            }
        }
        Ok(())
    })
}

/// How many port mappings the project's `ports` ranges may expand to: one full range
/// (`1-65535:1-65535`) twice over. Eight such ranges fit in a 341-byte file and took 1.4 GB.
const MAX_PORT_MAPPINGS: usize = 2 * 65_536;

fn canonical_service(
    svc: &mut Node,
    path: &str,
    interpolated: bool,
    port_budget: &mut usize,
) -> Result<(), LoadError> {
    let pos = svc.pos.clone();
    let Some(m) = svc.as_map_mut() else {
        return Err(LoadError::at(
            &pos,
            path,
            "a service must be a mapping of attributes",
        ));
    };
    service_build(m, path)?;
    service_commands_and_dependencies(m, path)?;
    service_deploy_and_devices(m, path)?;
    service_lists_and_mappings(m, path)?;
    service_runtime(m, path)?;
    service_networking(m, path, interpolated, port_budget)?;
    service_mounts(m, path)?;
    Ok(())
}

/// `build:` as a mapping: `context` defaulted, its lists and mappings in long form.
fn service_build(m: &mut Map, path: &str) -> Result<(), LoadError> {
    if let Some(b) = m.get_mut("build") {
        if let Value::Str(s) = &b.value {
            let mut bm = Map::new();
            bm.insert("context", Node::str(s.clone(), b.pos.clone()));
            b.value = Value::Map(bm);
        }
        let bpath = join(path, "build");
        with_map(b, |bm| {
            if !bm.contains_key("context") {
                bm.insert("context", Node::str(".", Pos::synthetic()));
            }
            field(bm, "args", &bpath, |n, p| to_mapping(n, p, None))?;
            field(bm, "labels", &bpath, |n, p| to_mapping(n, p, Some("")))?;
            field(bm, "additional_contexts", &bpath, |n, p| {
                to_mapping(n, p, Some(""))
            })?;
            field(bm, "extra_hosts", &bpath, extra_hosts)?;
            field(bm, "shm_size", &bpath, bytes)?;
            field(bm, "secrets", &bpath, |n, p| file_mounts(n, p, None))?;
            field(bm, "ssh", &bpath, |n, _| {
                if let Value::Map(sm) = &n.value {
                    let items = sm
                        .iter()
                        .map(|(k, v)| match v.scalar_string() {
                            Some(s) => Node::str(format!("{k}={s}"), v.pos.clone()),
                            None => Node::str(k.clone(), v.pos.clone()),
                        })
                        .collect();
                    n.value = Value::Seq(items);
                }
                Ok(())
            })?;
            field(bm, "ulimits", &bpath, |n, _| {
                if let Some(um) = n.as_map_mut() {
                    for (_, u) in um.iter_mut() {
                        let _ = u;
                    }
                }
                Ok(())
            })?;
            Ok(())
        })?;
    }
    Ok(())
}

/// `command`/`entrypoint` strings split into argv; `depends_on` as a mapping with its defaults.
fn service_commands_and_dependencies(m: &mut Map, path: &str) -> Result<(), LoadError> {
    for key in ["command", "entrypoint"] {
        field(m, key, path, |n, p| {
            if let Value::Str(s) = &n.value {
                let argv = syntax::split_command(s).map_err(|e| err(n, p, e.message))?;
                n.value = Value::Seq(
                    argv.into_iter()
                        .map(|a| Node::str(a, n.pos.clone()))
                        .collect(),
                );
            }
            Ok(())
        })?;
    }
    field(m, "depends_on", path, |n, p| {
        match &mut n.value {
            Value::Seq(items) => {
                let mut dm = Map::new();
                for (i, it) in items.iter().enumerate() {
                    let Some(s) = it.scalar_string() else {
                        return Err(err(it, &index(p, i), "expected a service name"));
                    };
                    dm.insert_with_pos(s, it.pos.clone(), super::merge::default_dependency(it));
                }
                n.value = Value::Map(dm);
            }
            Value::Map(dm) => {
                for (_, d) in dm.iter_mut() {
                    if d.is_null() {
                        d.value = Value::Map(Map::new());
                    }
                    let dpos = d.pos.clone();
                    if let Some(dd) = d.as_map_mut() {
                        if !dd.contains_key("condition") {
                            dd.insert("condition", Node::str("service_started", dpos.clone()));
                        }
                        if !dd.contains_key("required") {
                            dd.insert("required", Node::new(Value::Bool(true), dpos));
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(())
}

/// `deploy` sizes and durations, `gpus: all`, `devices` in long form.
fn service_deploy_and_devices(m: &mut Map, path: &str) -> Result<(), LoadError> {
    field(m, "deploy", path, |n, p| {
        with_map(n, |dm| {
            field(dm, "labels", p, |n, p| to_mapping(n, p, Some("")))?;
            field(dm, "resources", p, |n, p| {
                with_map(n, |rm| {
                    for k in ["limits", "reservations"] {
                        field(rm, k, p, |n, p| {
                            with_map(n, |lm| field(lm, "memory", p, bytes))
                        })?;
                    }
                    Ok(())
                })
            })?;
            field(dm, "restart_policy", p, |n, p| {
                with_map(n, |rm| {
                    field(rm, "delay", p, duration)?;
                    field(rm, "window", p, duration)
                })
            })?;
            for k in ["update_config", "rollback_config"] {
                field(dm, k, p, |n, p| {
                    with_map(n, |um| {
                        field(um, "delay", p, duration)?;
                        field(um, "monitor", p, duration)
                    })
                })?;
            }
            Ok(())
        })
    })?;
    // `gpus: all` is every GPU: `[{count: -1}]`.
    field(m, "gpus", path, |n, _| {
        if matches!(&n.value, Value::Str(s) if s == "all") {
            *n = jnode(&syntax::gpus_all(), &n.pos);
        }
        Ok(())
    })?;
    field(m, "devices", path, |n, p| {
        if let Some(items) = n.as_seq_mut() {
            for (i, it) in items.iter_mut().enumerate() {
                if let Value::Str(s) = &it.value {
                    let v =
                        syntax::parse_device(s).map_err(|e| err(it, &index(p, i), e.message))?;
                    *it = jnode(&v, &it.pos);
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Attributes that are lists or mappings in long form: `dns`…, `env_file`, `environment`, labels, sysctls.
fn service_lists_and_mappings(m: &mut Map, path: &str) -> Result<(), LoadError> {
    for k in ["dns", "dns_search", "dns_opt", "tmpfs", "label_file"] {
        field(m, k, path, |n, _| {
            to_list(n);
            Ok(())
        })?;
    }
    field(m, "env_file", path, |n, _| {
        to_list(n);
        if let Some(items) = n.as_seq_mut() {
            for it in items.iter_mut() {
                match &mut it.value {
                    Value::Str(s) => {
                        let mut em = Map::new();
                        em.insert("path", Node::str(s.clone(), it.pos.clone()));
                        em.insert("required", Node::new(Value::Bool(true), it.pos.clone()));
                        it.value = Value::Map(em);
                    }
                    Value::Map(em) if !em.contains_key("required") => {
                        em.insert("required", Node::new(Value::Bool(true), it.pos.clone()));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    field(m, "environment", path, |n, p| to_mapping(n, p, None))?;
    for k in ["labels", "annotations"] {
        field(m, k, path, |n, p| to_mapping(n, p, Some("")))?;
    }
    field(m, "sysctls", path, |n, p| to_mapping(n, p, Some("")))?;
    field(m, "storage_opt", path, |n, p| to_mapping(n, p, Some("")))?;
    Ok(())
}

/// `expose`, `ulimits`, `extra_hosts`, `healthcheck`, `logging`, byte sizes and the stop grace period.
fn service_runtime(m: &mut Map, path: &str) -> Result<(), LoadError> {
    field(m, "expose", path, |n, p| {
        if let Some(items) = n.as_seq_mut() {
            for (i, it) in items.iter_mut().enumerate() {
                let s = syntax::normalize_expose(&it.to_json())
                    .map_err(|e| err(it, &index(p, i), e.message))?;
                it.value = Value::Str(s);
            }
        }
        Ok(())
    })?;
    field(m, "ulimits", path, |n, p| {
        if let Some(um) = n.as_map_mut() {
            for (k, u) in um.iter_mut() {
                let v = syntax::normalize_ulimit(&u.to_json())
                    .map_err(|e| err(u, &join(p, k), e.message))?;
                *u = jnode(&v, &u.pos);
            }
        }
        Ok(())
    })?;
    field(m, "extra_hosts", path, extra_hosts)?;
    field(m, "healthcheck", path, |n, p| {
        with_map(n, |hm| {
            field(hm, "test", p, |t, _| {
                if let Value::Str(s) = &t.value {
                    let pos = t.pos.clone();
                    t.value = Value::Seq(vec![
                        Node::str("CMD-SHELL", pos.clone()),
                        Node::str(s.clone(), pos),
                    ]);
                }
                Ok(())
            })?;
            for k in ["interval", "timeout", "start_period", "start_interval"] {
                field(hm, k, p, duration)?;
            }
            Ok(())
        })
    })?;
    field(m, "logging", path, |n, p| {
        with_map(n, |lm| {
            field(lm, "options", p, |o, _| {
                if let Some(om) = o.as_map_mut() {
                    for (_, v) in om.iter_mut() {
                        stringify(v);
                    }
                }
                Ok(())
            })
        })
    })?;
    for k in ["mem_limit", "memswap_limit", "mem_reservation", "shm_size"] {
        field(m, k, path, bytes)?;
    }
    field(m, "stop_grace_period", path, duration)?;
    Ok(())
}

/// `networks` as a mapping, `ports` in long form (a `$` left uninterpolated stays as written).
fn service_networking(
    m: &mut Map,
    path: &str,
    interpolated: bool,
    port_budget: &mut usize,
) -> Result<(), LoadError> {
    field(m, "networks", path, |n, p| {
        if let Value::Seq(items) = &n.value {
            let mut nm = Map::new();
            for (i, it) in items.iter().enumerate() {
                let Some(s) = it.scalar_string() else {
                    return Err(err(it, &index(p, i), "expected a network name"));
                };
                nm.insert_with_pos(s, it.pos.clone(), Node::null(it.pos.clone()));
            }
            n.value = Value::Map(nm);
        }
        Ok(())
    })?;
    field(m, "ports", path, |n, p| {
        if let Some(items) = n.as_seq_mut() {
            let mut out = Vec::new();
            for (i, it) in items.drain(..).enumerate() {
                let ip = index(p, i);
                match &it.value {
                    Value::Str(spec) if !interpolated && spec.contains('$') => out.push(it),
                    Value::Int(_) | Value::Str(_) | Value::Float(_) => {
                        let ports = syntax::parse_port_number(&it.to_json())
                            .map_err(|e| err(&it, &ip, e.message))?;
                        if ports.len() > *port_budget {
                            return Err(err(
                                &it,
                                &ip,
                                format!(
                                    "the project's port ranges expand to more than {MAX_PORT_MAPPINGS} mappings: use fewer or shorter ranges"
                                ),
                            ));
                        }
                        *port_budget -= ports.len();
                        out.extend(ports.iter().map(|v| jnode(v, &it.pos)));
                    }
                    Value::Map(_) => {
                        let mut it = it;
                        let at = it.pos.clone();
                        if let Some(pm) = it.as_map_mut() {
                            if let Some(pb) = pm.get_mut("published") {
                                stringify(pb);
                            }
                            // Compose's defaults for the long syntax, as for the short one.
                            if !pm.contains_key("mode") {
                                pm.insert("mode", Node::str("ingress", at.clone()));
                            }
                            if !pm.contains_key("protocol") {
                                pm.insert("protocol", Node::str("tcp", at.clone()));
                            }
                        }
                        out.push(it);
                    }
                    _ => {
                        return Err(err(
                            &it,
                            &ip,
                            format!("expected a port mapping, found {}", it.kind_name()),
                        ))
                    }
                }
            }
            *items = out;
        }
        Ok(())
    })?;
    Ok(())
}

/// `secrets`, `configs` and `volumes` in long form.
fn service_mounts(m: &mut Map, path: &str) -> Result<(), LoadError> {
    for k in ["secrets", "configs"] {
        let default = if k == "secrets" {
            Some("/run/secrets")
        } else {
            None
        };
        field(m, k, path, |n, p| file_mounts(n, p, default))?;
    }
    field(m, "volumes", path, |n, p| {
        if let Some(items) = n.as_seq_mut() {
            for (i, it) in items.iter_mut().enumerate() {
                volume_long(it, &index(p, i))?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// One service volume entry to its long form.
fn volume_long(it: &mut Node, p: &str) -> Result<(), LoadError> {
    if let Value::Str(s) = &it.value {
        let mut v = syntax::parse_volume(s).map_err(|e| err(it, p, e.message))?;
        // Compose cleans the target of a short-syntax volume (`/data/` is `/data`).
        if let Some(t) = v.get_mut("target") {
            if let Some(ts) = t.as_str().filter(|t| !t.is_empty()) {
                *t = serde_json::Value::String(clean_path(Path::new(ts)).display().to_string());
            }
        }
        *it = jnode(&v, &it.pos);
    }
    with_map(it, |vm| {
        field(vm, "tmpfs", p, |t, p| {
            with_map(t, |tm| field(tm, "size", p, bytes))
        })
    })
}

fn extra_hosts(n: &mut Node, p: &str) -> Result<(), LoadError> {
    let pos = n.pos.clone();
    let entries: Vec<Node> = match &n.value {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| {
                Node::str(
                    format!("{k}={}", v.scalar_string().unwrap_or_default()),
                    v.pos.clone(),
                )
            })
            .collect(),
        Value::Seq(items) => {
            let mut out = Vec::new();
            for (i, it) in items.iter().enumerate() {
                let s = it.scalar_string().unwrap_or_default();
                let (h, ip) =
                    syntax::parse_extra_host(&s).map_err(|e| err(it, &index(p, i), e.message))?;
                out.push(Node::str(format!("{h}={ip}"), it.pos.clone()));
            }
            out
        }
        _ => return Ok(()),
    };
    *n = Node::seq(entries, pos);
    Ok(())
}

/// `- name` to `{source: name}`; secrets get their default target.
fn file_mounts(n: &mut Node, p: &str, default_dir: Option<&str>) -> Result<(), LoadError> {
    if let Some(items) = n.as_seq_mut() {
        for (i, it) in items.iter_mut().enumerate() {
            if let Value::Str(s) = &it.value {
                let mut sm = Map::new();
                sm.insert("source", Node::str(s.clone(), it.pos.clone()));
                it.value = Value::Map(sm);
            }
            let ipos = it.pos.clone();
            let ip = index(p, i);
            if let Some(sm) = it.as_map_mut() {
                if let Some(dir) = default_dir {
                    if !sm.contains_key("target") {
                        if let Some(src) = sm.get("source").and_then(|s| s.scalar_string()) {
                            sm.insert("target", Node::str(format!("{dir}/{src}"), ipos.clone()));
                        }
                    }
                }
                for k in ["uid", "gid"] {
                    if let Some(v) = sm.get_mut(k) {
                        stringify(v);
                    }
                }
                if let Some(mode) = sm.get_mut("mode") {
                    if let Value::Str(s) = &mode.value {
                        match syntax::parse_go_int(s) {
                            Ok(v) => mode.value = Value::Int(v),
                            Err(_) => return Err(err(mode, &join(&ip, "mode"), format!("\"{s}\" is not a file mode (write it as a YAML octal number, e.g. 0440)"))),
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn is_remote_context(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn abs_path(base: &Path, s: &str) -> String {
    let s = expand_home(s);
    if s.is_empty() {
        return s;
    }
    let p = Path::new(&s);
    if p.is_absolute() {
        return s;
    }
    clean_path(&base.join(p)).display().to_string()
}

/// A Windows path (`C:\x`, `\\server\share`) stays as written on Linux, as Compose leaves it.
fn is_windows_abs(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || s.starts_with("\\\\")
}

fn set_str(n: &mut Node, f: impl FnOnce(&str) -> String) {
    if let Value::Str(s) = &n.value {
        n.value = Value::Str(f(s));
    }
}

/// Makes relative paths absolute against `base` (the project directory, or an extended or
/// included file's directory), where Compose does.
pub fn resolve_paths(root: &mut Node, base: &Path) -> Result<(), LoadError> {
    let Some(m) = root.as_map_mut() else {
        return Ok(());
    };
    if let Some(services) = m.get_mut("services").and_then(|s| s.as_map_mut()) {
        for (name, svc) in services.iter_mut() {
            let path = format!("services.{name}");
            let Some(sm) = svc.as_map_mut() else { continue };
            if let Some(b) = sm.get_mut("build") {
                if let Value::Str(s) = &b.value {
                    if !is_remote_context(s) {
                        let a = abs_path(base, s);
                        b.value = Value::Str(a);
                    }
                }
                if let Some(bm) = b.as_map_mut() {
                    if let Some(c) = bm.get_mut("context") {
                        set_str(c, |s| {
                            if is_remote_context(s) {
                                s.to_string()
                            } else {
                                abs_path(base, s)
                            }
                        });
                    }
                    // build.ssh: `id=path` keys resolve like other paths; `default` has none.
                    match bm.get_mut("ssh").map(|n| &mut n.value) {
                        Some(Value::Seq(items)) => {
                            for it in items.iter_mut() {
                                set_str(it, |s| match s.split_once('=') {
                                    Some((id, p)) => format!("{id}={}", abs_path(base, p)),
                                    None => s.to_string(),
                                });
                            }
                        }
                        Some(Value::Map(sm)) => {
                            for (_, p) in sm.iter_mut() {
                                set_str(p, |s| abs_path(base, s));
                            }
                        }
                        _ => {}
                    }
                    if let Some(ac) = bm
                        .get_mut("additional_contexts")
                        .and_then(|a| a.as_map_mut())
                    {
                        for (_, c) in ac.iter_mut() {
                            set_str(c, |s| {
                                if is_remote_context(s)
                                    || s.starts_with("docker-image:")
                                    || s.starts_with("service:")
                                    || s.starts_with("target:")
                                    || s.starts_with("oci-layout:")
                                {
                                    s.to_string()
                                } else {
                                    abs_path(base, s)
                                }
                            });
                        }
                    }
                }
            }
            if let Some(lf) = sm.get_mut("label_file") {
                match &mut lf.value {
                    Value::Str(s) => *s = abs_path(base, s),
                    Value::Seq(items) => {
                        for it in items.iter_mut() {
                            set_str(it, |s| abs_path(base, s));
                        }
                    }
                    _ => {}
                }
            }
            if let Some(ef) = sm.get_mut("env_file") {
                match &mut ef.value {
                    Value::Str(s) => *s = abs_path(base, s),
                    Value::Seq(items) => {
                        for it in items.iter_mut() {
                            match &mut it.value {
                                Value::Str(s) => *s = abs_path(base, s),
                                Value::Map(em) => {
                                    if let Some(p) = em.get_mut("path") {
                                        set_str(p, |s| abs_path(base, s));
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
            }
            if let Some(ext) = sm.get_mut("extends").and_then(|e| e.as_map_mut()) {
                if let Some(f) = ext.get_mut("file") {
                    set_str(f, |s| abs_path(base, s));
                }
            }
            if let Some(w) = sm
                .get_mut("develop")
                .and_then(|d| d.as_map_mut())
                .and_then(|d| d.get_mut("watch"))
                .and_then(|w| w.as_seq_mut())
            {
                for it in w.iter_mut() {
                    if let Some(p) = it.as_map_mut().and_then(|m| m.get_mut("path")) {
                        set_str(p, |s| abs_path(base, s));
                    }
                }
            }
            if let Some(vols) = sm.get_mut("volumes").and_then(|v| v.as_seq_mut()) {
                for (i, v) in vols.iter_mut().enumerate() {
                    volume_long(v, &index(&join(&path, "volumes"), i))?;
                    if let Some(vm) = v.as_map_mut() {
                        if vm.get("type").and_then(|t| t.as_str()) == Some("bind") {
                            match vm.get_mut("source") {
                                Some(src) => set_str(src, |s| {
                                    if is_windows_abs(s) {
                                        s.to_string()
                                    } else {
                                        abs_path(base, s)
                                    }
                                }),
                                None => {
                                    return Err(LoadError::at(
                                        &v.pos,
                                        &index(&join(&path, "volumes"), i),
                                        "a bind mount needs a source path",
                                    )
                                    .with_kind(ErrorKind::Invalid))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    for kind in ["configs", "secrets"] {
        if let Some(res) = m.get_mut(kind).and_then(|r| r.as_map_mut()) {
            for (_, r) in res.iter_mut() {
                if let Some(f) = r.as_map_mut().and_then(|rm| rm.get_mut("file")) {
                    set_str(f, |s| {
                        if is_windows_abs(s) {
                            s.to_string()
                        } else {
                            abs_path(base, s)
                        }
                    });
                }
            }
        }
    }
    if let Some(vols) = m.get_mut("volumes").and_then(|r| r.as_map_mut()) {
        for (_, v) in vols.iter_mut() {
            let Some(vm) = v.as_map_mut() else { continue };
            if vm.get("driver").and_then(|d| d.as_str()) != Some("local") {
                continue;
            }
            let Some(opts) = vm.get_mut("driver_opts").and_then(|o| o.as_map_mut()) else {
                continue;
            };
            if opts.get("o").and_then(|o| o.as_str()) == Some("bind") {
                if let Some(dev) = opts.get_mut("device") {
                    set_str(dev, |s| abs_path(base, s));
                }
            }
        }
    }
    Ok(())
}

fn dep_node(condition: &str, restart: bool, pos: &Pos) -> Node {
    let mut d = Map::new();
    d.insert("condition", Node::str(condition, pos.clone()));
    d.insert("restart", Node::new(Value::Bool(restart), pos.clone()));
    d.insert("required", Node::new(Value::Bool(true), pos.clone()));
    Node::map(d, pos.clone())
}

/// Compose's normalisation: default network, resource names, implicit dependencies,
/// `pull_policy` spelling, Dockerfile default, value-less variables resolved.
pub fn normalize(root: &mut Node, project: &str, env: &Environment) -> Result<(), LoadError> {
    let Some(m) = root.as_map_mut() else {
        return Ok(());
    };
    let networks = m.entry_or_insert("networks", Node::map(Map::new(), Pos::synthetic()));
    if networks.is_null() {
        networks.value = Value::Map(Map::new());
    }
    if let Some(nm) = networks.as_map_mut() {
        if !nm.contains_key("default") {
            nm.insert("default", Node::null(Pos::synthetic()));
        }
    }
    let lookup = |k: &str| env.get(k).map(str::to_string);
    if let Some(services) = m.get_mut("services").and_then(|s| s.as_map_mut()) {
        for (_, svc) in services.iter_mut() {
            let spos = svc.pos.clone();
            let Some(sm) = svc.as_map_mut() else { continue };
            if !sm.contains_key("networks") && !sm.contains_key("network_mode") {
                let mut nm = Map::new();
                nm.insert("default", Node::null(spos.clone()));
                sm.insert("networks", Node::map(nm, spos.clone()));
            }
            if let Some(pp) = sm.get_mut("pull_policy") {
                if pp.as_str() == Some("if_not_present") {
                    pp.value = Value::Str("missing".into());
                }
            }
            if let Some(bm) = sm.get_mut("build").and_then(|b| b.as_map_mut()) {
                if !bm.contains_key("dockerfile") && !bm.contains_key("dockerfile_inline") {
                    bm.insert("dockerfile", Node::str("Dockerfile", Pos::synthetic()));
                }
                if let Some(args) = bm.get_mut("args").and_then(|a| a.as_map_mut()) {
                    let mut drop = Vec::new();
                    for (k, v) in args.iter_mut() {
                        if v.is_null() {
                            match lookup(k) {
                                Some(x) => v.value = Value::Str(x),
                                None => drop.push(k.clone()),
                            }
                        }
                    }
                    args.retain(|k, _| !drop.contains(&k.to_string()));
                }
            }
            if let Some(envm) = sm.get_mut("environment").and_then(|e| e.as_map_mut()) {
                for (k, v) in envm.iter_mut() {
                    if v.is_null() {
                        if let Some(x) = lookup(k) {
                            v.value = Value::Str(x);
                        }
                    }
                }
            }
            // Implicit dependencies.
            let mut implicit: Vec<(String, Node)> = Vec::new();
            if let Some(links) = sm.get("links").and_then(|l| l.as_seq()) {
                for l in links {
                    let s = l.scalar_string().unwrap_or_default();
                    let target = s.split(':').next().unwrap_or_default().to_string();
                    implicit.push((target, dep_node("service_started", true, &l.pos)));
                }
            }
            for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
                if let Some(n) = sm.get(ns) {
                    if let Some(t) = n.as_str().and_then(|s| s.strip_prefix("service:")) {
                        implicit.push((t.to_string(), dep_node("service_started", true, &n.pos)));
                    }
                }
            }
            if let Some(vf) = sm.get("volumes_from").and_then(|l| l.as_seq()) {
                for v in vf {
                    let s = v.scalar_string().unwrap_or_default();
                    if !s.starts_with("container:") {
                        let t = s.split(':').next().unwrap_or_default().to_string();
                        implicit.push((t, dep_node("service_started", false, &v.pos)));
                    }
                }
            }
            if !implicit.is_empty() {
                let d = sm.entry_or_insert("depends_on", Node::map(Map::new(), spos.clone()));
                if let Some(dm) = d.as_map_mut() {
                    for (k, v) in implicit {
                        if !dm.contains_key(&k) {
                            dm.insert(k, v);
                        }
                    }
                }
            }
        }
    }
    for kind in ["networks", "volumes", "configs", "secrets"] {
        let Some(res) = m.get_mut(kind).and_then(|r| r.as_map_mut()) else {
            continue;
        };
        for (key, r) in res.iter_mut() {
            if r.is_null() {
                r.value = Value::Map(Map::new());
            }
            if let Some(rm) = r.as_map_mut() {
                let has_name = rm.get("name").map(|n| !n.is_null()).unwrap_or(false);
                if !has_name {
                    let external = matches!(
                        rm.get("external").map(|e| &e.value),
                        Some(Value::Bool(true))
                    );
                    let name = if external {
                        key.clone()
                    } else {
                        format!("{project}_{key}")
                    };
                    rm.insert("name", Node::str(name, Pos::synthetic()));
                }
            }
        }
    }
    Ok(())
}

/// Removes services whose profiles are all disabled; returns their names.
pub fn apply_profiles(
    root: &mut Node,
    profiles: &[String],
    named: &[String],
) -> Result<Vec<String>, LoadError> {
    let Some(services) = services_mut(root) else {
        return Ok(vec![]);
    };
    let all = profiles.iter().any(|p| p == "*");
    let mut disabled = Vec::new();
    for (name, svc) in services.iter() {
        let Some(ps) = svc
            .as_map()
            .and_then(|m| m.get("profiles"))
            .and_then(|p| p.as_seq())
        else {
            continue;
        };
        if ps.is_empty() {
            continue;
        }
        let active = all
            || named.iter().any(|n| n == name)
            || ps.iter().any(|p| {
                p.scalar_string()
                    .map(|s| profiles.contains(&s))
                    .unwrap_or(false)
            });
        if !active {
            disabled.push(name.clone());
        }
    }
    services.retain(|k, _| !disabled.iter().any(|d| d == k));
    Ok(disabled)
}

/// Folds each service's `env_file` into its `environment` (the file's values first, then
/// `environment` wins), as Compose does, and drops `env_file`. Returns, by service, what was
/// folded (the hash Compose v2 labels containers with is taken before the fold).
pub fn resolve_env_files(
    root: &mut Node,
    env: &Environment,
    mut trace: Option<&mut crate::provenance::Trace>,
) -> Result<BTreeMap<String, EnvFileOrigin>, LoadError> {
    let mut origins = BTreeMap::new();
    let mut cache: std::collections::HashMap<String, Vec<(String, String, u32)>> =
        Default::default();
    let Some(services) = services_mut(root) else {
        return Ok(origins);
    };
    for (name, svc) in services.iter_mut() {
        let Some(sm) = svc.as_map_mut() else { continue };
        let Some(ef) = sm.remove("env_file") else {
            continue;
        };
        let mut origin = EnvFileOrigin::default();
        let mut vars = Map::new();
        for (i, it) in ef.as_seq().cloned().unwrap_or_default().iter().enumerate() {
            let p = format!("services.{name}.env_file[{i}]");
            let Some(em) = it.as_map() else { continue };
            let Some(path) = em.get("path").and_then(|p| p.scalar_string()) else {
                continue;
            };
            let required = !matches!(
                em.get("required").map(|r| &r.value),
                Some(Value::Bool(false))
            );
            origin.files.push(EnvFile {
                path: path.clone(),
                required,
                format: em.get("format").and_then(|f| f.scalar_string()),
            });
            let cached = cache.get(&path).filter(|_| vars.is_empty()).cloned();
            let text = match cached
                .as_ref()
                .map(|_| Ok(String::new()))
                .unwrap_or_else(|| {
                    crate::input::read_text(Path::new(&path), crate::input::MAX_ENV_FILE)
                }) {
                Ok(t) => t,
                Err(e) if e.is_not_found() && !required => continue,
                Err(e) if matches!(e, crate::input::ReadError::Io(_)) => {
                    return Err(LoadError::at(
                        &it.pos,
                        &p,
                        format!("env file {path} not found: {e}"),
                    )
                    .with_kind(ErrorKind::FileNotFound)
                    .with_hint("create the file, fix the path, or mark it `required: false`"))
                }
                Err(e) => {
                    return Err(LoadError::at(
                        &it.pos,
                        &p,
                        format!("env file {path} cannot be read: {e}"),
                    ))
                }
            };
            // Many services share one env file: parse it once (when nothing earlier in this
            // service's list can change how it interpolates).
            let parsed: Vec<(String, String, u32)> = match cached {
                Some(p) => p,
                None => {
                    let lookup = |k: &str| {
                        vars.get(k)
                            .and_then(|n| n.scalar_string())
                            .or_else(|| env.get(k).map(str::to_string))
                    };
                    let parsed: Vec<(String, String, u32)> = crate::dotenv::parse(&text, &lookup)
                        .map_err(|e| {
                            LoadError::at(&it.pos, &p, format!("{path}:{}: {}", e.line, e.message))
                        })?
                        .into_iter()
                        .map(|(k, e)| (k, e.value, e.line))
                        .collect();
                    if vars.is_empty() {
                        cache.insert(path.clone(), parsed.clone());
                    }
                    parsed
                }
            };
            let fpos = Pos {
                file: std::sync::Arc::from(path.as_str()),
                line: 0,
                col: 0,
            };
            if let Some(t) = trace.as_deref_mut() {
                t.env_files.insert(path.clone());
            }
            for (k, value, line) in parsed {
                let vpos = Pos {
                    line,
                    col: 1,
                    ..fpos.clone()
                };
                let new = Node::str(value, vpos);
                if let (Some(t), Some(old)) = (trace.as_deref_mut(), vars.get(&k)) {
                    t.env_file_losses.push(crate::provenance::EnvFileLoss {
                        service: name.clone(),
                        key: k.clone(),
                        old: old.clone(),
                        new_pos: new.pos.clone(),
                    });
                }
                vars.insert(k, new);
            }
        }
        let environment =
            sm.entry_or_insert("environment", Node::map(Map::new(), Pos::synthetic()));
        if environment.is_null() {
            environment.value = Value::Map(Map::new());
        }
        if let Some(envm) = environment.as_map_mut() {
            // `environment` wins over env_file, even a value-less entry nothing resolved.
            for (k, v) in envm.iter() {
                let value = if v.is_null() { None } else { v.scalar_string() };
                origin.environment.insert(k.clone(), value);
                if let (Some(t), Some(old)) = (trace.as_deref_mut(), vars.get(k)) {
                    t.env_file_losses.push(crate::provenance::EnvFileLoss {
                        service: name.clone(),
                        key: k.clone(),
                        old: old.clone(),
                        new_pos: v.pos.clone(),
                    });
                }
                vars.insert(k.clone(), v.clone());
            }
            *envm = vars;
        }
        origins.insert(name.clone(), origin);
    }
    Ok(origins)
}

/// Folds each service's `label_file` into its `labels` (the files' labels first, then
/// `labels` wins), as Compose does, and drops `label_file`.
pub fn resolve_label_files(root: &mut Node) -> Result<(), LoadError> {
    let Some(services) = services_mut(root) else {
        return Ok(());
    };
    for (name, svc) in services.iter_mut() {
        let Some(sm) = svc.as_map_mut() else { continue };
        let Some(lf) = sm.remove("label_file") else {
            continue;
        };
        let mut labels = Map::new();
        let items = match &lf.value {
            Value::Seq(items) => items.clone(),
            _ => vec![lf.clone()],
        };
        for (i, it) in items.iter().enumerate() {
            let p = format!("services.{name}.label_file[{i}]");
            let Some(path) = it.scalar_string() else {
                continue;
            };
            let text = crate::input::read_text(Path::new(&path), crate::input::MAX_ENV_FILE)
                .map_err(|e| {
                    LoadError::at(
                        &it.pos,
                        &p,
                        format!("label file {path} cannot be read: {e}"),
                    )
                    .with_kind(ErrorKind::FileNotFound)
                    .with_hint("create the file or fix the path")
                })?;
            let parsed = crate::dotenv::parse(&text, &|_| None).map_err(|e| {
                LoadError::at(&it.pos, &p, format!("{path}:{}: {}", e.line, e.message))
            })?;
            for (k, e) in parsed {
                let vpos = Pos {
                    file: std::sync::Arc::from(path.as_str()),
                    line: e.line,
                    col: 1,
                };
                labels.insert(k, Node::str(e.value, vpos));
            }
        }
        let own = sm.entry_or_insert("labels", Node::map(Map::new(), Pos::synthetic()));
        if own.is_null() {
            own.value = Value::Map(Map::new());
        }
        if let Some(lm) = own.as_map_mut() {
            for (k, v) in lm.iter() {
                labels.insert(k.clone(), v.clone());
            }
            *lm = labels;
        }
    }
    Ok(())
}

/// Final touches before typing: no leftovers of `extends`, and networks and volumes that no
/// active service uses are left out (Compose neither prints nor creates them).
pub fn finish(root: &mut Node) {
    let mut used_networks: Vec<String> = Vec::new();
    let mut used_volumes: Vec<String> = Vec::new();
    let mut used_secrets: Vec<String> = Vec::new();
    let mut used_configs: Vec<String> = Vec::new();
    if let Some(services) = services_mut(root) {
        for (_, svc) in services.iter_mut() {
            let Some(sm) = svc.as_map_mut() else { continue };
            sm.remove("extends");
            if let Some(nets) = sm.get("networks").and_then(|n| n.as_map()) {
                used_networks.extend(nets.keys().cloned());
            }
            let build_secrets = sm
                .get("build")
                .and_then(|b| b.as_map())
                .and_then(|b| b.get("secrets"));
            let sources = |list: Option<&Node>| -> Vec<String> {
                list.and_then(|l| l.as_seq())
                    .into_iter()
                    .flatten()
                    .filter_map(|it| {
                        it.as_map()
                            .and_then(|m| m.get("source"))
                            .and_then(|s| s.scalar_string())
                    })
                    .collect()
            };
            used_secrets.extend(sources(sm.get("secrets")));
            used_secrets.extend(sources(build_secrets));
            used_configs.extend(sources(sm.get("configs")));
            for v in sm
                .get("volumes")
                .and_then(|v| v.as_seq())
                .into_iter()
                .flatten()
            {
                let Some(vm) = v.as_map() else { continue };
                if vm.get("type").and_then(|t| t.as_str()) == Some("volume") {
                    if let Some(src) = vm.get("source").and_then(|s| s.scalar_string()) {
                        used_volumes.push(src);
                    }
                }
            }
        }
    }
    let Some(m) = root.as_map_mut() else { return };
    if let Some(nets) = m.get_mut("networks").and_then(|n| n.as_map_mut()) {
        nets.retain(|k, _| used_networks.iter().any(|u| u == k));
    }
    if let Some(vols) = m.get_mut("volumes").and_then(|n| n.as_map_mut()) {
        vols.retain(|k, _| used_volumes.iter().any(|u| u == k));
    }
    for (k, used) in [("secrets", &used_secrets), ("configs", &used_configs)] {
        if let Some(res) = m.get_mut(k).and_then(|n| n.as_map_mut()) {
            res.retain(|name, _| used.iter().any(|u| u == name));
        }
    }
    for k in ["networks", "volumes", "secrets", "configs"] {
        if m.get(k)
            .and_then(|n| n.as_map())
            .map(|x| x.is_empty())
            .unwrap_or(false)
        {
            m.remove(k);
        }
    }
}
