//! Prints a compose project's dependency graph and the waves it starts in, using
//! berth-compose as a library: the same loader as `berth config`, then [`ServiceGraph`].
//!
//! ```text
//! cargo run -p berth-compose --example graph -- compose-samples/pipeline/compose.yaml
//! ```

use std::process::ExitCode;

use berth_compose::{load, LoadFlags, ProjectRequest, ServiceGraph};

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
    let loaded = match request
        .resolve()
        .and_then(|o| load(&o, &LoadFlags::default()))
    {
        Ok(loaded) => loaded,
        Err(err) => {
            // The error names the file, line, key path and what would fix it.
            eprintln!("graph: {err}");
            return ExitCode::from(err.exit_code() as u8);
        }
    };
    let graph = ServiceGraph::from_project(&loaded.project);
    println!(
        "project {}: {} service(s)",
        loaded.name,
        loaded.project.services.len()
    );
    for name in loaded.project.services.keys() {
        let deps: Vec<String> = graph
            .dependencies(name)
            .iter()
            .map(|d| format!("{} ({})", d.service, d.condition.as_str()))
            .collect();
        if deps.is_empty() {
            println!("  {name}");
        } else {
            println!("  {name} <- {}", deps.join(", "));
        }
    }
    match graph.start_waves() {
        Some(waves) => {
            println!("start order:");
            for (i, wave) in waves.iter().enumerate() {
                println!("  {}. {}", i + 1, wave.join(", "));
            }
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("graph: the services depend on each other in a cycle");
            ExitCode::FAILURE
        }
    }
}
