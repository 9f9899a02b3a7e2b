//! Everything that decides *which* project is loaded before a single compose file is read:
//! the files (`-f`, `COMPOSE_FILE`, discovery), the project directory, the project environment
//! (shell, `.env` or `--env-file`), the project name, the profiles.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::dotenv;
use super::error::LoadError;

/// The compose file names Compose v2 looks for, in order of preference.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
/// The override files merged after the default file when no `-f` is given.
pub const OVERRIDE_FILES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// One compose file to load.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// Absolute path, or `-` for standard input.
    pub path: PathBuf,
    /// Its text, when already read (stdin, or tests).
    pub content: Option<String>,
}

/// Where a variable of the project environment came from (shown by `config --explain`).
#[derive(Clone, Debug, PartialEq)]
pub enum EnvSource {
    Shell,
    /// A line of `.env` or of an `--env-file`.
    File {
        path: PathBuf,
        line: u32,
    },
    /// Set by berth itself (`COMPOSE_PROJECT_NAME`).
    Derived,
}

/// The project (interpolation) environment: the shell's variables and the `.env` file's.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub vars: IndexMap<String, String>,
    pub sources: IndexMap<String, EnvSource>,
}

impl Environment {
    pub fn get(&self, k: &str) -> Option<&str> {
        self.vars.get(k).map(String::as_str)
    }
    pub fn set(&mut self, k: impl Into<String>, v: impl Into<String>, src: EnvSource) {
        let k = k.into();
        self.sources.insert(k.clone(), src);
        self.vars.insert(k, v.into());
    }
    pub fn from_os() -> Environment {
        let mut e = Environment::default();
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                e.set(k, v, EnvSource::Shell);
            }
        }
        e
    }
    /// Variables from a file fill in what the shell does not set (the shell wins).
    pub fn add_file_vars(&mut self, path: &Path, vars: IndexMap<String, dotenv::DotenvEntry>) {
        for (k, e) in vars {
            if !self.vars.contains_key(&k) {
                self.set(
                    k,
                    e.value,
                    EnvSource::File {
                        path: path.to_path_buf(),
                        line: e.line,
                    },
                );
            }
        }
    }
}

/// What the user asked for on the command line (or a library caller sets directly).
#[derive(Clone, Debug, Default)]
pub struct ProjectRequest {
    /// `-f` files as given (relative to the current directory); `-` is stdin.
    pub files: Vec<String>,
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    /// The current directory (defaults to the process's).
    pub cwd: Option<PathBuf>,
    /// The shell environment (defaults to the process's).
    pub os_env: Option<Environment>,
    /// Standard input, for `-f -`.
    pub stdin: Option<String>,
}

/// Everything resolved that the loader needs.
#[derive(Clone, Debug)]
pub struct ProjectOptions {
    pub files: Vec<ConfigFile>,
    /// The project directory: base of relative paths and of `.env`.
    pub working_dir: PathBuf,
    pub environment: Environment,
    /// The explicit name (`-p` or `COMPOSE_PROJECT_NAME`), validated but not normalised.
    pub explicit_name: Option<String>,
    pub profiles: Vec<String>,
    /// The env files actually read (`--env-file`, or `.env` when present).
    pub env_files: Vec<PathBuf>,
    /// Warnings to show the user (e.g. several default files found).
    pub warnings: Vec<String>,
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    crate::paths::clean(&joined)
}

fn load_env_file(
    path: &Path,
    env: &Environment,
) -> Result<IndexMap<String, dotenv::DotenvEntry>, LoadError> {
    let text = crate::input::read_text(path, crate::input::MAX_ENV_FILE).map_err(|e| {
        let message = format!("cannot read env file {}: {e}", path.display());
        if matches!(e, crate::input::ReadError::Io(_)) {
            LoadError::not_found(message)
        } else {
            LoadError::invalid(None, None, message)
        }
    })?;
    let lookup = |k: &str| env.get(k).map(str::to_string);
    dotenv::parse(&text, &lookup).map_err(|e| {
        LoadError::invalid(
            None,
            None,
            format!("{}:{}: {}", path.display(), e.line, e.message),
        )
    })
}

impl ProjectRequest {
    /// Resolves files, directory, environment and name as Compose v2 does.
    pub fn resolve(self) -> Result<ProjectOptions, LoadError> {
        let cwd = match self.cwd.clone() {
            Some(c) => c,
            None => std::env::current_dir()
                .map_err(|e| LoadError::other(format!("cannot read the current directory: {e}")))?,
        };
        let mut env = self.os_env.clone().unwrap_or_else(Environment::from_os);
        let mut warnings = Vec::new();
        let project_dir_flag = self.project_directory.as_ref().map(|p| absolute(&cwd, p));

        // 1. Where .env is read from: --project-directory, else the first -f file's directory, else cwd.
        let first_file_dir = self.files.first().filter(|f| f.as_str() != "-").map(|f| {
            absolute(&cwd, Path::new(f))
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or(cwd.clone())
        });
        let mut env_dir = project_dir_flag
            .clone()
            .or(first_file_dir)
            .unwrap_or(cwd.clone());

        // 2. The env files: --env-file (or COMPOSE_ENV_FILES) replace .env.
        let mut env_file_flags: Vec<PathBuf> =
            self.env_files.iter().map(|p| absolute(&cwd, p)).collect();
        if env_file_flags.is_empty() {
            if let Some(list) = env.get("COMPOSE_ENV_FILES") {
                env_file_flags = list
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| absolute(&cwd, Path::new(s)))
                    .collect();
            }
        }
        let shell_env = env.clone();
        let mut env_files_read = Vec::new();
        let read_env_files =
            |env: &mut Environment, dir: &Path, read: &mut Vec<PathBuf>| -> Result<(), LoadError> {
                if !env_file_flags.is_empty() {
                    for f in &env_file_flags {
                        if !f.exists() {
                            return Err(LoadError::not_found(format!(
                                "couldn't find env file: {}",
                                f.display()
                            )));
                        }
                        let vars = load_env_file(f, env)?;
                        // Later files override earlier ones; the shell still wins.
                        for (k, e) in vars {
                            if shell_env.vars.contains_key(&k) {
                                continue;
                            }
                            env.set(
                                k,
                                e.value,
                                EnvSource::File {
                                    path: f.clone(),
                                    line: e.line,
                                },
                            );
                        }
                        read.push(f.clone());
                    }
                } else if shell_env.get("COMPOSE_DISABLE_ENV_FILE").map(is_true) != Some(true) {
                    let f = dir.join(".env");
                    if f.is_file() {
                        let vars = load_env_file(&f, env)?;
                        env.add_file_vars(&f, vars);
                        read.push(f);
                    }
                }
                Ok(())
            };
        read_env_files(&mut env, &env_dir, &mut env_files_read)?;

        // 3. The compose files.
        let mut files: Vec<ConfigFile> = Vec::new();
        if !self.files.is_empty() {
            for f in &self.files {
                if f == "-" {
                    files.push(ConfigFile {
                        path: PathBuf::from("-"),
                        content: Some(self.stdin.clone().unwrap_or_default()),
                    });
                } else {
                    files.push(ConfigFile {
                        path: absolute(&cwd, Path::new(f)),
                        content: None,
                    });
                }
            }
        } else if let Some(list) = env.get("COMPOSE_FILE").map(str::to_string) {
            let sep = env.get("COMPOSE_PATH_SEPARATOR").unwrap_or(":").to_string();
            let base = project_dir_flag.clone().unwrap_or(cwd.clone());
            for f in list.split(sep.as_str()).filter(|s| !s.is_empty()) {
                files.push(ConfigFile {
                    path: absolute(&base, Path::new(f)),
                    content: None,
                });
            }
        } else {
            let start = project_dir_flag.clone().unwrap_or(cwd.clone());
            let (found, warn) = discover(&start)?;
            if let Some(w) = warn {
                warnings.push(w);
            }
            let dir = found[0]
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or(start.clone());
            if project_dir_flag.is_none() && dir != env_dir {
                // The file was found in a parent: its directory is the project directory.
                env_dir = dir;
                env = shell_env.clone();
                env_files_read.clear();
                read_env_files(&mut env, &env_dir, &mut env_files_read)?;
            }
            files = found
                .into_iter()
                .map(|p| ConfigFile {
                    path: p,
                    content: None,
                })
                .collect();
        }
        for f in &files {
            if f.content.is_none() && !f.path.exists() {
                return Err(LoadError::not_found(format!(
                    "open {}: no such file or directory",
                    f.path.display()
                )));
            }
        }

        let working_dir = match project_dir_flag {
            Some(d) => d,
            None => match files.first() {
                Some(f) if f.content.is_none() => f
                    .path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or(cwd.clone()),
                _ => cwd.clone(),
            },
        };

        // COMPOSE_FILE (from .env) may point into another directory: that project directory's
        // own .env then fills in what is still unset, as Compose v2 does.
        if self.project_directory.is_none() && self.env_files.is_empty() && working_dir != env_dir {
            let f = working_dir.join(".env");
            if f.is_file() && env.get("COMPOSE_DISABLE_ENV_FILE").map(is_true) != Some(true) {
                let vars = load_env_file(&f, &env)?;
                env.add_file_vars(&f, vars);
                env_files_read.push(f);
            }
        }

        // 4. Name and profiles from flags, else from the environment (.env included).
        let explicit_name = match self.project_name.clone() {
            Some(n) => Some(n),
            None => env
                .get("COMPOSE_PROJECT_NAME")
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        };
        if let Some(n) = &explicit_name {
            if super::load::normalize_project_name(n) != *n || n.is_empty() {
                return Err(LoadError::other(format!(
                    "invalid project name \"{n}\": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
                )));
            }
        }
        let mut profiles = self.profiles.clone();
        if profiles.is_empty() {
            if let Some(p) = env.get("COMPOSE_PROFILES") {
                profiles = p
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
            }
        }
        Ok(ProjectOptions {
            files,
            working_dir,
            environment: env,
            explicit_name,
            profiles,
            env_files: env_files_read,
            warnings,
        })
    }
}

fn is_true(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "1" | "true" | "t" | "yes" | "y" | "on"
    )
}

/// Looks for a compose file in `start` and then each parent; returns it and its override file.
pub fn discover(start: &Path) -> Result<(Vec<PathBuf>, Option<String>), LoadError> {
    let mut dir = Some(start.to_path_buf());
    while let Some(d) = dir {
        let found: Vec<PathBuf> = DEFAULT_FILES
            .iter()
            .map(|f| d.join(f))
            .filter(|p| p.is_file())
            .collect();
        if let Some(first) = found.first() {
            let warn = (found.len() > 1).then(|| {
                format!(
                    "Found multiple config files with supported names: {}\nUsing {}",
                    found
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    first.display()
                )
            });
            let mut files = vec![first.clone()];
            if let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|f| d.join(f))
                .find(|p| p.is_file())
            {
                files.push(o);
            }
            return Ok((files, warn));
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Err(
        LoadError::not_found("no configuration file provided: not found").with_hint(format!(
            "berth looks for {} in {} and its parent directories; pass one with -f",
            DEFAULT_FILES.join(", "),
            start.display()
        )),
    )
}
