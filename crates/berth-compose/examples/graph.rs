//! Prints a compose project's dependency graph and an order to start it in, using berth as a
//! library: the same loader as `berth config`, then a topological sort of `depends_on`.
//!
//! ```text
//! cargo run --example graph -- compose-samples/pipeline/compose.yaml
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use berth_compose::load;
use berth_compose::options::ProjectRequest;

/// One `depends_on` entry: the service depended on and the condition it must meet.
struct Dependency {
    service: String,
    condition: String,
}

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: graph COMPOSE_FILE [COMPOSE_FILE...]");
        return ExitCode::from(2);
    }

    let request = ProjectRequest {
        files,
        ..Default::default()
    };
    let opts = match request.resolve() {
        Ok(opts) => opts,
        Err(err) => {
            eprintln!("graph: {err}");
            return ExitCode::FAILURE;
        }
    };
    let loaded = match load::load(&opts, &Default::default()) {
        Ok(loaded) => loaded,
        Err(err) => {
            eprintln!("graph: {err}");
            return ExitCode::FAILURE;
        }
    };

    // The canonical form is Compose v2's `config --format json`: depends_on is always the
    // long syntax there, an object keyed by service with a `condition`.
    let canonical = &loaded.canonical;
    let empty = serde_json::Map::new();
    let services = canonical["services"].as_object().unwrap_or(&empty);
    let mut graph: BTreeMap<String, Vec<Dependency>> = BTreeMap::new();
    for (name, service) in services {
        let deps = service["depends_on"]
            .as_object()
            .map(|deps| {
                deps.iter()
                    .map(|(dep, spec)| Dependency {
                        service: dep.clone(),
                        condition: spec["condition"]
                            .as_str()
                            .unwrap_or("service_started")
                            .to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        graph.insert(name.clone(), deps);
    }

    let project = canonical["name"].as_str().unwrap_or("(unnamed)");
    println!("project {project}: {} service(s)", graph.len());
    for (name, deps) in &graph {
        if deps.is_empty() {
            println!("  {name}");
        } else {
            let list: Vec<String> = deps
                .iter()
                .map(|d| format!("{} ({})", d.service, d.condition))
                .collect();
            println!("  {name} <- {}", list.join(", "));
        }
    }

    match start_waves(&graph) {
        Ok(waves) => {
            println!("start order:");
            for (i, wave) in waves.iter().enumerate() {
                let names: Vec<&str> = wave.iter().map(String::as_str).collect();
                println!("  {}. {}", i + 1, names.join(", "));
            }
            ExitCode::SUCCESS
        }
        Err(stuck) => {
            let names: Vec<&str> = stuck.iter().map(String::as_str).collect();
            eprintln!("graph: dependency cycle among: {}", names.join(", "));
            ExitCode::FAILURE
        }
    }
}

/// Kahn's algorithm in waves: every service in a wave depends only on earlier waves, so a
/// wave's services can start together. Dependencies outside the project (a disabled profile,
/// `required: false`) are ignored. Err holds the services left on a cycle.
fn start_waves(
    graph: &BTreeMap<String, Vec<Dependency>>,
) -> Result<Vec<Vec<String>>, BTreeSet<String>> {
    let mut pending: BTreeMap<&str, BTreeSet<&str>> = graph
        .iter()
        .map(|(name, deps)| {
            let inside = deps
                .iter()
                .map(|d| d.service.as_str())
                .filter(|d| graph.contains_key(*d))
                .collect();
            (name.as_str(), inside)
        })
        .collect();

    let mut waves = Vec::new();
    while !pending.is_empty() {
        let ready: Vec<&str> = pending
            .iter()
            .filter(|(_, deps)| deps.is_empty())
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            return Err(pending.keys().map(|s| s.to_string()).collect());
        }
        for name in &ready {
            pending.remove(name);
        }
        for deps in pending.values_mut() {
            for name in &ready {
                deps.remove(name);
            }
        }
        waves.push(ready.into_iter().map(String::from).collect());
    }
    Ok(waves)
}
