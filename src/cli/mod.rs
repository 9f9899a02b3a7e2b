//! The command line: Compose v2's global options and subcommands. Only `cli` and `ui` print.

// The command line prints: the one place besides `ui` (see clippy.toml).
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

pub mod attach;
pub mod bundle;
pub mod complete;
pub mod config;
pub mod convert;
pub mod convert_images;
pub mod convert_values;
pub mod cp;
pub mod events;
pub mod exec;
pub mod images;
pub mod inspect;
pub mod lifecycle;
pub mod lint;
pub mod logs;
pub mod manual;
pub mod plugin;
pub mod rollback;
pub mod run;
pub mod up;
pub mod wait;
pub mod watch;

mod failure;
mod global;

use clap::{Parser, Subcommand};

use crate::converge::verbs::Verb;
use berth_engine::{self as engine, Engine, EngineChoice};

pub use failure::{check_services, render_load_error, visible, Failure};
pub use global::{engine_session, Ansi, EngineArg, GlobalOptions, Progress};

/// berth: run a compose.yaml on Docker or Podman, and take it to Kubernetes.
#[derive(Parser, Debug)]
#[command(
    name = "berth",
    version = concat!("version ", env!("CARGO_PKG_VERSION")),
    about
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical format
    Config(config::ConfigArgs),
    /// Create and start containers
    Up(up::UpArgs),
    /// Create containers without starting them
    Create(up::UpArgs),
    /// Scale services
    Scale(up::ScaleArgs),
    /// Stop and remove containers, networks (and with -v volumes)
    Down(lifecycle::DownArgs),
    /// List containers
    Ps(lifecycle::PsArgs),
    /// List running compose projects
    Ls(lifecycle::LsArgs),
    /// Start existing containers
    Start(lifecycle::VerbArgs),
    /// Stop running containers without removing them
    Stop(lifecycle::VerbArgs),
    /// Restart service containers
    Restart(lifecycle::VerbArgs),
    /// Remove stopped service containers
    Rm(lifecycle::VerbArgs),
    /// Force stop service containers
    Kill(lifecycle::VerbArgs),
    /// Pause services
    Pause(lifecycle::VerbArgs),
    /// Unpause services
    Unpause(lifecycle::VerbArgs),
    /// View output from containers
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(exec::ExecArgs),
    /// Run a one-off command on a service
    Run(run::RunArgs),
    /// Copy files/folders between a service container and the local filesystem
    Cp(cp::CpArgs),
    /// Print the public port for a port binding
    Port(inspect::PortArgs),
    /// Display the running processes
    Top(inspect::ServicesArgs),
    /// List images used by the created containers
    Images(inspect::ImagesArgs),
    /// Block until the first service container stops
    Wait(wait::WaitArgs),
    /// Watch the build context of services and sync, rebuild or restart them as files change
    Watch(watch::WatchArgs),
    /// Receive real time events from containers
    Events(events::EventsArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(inspect::StatsArgs),
    /// Attach local standard input, output, and error streams to a service's running container
    Attach(attach::AttachArgs),
    /// Build or rebuild services
    Build(images::BuildArgs),
    /// Pull service images
    Pull(images::PullArgs),
    /// Push service images
    Push(images::PushArgs),
    /// The air-gap bundle: every image of the stack and its compose file in one archive
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// List the revisions `up` recorded for each service (what `rollback` returns to)
    History(rollback::HistoryArgs),
    /// Return services to an earlier revision, under their rollback_config
    Rollback(rollback::RollbackArgs),
    /// Convert the project to Kubernetes manifests or a Helm chart
    Convert(convert::ConvertArgs),
    /// Check the project for what a security review will raise
    Lint(lint::LintArgs),
    /// Print the script that completes berth's commands, flags, services and profiles in SHELL
    /// (bash: `source <(berth completion bash)`; zsh: `source <(berth completion zsh)`;
    /// fish: `berth completion fish | source`)
    Completion {
        /// bash, zsh or fish
        shell: String,
    },
    /// Write the manual pages (berth.1 and one per subcommand) into DIR
    Man {
        /// Where to write them, e.g. /usr/local/share/man/man1
        dir: std::path::PathBuf,
    },
    /// Make berth a Docker CLI plugin: `docker berth up -d`, listed by `docker --help`
    InstallPlugin {
        /// The plugin directory (default: ~/.docker/cli-plugins, or $DOCKER_CONFIG/cli-plugins)
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Show the berth version information
    Version {
        /// Shows only berth's version number
        #[arg(long)]
        short: bool,
        /// Format the output (pretty or json)
        #[arg(short = 'f', long = "format", default_value = "pretty")]
        format: String,
    },
}

/// The engine `berth version` reports: connected within 5 s, or why not.
fn engine_line(choice: EngineChoice) -> Result<Engine, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let target = engine::target(choice);
    rt.block_on(async {
        match tokio::time::timeout(
            std::time::Duration::from_secs(5),
            Engine::connect_to(&target),
        )
        .await
        {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(_) => Err(format!(
                "no answer within 5 s from {} ({})",
                target.host, target.source
            )),
        }
    })
}

/// `-e KEY=VALUE` as is; `-e KEY` takes KEY from berth's environment (left out when unset).
pub fn env_list(items: &[String]) -> Vec<String> {
    items
        .iter()
        .filter_map(|e| {
            if e.contains('=') {
                Some(e.clone())
            } else {
                std::env::var(e).ok().map(|v| format!("{e}={v}"))
            }
        })
        .collect()
}

/// Prints a warning on stderr.
pub fn warn(msg: &str) {
    eprintln!("WARN {}", visible(msg));
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, Failure> {
    match cli.command {
        Command::Config(args) => config::run(&cli.global, args),
        Command::Up(args) => up::run(&cli.global, args, false),
        Command::Create(args) => up::run(&cli.global, args, true),
        Command::Scale(args) => up::run(&cli.global, args.as_up()?, false),
        Command::Down(args) => lifecycle::down(&cli.global, args),
        Command::History(args) => rollback::history(&cli.global, args),
        Command::Rollback(args) => rollback::rollback(&cli.global, args),
        Command::Ps(args) => lifecycle::ps(&cli.global, args),
        Command::Ls(args) => lifecycle::ls(&cli.global, args),
        Command::Start(a) => lifecycle::verb(&cli.global, Verb::Start, a),
        Command::Stop(a) => lifecycle::verb(&cli.global, Verb::Stop, a),
        Command::Restart(a) => lifecycle::verb(&cli.global, Verb::Restart, a),
        Command::Rm(a) => lifecycle::verb(&cli.global, Verb::Rm, a),
        Command::Kill(a) => lifecycle::verb(&cli.global, Verb::Kill, a),
        Command::Pause(a) => lifecycle::verb(&cli.global, Verb::Pause, a),
        Command::Unpause(a) => lifecycle::verb(&cli.global, Verb::Unpause, a),
        Command::Logs(a) => logs::run(&cli.global, a),
        Command::Exec(a) => exec::run(&cli.global, a),
        Command::Run(a) => run::run(&cli.global, a),
        Command::Cp(a) => cp::cp(&cli.global, a),
        Command::Port(a) => inspect::port(&cli.global, a),
        Command::Top(a) => inspect::top(&cli.global, a),
        Command::Images(a) => inspect::images(&cli.global, a),
        Command::Wait(a) => wait::wait(&cli.global, a),
        Command::Watch(a) => watch::run(&cli.global, a),
        Command::Events(a) => events::events(&cli.global, a),
        Command::Stats(a) => inspect::stats(&cli.global, a),
        Command::Attach(a) => attach::attach(&cli.global, a),
        Command::Build(a) => images::build(&cli.global, a),
        Command::Pull(a) => images::pull(&cli.global, a),
        Command::Push(a) => images::push(&cli.global, a),
        Command::Bundle(c) => bundle::run(&cli.global, c),
        Command::Convert(args) => convert::run(&cli.global, args),
        Command::Lint(args) => lint::run(&cli.global, args),
        Command::Completion { shell } => {
            complete::script(&shell, &mut std::io::stdout())?;
            Ok(0)
        }
        Command::Man { dir } => {
            for page in manual::write(&dir)? {
                println!("{}", page.display());
            }
            Ok(0)
        }
        Command::InstallPlugin { dir } => {
            let link = plugin::install(dir)?;
            println!(
                "{} -> {}",
                link.display(),
                std::env::current_exe()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            );
            println!("`docker berth` now runs berth");
            Ok(0)
        }
        Command::Version { short, format } => {
            let v = env!("CARGO_PKG_VERSION");
            if short {
                println!("{v}");
                return Ok(0);
            }
            let engine = engine_line(cli.global.engine.into());
            if format == "json" {
                let e = match &engine {
                    Ok(e) => serde_json::json!({
                        "kind": e.kind().to_string(),
                        "version": e.version(),
                        "api": format!("{}.{}", e.api_version().0, e.api_version().1),
                        "host": e.host(),
                        "source": e.source(),
                    }),
                    Err(m) => serde_json::json!({ "error": m }),
                };
                println!("{}", serde_json::json!({ "version": v, "engine": e }));
            } else {
                println!("berth version {v}");
                match &engine {
                    Ok(e) => println!("engine: {}", e.describe()),
                    Err(m) => println!("engine: {}", m.lines().next().unwrap_or_default()),
                }
            }
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    /// clap checks its definitions (e.g. two arguments sharing `-f`) only when a subcommand
    /// is used: check them all at once.
    #[test]
    fn every_subcommand_definition_is_valid() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
