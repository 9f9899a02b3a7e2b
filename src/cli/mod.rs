//! The command line: Compose v2's global options and subcommands. Only `cli` and `ui` print.

// The command line prints: the one place besides `ui` (see clippy.toml).
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::print_stderr)]

pub mod attach;
pub mod bundle;
pub mod config;
pub mod convert;
pub mod cp;
pub mod events;
pub mod exec;
pub mod images;
pub mod inspect;
pub mod lifecycle;
pub mod lint;
pub mod logs;
pub mod run;
pub mod up;
pub mod wait;
pub mod watch;

use std::io::Read;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::converge::verbs::Verb;
use crate::project::ProjectScope;
use crate::ui::progress::{Mode, Progress as UiProgress};
use berth_compose::error::LoadError;
use berth_compose::load::{self, LoadFlags, LoadedProject};
use berth_compose::options::{ProjectOptions, ProjectRequest};
use berth_engine::{self as engine, Engine, EngineChoice};

/// berth: run a compose.yaml on Docker or Podman, and take it to Kubernetes.
#[derive(Parser, Debug)]
#[command(name = "berth", version, about, disable_help_subcommand = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,
    #[command(subcommand)]
    pub command: Command,
}

/// Compose v2's global options. As with `docker compose`, they go before the subcommand
/// (so `rm -f` is `--force`, `run -p` is `--publish`); `--dry-run`, `--progress`, `--ansi`
/// and `--parallel`, which no subcommand reuses, are accepted after it too.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GlobalOptions {
    /// Compose configuration files (repeatable; `-` reads standard input)
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<String>,
    /// Project name
    #[arg(short = 'p', long = "project-name")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first compose file)
    #[arg(long = "project-directory")]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files, replacing .env (repeatable)
    #[arg(long = "env-file")]
    pub env_file: Vec<PathBuf>,
    /// Profiles to enable (repeatable)
    #[arg(long = "profile")]
    pub profile: Vec<String>,
    /// Control when to print ANSI control characters
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        env = "COMPOSE_ANSI"
    )]
    pub ansi: Ansi,
    /// Set the type of progress output
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub progress: Progress,
    /// Control max parallelism, -1 for unlimited
    #[arg(
        long,
        global = true,
        env = "COMPOSE_PARALLEL_LIMIT",
        allow_hyphen_values = true
    )]
    pub parallel: Option<i64>,
    /// Execute the command in dry run mode (print what would be done, change nothing)
    #[arg(long = "dry-run", global = true)]
    pub dry_run: bool,
    /// Container engine: docker (DOCKER_HOST, /var/run/docker.sock), podman (CONTAINER_HOST,
    /// DOCKER_HOST, $XDG_RUNTIME_DIR/podman/podman.sock, /run/podman/podman.sock) or auto
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "auto",
        env = "BERTH_ENGINE"
    )]
    pub engine: EngineArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineArg {
    Docker,
    Podman,
    #[default]
    Auto,
}

impl From<EngineArg> for EngineChoice {
    fn from(a: EngineArg) -> Self {
        match a {
            EngineArg::Docker => EngineChoice::Docker,
            EngineArg::Podman => EngineChoice::Podman,
            EngineArg::Auto => EngineChoice::Auto,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ansi {
    Never,
    Always,
    #[default]
    Auto,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    #[default]
    Auto,
    Tty,
    Plain,
    Quiet,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical format
    Config(config::ConfigArgs),
    /// Create and start containers
    Up(up::UpArgs),
    /// Create containers without starting them
    Create(up::UpArgs),
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
    /// Convert the project to Kubernetes manifests or a Helm chart
    Convert(convert::ConvertArgs),
    /// Check the project for what a security review will raise
    Lint(lint::LintArgs),
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

/// A failure with the exit code Compose v2 uses for it.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
}

/// `no such service: x` (exit 1) for a service the compose file does not define.
pub fn check_services(scope: &ProjectScope, services: &[String]) -> Result<(), Failure> {
    match scope.unknown_service(services) {
        Some(s) => Err(Failure::new(1, format!("no such service: {s}"))),
        None => Ok(()),
    }
}

impl From<berth_engine::EngineError> for Failure {
    fn from(e: berth_engine::EngineError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<crate::session::SessionError> for Failure {
    fn from(e: crate::session::SessionError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<crate::project::ContainerError> for Failure {
    fn from(e: crate::project::ContainerError) -> Self {
        Failure::new(1, e.to_string())
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        Failure {
            code: e.exit_code(),
            message: render_load_error(&e),
        }
    }
}

impl From<crate::converge::apply::ApplyError> for Failure {
    /// Compose v2's exit codes: 130 for an interrupt, 18 for a failed pull, else 1.
    fn from(e: crate::converge::apply::ApplyError) -> Self {
        use crate::converge::apply::ApplyError;
        use crate::images::ImageError;
        match e {
            ApplyError::Interrupted => {
                Failure::new(130, "interrupted: the next `berth up` continues from here")
            }
            e @ ApplyError::Image(ImageError::Pull(_)) => Failure::new(18, e.to_string()),
            e => Failure::new(1, e.to_string()),
        }
    }
}

impl Failure {
    pub fn new(code: i32, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Renders a loader error with the offending source line and a caret under the column.
pub fn render_load_error(e: &LoadError) -> String {
    let mut out = e.to_string();
    if let Some(pos) = &e.pos {
        if pos.line > 0 {
            let text = std::fs::read_to_string(&*pos.file).ok().or_else(|| {
                std::env::current_dir()
                    .ok()
                    .and_then(|d| std::fs::read_to_string(d.join(&*pos.file)).ok())
            });
            if let Some(line) = text
                .as_deref()
                .and_then(|t| t.lines().nth(pos.line as usize - 1))
            {
                let n = pos.line.to_string();
                let pad = " ".repeat(n.len());
                let caret = " ".repeat(pos.col.saturating_sub(1) as usize);
                out = format!("{out}\n {pad} |\n {n} | {line}\n {pad} | {caret}^");
            }
        }
    }
    out
}

impl GlobalOptions {
    /// The project request these options describe.
    pub fn request(&self) -> Result<ProjectRequest, Failure> {
        let stdin = if self.file.iter().any(|f| f == "-") {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                Failure::new(
                    14,
                    format!("cannot read the compose file from standard input: {e}"),
                )
            })?;
            Some(s)
        } else {
            None
        };
        Ok(ProjectRequest {
            files: self.file.clone(),
            project_name: self.project_name.clone(),
            project_directory: self.project_directory.clone(),
            env_files: self.env_file.clone(),
            profiles: self.profile.clone(),
            stdin,
            ..Default::default()
        })
    }

    /// Resolves options and loads the project, printing the loader's warnings.
    pub fn load(&self, flags: &LoadFlags) -> Result<(ProjectOptions, LoadedProject), Failure> {
        let opts = self.request()?.resolve()?;
        let loaded = load::load(&opts, flags)?;
        for w in &loaded.warnings {
            warn(w);
        }
        Ok((opts, loaded))
    }
}

impl GlobalOptions {
    /// The compiled rules of the services to watch, or every rule that cannot work (with file
    /// positions: the project is loaded a second time with provenance only to report them).
    pub fn watch_rules(
        &self,
        flags: &LoadFlags,
        loaded: &LoadedProject,
        services: &[String],
    ) -> Result<Vec<crate::watch::Rule>, Failure> {
        let traced = || {
            self.load(&LoadFlags {
                provenance: true,
                ..flags.clone()
            })
            .ok()
            .and_then(|(_, l)| l.provenance)
        };
        crate::watch::rules::compile_checked(loaded, services, traced)
            .map_err(|e| Failure::new(15, e))
    }

    /// The project the command acts on (by name alone when its files cannot be found), its
    /// loader's warnings printed.
    pub fn project(&self) -> Result<ProjectScope, Failure> {
        let scope = ProjectScope::open(self.request()?, self.project_name.as_deref())?;
        for w in scope.warnings() {
            warn(w);
        }
        Ok(scope)
    }

    /// Whether to colour output on stdout (`--ansi`, `NO_COLOR`, `--no-color`).
    pub fn stdout_color(&self, no_color: bool) -> bool {
        use std::io::IsTerminal;
        if no_color {
            return false;
        }
        match self.ansi {
            Ansi::Never => false,
            Ansi::Always => true,
            Ansi::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// How many engine calls run at once: `--parallel` / `COMPOSE_PARALLEL_LIMIT`, else 8
    /// (measured: the engine saturates at about 8 concurrent creates on 2 cores).
    pub fn parallelism(&self) -> usize {
        match self.parallel {
            Some(n) if n > 0 => n as usize,
            Some(_) => 64,
            None => 8,
        }
    }

    /// The progress display these options ask for.
    pub fn progress(&self, title: &str) -> UiProgress {
        use std::io::IsTerminal;
        let tty = std::io::stderr().is_terminal();
        let mode = match self.progress {
            self::Progress::Quiet => Mode::Quiet,
            self::Progress::Plain => Mode::Plain,
            self::Progress::Tty => Mode::Tty,
            self::Progress::Auto if tty => Mode::Tty,
            self::Progress::Auto => Mode::Plain,
        };
        let color = match self.ansi {
            Ansi::Never => false,
            Ansi::Always => true,
            Ansi::Auto => tty && std::env::var_os("NO_COLOR").is_none(),
        };
        UiProgress::new(mode, color, title)
    }
}

/// Connects to the engine and runs `f` on a runtime; a missing engine is one clear line.
pub fn engine_session<F, Fut>(global: &GlobalOptions, f: F) -> Result<i32, Failure>
where
    F: FnOnce(Engine, UiProgress) -> Fut,
    Fut: std::future::Future<Output = Result<i32, Failure>>,
{
    // One thread: berth waits on the engine, it does not compute. A multi-threaded runtime
    // pays a cross-thread wake-up per chunk of a stream (Docker sends a log line per HTTP
    // chunk) and competes with the engine for the cores: on 2 cores, `logs` of 40,000 lines
    // took 0.64 s against 0.18 s here, and `up` of 50 services 12.0 s against 9.8 s
    // (BENCHMARKS.md). Blocking work goes to `spawn_blocking`.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        let engine = Engine::connect_to(&engine::target(global.engine.into()))
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        let progress = global.progress("Running");
        f(engine, progress).await
    })
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
    eprintln!("WARN {msg}");
}

/// Runs the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32, Failure> {
    match cli.command {
        Command::Config(args) => config::run(&cli.global, args),
        Command::Up(args) => up::run(&cli.global, args, false),
        Command::Create(args) => up::run(&cli.global, args, true),
        Command::Down(args) => lifecycle::down(&cli.global, args),
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
