//! Compose v2's global options (`-f`, `-p`, `--project-directory`, `--env-file`, `--profile`,
//! `--progress`, `--ansi`, `--parallel`, `--dry-run`, and berth's `--engine`), what they
//! resolve to, and the engine session a command runs in.

use std::path::PathBuf;

use clap::ValueEnum;

use super::{warn, Failure};
use crate::project::ProjectScope;
use crate::ui::progress::{Mode, Progress as UiProgress};
use berth_compose::load::{self, LoadFlags, LoadedProject};
use berth_compose::options::{ProjectOptions, ProjectRequest};
use berth_engine::{self as engine, Engine, EngineChoice};

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

impl GlobalOptions {
    /// The project request these options describe.
    pub fn request(&self) -> Result<ProjectRequest, Failure> {
        let stdin = if self.file.iter().any(|f| f == "-") {
            let s = berth_compose::input::read_stdin(berth_compose::input::MAX_COMPOSE_FILE)
                .map_err(|e| {
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

    /// The project narrowed to `services` (all enabled services when empty), for the commands
    /// that read it whole: `convert`, `lint`, `bundle save`. Its tree is kept, so that findings
    /// name the file and line a key was written at, also in an included or extended file.
    pub fn load_selected(&self, services: &[String]) -> Result<LoadedProject, Failure> {
        let flags = LoadFlags {
            services: services.to_vec(),
            keep_tree: true,
            ..Default::default()
        };
        let (_, mut loaded) = self.load(&flags)?;
        if !services.is_empty() {
            loaded
                .select_services(services)
                .map_err(|e| Failure::new(1, e))?;
        }
        Ok(loaded)
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
