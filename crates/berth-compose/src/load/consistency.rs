//! Validation that the schema cannot express: references between services and resources,
//! `depends_on` cycles (with the whole path), and mutually exclusive settings.

use crate::error::LoadError;
use crate::yaml::{Map, Node, Value};

use super::did_you_mean;

fn names(root: &Map, kind: &str) -> Vec<String> {
    root.get(kind)
        .and_then(|n| n.as_map())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Checks the normalised project; the first problem found is returned.
pub fn check(root: &Node) -> Result<(), LoadError> {
    let Some(rm) = root.as_map() else {
        return Ok(());
    };
    let empty = Map::new();
    let services = rm
        .get("services")
        .and_then(|s| s.as_map())
        .unwrap_or(&empty);
    let service_names: Vec<String> = services.keys().cloned().collect();
    let networks = names(rm, "networks");
    let volumes = names(rm, "volumes");
    let secrets = names(rm, "secrets");
    let configs = names(rm, "configs");

    for (name, svc) in services.iter() {
        let p = format!("services.{name}");
        let Some(sm) = svc.as_map() else { continue };
        if !sm.contains_key("image") && !sm.contains_key("build") {
            return Err(LoadError::at(
                &svc.pos,
                &p,
                format!("service \"{name}\" has neither an image nor a build context specified"),
            )
            .with_hint("add `image: NAME[:TAG]` or `build: DIR`"));
        }
        if let Some(deps) = sm.get("depends_on").and_then(|d| d.as_map()) {
            for (dep, d) in deps.iter() {
                let required = !matches!(
                    d.as_map().and_then(|m| m.get("required")).map(|r| &r.value),
                    Some(Value::Bool(false))
                );
                if !services.contains_key(dep) && required {
                    return Err(LoadError::at(
                        deps.key_pos(dep).unwrap_or(&d.pos),
                        &format!("{p}.depends_on.{dep}"),
                        format!("service \"{name}\" depends on undefined service \"{dep}\""),
                    )
                    .with_hint(did_you_mean(dep, service_names.iter())));
                }
            }
        }
        if let (Some(nm), Some(_)) = (sm.get("network_mode"), sm.get("networks")) {
            return Err(LoadError::at(
                &nm.pos,
                &format!("{p}.network_mode"),
                format!(
                    "service \"{name}\" declares mutually exclusive `network_mode` and `networks`"
                ),
            )
            .with_hint("keep one of them"));
        }
        if let Some(nm) = sm.get("network_mode").and_then(|n| n.as_str()) {
            if let Some(t) = nm.strip_prefix("service:") {
                if !service_names.iter().any(|s| s == t) {
                    return Err(LoadError::at(
                        &sm.get("network_mode")
                            .map(|n| n.pos.clone())
                            .unwrap_or_default(),
                        &format!("{p}.network_mode"),
                        format!(
                        "service \"{name}\" uses the network stack of undefined service \"{t}\""
                    ),
                    ));
                }
            }
        }
        if let Some(nets) = sm.get("networks").and_then(|n| n.as_map()) {
            for (net, n) in nets.iter() {
                if !networks.contains(net) {
                    return Err(LoadError::at(
                        nets.key_pos(net).unwrap_or(&n.pos),
                        &format!("{p}.networks.{net}"),
                        format!("service \"{name}\" refers to undefined network {net}"),
                    )
                    .with_hint(format!(
                        "declare it under the top-level `networks:`; {}",
                        did_you_mean(net, networks.iter())
                    )));
                }
            }
        }
        if let Some(vols) = sm.get("volumes").and_then(|v| v.as_seq()) {
            for (i, v) in vols.iter().enumerate() {
                let Some(vm) = v.as_map() else { continue };
                if vm.get("type").and_then(|t| t.as_str()) != Some("volume") {
                    continue;
                }
                let Some(src) = vm.get("source").and_then(|s| s.as_str()) else {
                    continue;
                };
                if !src.is_empty() && !volumes.iter().any(|x| x == src) {
                    return Err(LoadError::at(&v.pos, &format!("{p}.volumes[{i}]"), format!(
                        "service \"{name}\" refers to undefined volume {src}"
                    ))
                    .with_hint(format!(
                        "declare it under the top-level `volumes:`, or write a path (./{src}) for a bind mount"
                    )));
                }
            }
        }
        for (kind, known) in [("secrets", &secrets), ("configs", &configs)] {
            if let Some(items) = sm.get(kind).and_then(|v| v.as_seq()) {
                for (i, it) in items.iter().enumerate() {
                    let Some(src) = it
                        .as_map()
                        .and_then(|m| m.get("source"))
                        .and_then(|s| s.scalar_string())
                    else {
                        continue;
                    };
                    if !known.contains(&src) {
                        let singular = &kind[..kind.len() - 1];
                        return Err(LoadError::at(
                            &it.pos,
                            &format!("{p}.{kind}[{i}]"),
                            format!("service \"{name}\" refers to undefined {singular} {src}"),
                        )
                        .with_hint(format!("declare it under the top-level `{kind}:`")));
                    }
                }
            }
        }
        let replicas = sm
            .get("deploy")
            .and_then(|d| d.as_map())
            .and_then(|d| d.get("replicas"));
        if let (Some(scale), Some(r)) = (sm.get("scale"), replicas) {
            if scale.scalar_string() != r.scalar_string() {
                return Err(LoadError::at(
                    &scale.pos,
                    &format!("{p}.scale"),
                    "can't set distinct values on 'scale' and 'deploy.replicas'",
                )
                .with_hint("keep one of them"));
            }
        }
        if let Some(cn) = sm.get("container_name") {
            let n = replicas.or(sm.get("scale")).and_then(|r| match r.value {
                Value::Int(i) => Some(i),
                _ => None,
            });
            if n.map(|n| n > 1).unwrap_or(false) {
                return Err(LoadError::at(&cn.pos, &format!("{p}.container_name"), format!(
                    "can't set container_name with more than one replica: a container name must be unique (service \"{name}\")"
                )));
            }
        }
        if let Some(platform) = sm.get("platform").and_then(|p| p.as_str()) {
            if let Some(pl) = sm
                .get("build")
                .and_then(|b| b.as_map())
                .and_then(|b| b.get("platforms"))
                .and_then(|p| p.as_seq())
            {
                if !pl.is_empty() && !pl.iter().any(|x| x.as_str() == Some(platform)) {
                    return Err(LoadError::at(
                        &sm.get("platform")
                            .map(|n| n.pos.clone())
                            .unwrap_or_default(),
                        &format!("{p}.platform"),
                        format!(
                            "service.build.platforms MUST include service.platform \"{platform}\""
                        ),
                    ));
                }
            }
        }
    }
    check_cycles(services)
}

/// Reports a `depends_on` cycle with its whole path (`a -> b -> c -> a`).
fn check_cycles(services: &Map) -> Result<(), LoadError> {
    type DiGraphMap<'a, N, E> = petgraph::graphmap::DiGraphMap<N, E, std::hash::RandomState>;
    let mut g: DiGraphMap<&str, ()> = DiGraphMap::default();
    for (name, svc) in services.iter() {
        g.add_node(name.as_str());
        if let Some(deps) = svc
            .as_map()
            .and_then(|m| m.get("depends_on"))
            .and_then(|d| d.as_map())
        {
            for (dep, _) in deps.iter() {
                if services.contains_key(dep) {
                    g.add_edge(name.as_str(), dep.as_str(), ());
                }
            }
        }
    }
    for scc in petgraph::algo::tarjan_scc(&g) {
        let cyclic = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
        if !cyclic {
            continue;
        }
        // Walk the cycle from its first service (in file order) to print the whole path.
        let start = services
            .keys()
            .find(|k| scc.contains(&k.as_str()))
            .map(String::as_str)
            .unwrap_or(scc[0]);
        let mut path = vec![start];
        let mut cur = start;
        loop {
            let next = g
                .neighbors(cur)
                .filter(|n| scc.contains(n))
                .find(|n| *n == start || !path.contains(n));
            match next {
                Some(n) if n == start => {
                    path.push(n);
                    break;
                }
                Some(n) => {
                    path.push(n);
                    cur = n;
                }
                None => break,
            }
        }
        let svc = services.get(start);
        let pos = svc
            .and_then(|s| s.as_map())
            .and_then(|m| m.get("depends_on"))
            .map(|d| d.pos.clone())
            .unwrap_or_default();
        return Err(LoadError::at(
            &pos,
            &format!("services.{start}.depends_on"),
            format!("dependency cycle detected: {}", path.join(" -> ")),
        )
        .with_hint("remove one of these depends_on entries"));
    }
    Ok(())
}
