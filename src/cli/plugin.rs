//! berth as a Docker CLI plugin: `docker berth up -d`, listed by `docker --help` as
//! `docker compose` is. The Docker CLI runs `~/.docker/cli-plugins/docker-berth` with
//! `docker-cli-plugin-metadata` to learn what it is, then with its own arguments
//! (`[-H HOST] berth up -d`) to run it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::Failure;

/// The file name the Docker CLI looks for in its plugin directories.
const PLUGIN_FILE: &str = "docker-berth";

/// The arguments berth should parse, and the name its usage lines should show.
pub struct Invocation {
    pub args: Vec<OsString>,
    /// `docker berth` when the Docker CLI started berth, else none (`berth`).
    pub bin_name: Option<&'static str>,
}

/// What this process was started for: the plugin handshake, a run as `docker berth`, or an
/// ordinary run.
pub enum Start {
    /// The Docker CLI asks what the plugin is: print this and exit.
    Metadata(String),
    Run(Invocation),
}

/// Reads the process's own arguments and environment.
pub fn start() -> Result<Start, Failure> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let from_docker = std::env::var_os("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND").is_some();
    classify(args, from_docker)
}

fn classify(args: Vec<OsString>, from_docker: bool) -> Result<Start, Failure> {
    let started_as_plugin = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == PLUGIN_FILE);
    if !started_as_plugin {
        return Ok(Start::Run(Invocation {
            args,
            bin_name: None,
        }));
    }
    if args
        .get(1)
        .is_some_and(|a| a == "docker-cli-plugin-metadata")
    {
        return Ok(Start::Metadata(metadata()));
    }
    if !from_docker {
        // Run by hand under the plugin's file name: an ordinary berth.
        return Ok(Start::Run(Invocation {
            args,
            bin_name: None,
        }));
    }
    // `docker [DOCKER OPTIONS] berth [BERTH ARGS]`: the Docker CLI passes its whole command line.
    let at = args
        .iter()
        .skip(1)
        .position(|a| a == "berth")
        .map(|i| i + 1);
    let Some(at) = at else {
        return Err(Failure::new(
            16,
            "started by the Docker CLI without the `berth` subcommand in its arguments",
        ));
    };
    apply_docker_options(&args[1..at])?;
    let mut rest = vec![args[0].clone()];
    rest.extend(args[at + 1..].iter().cloned());
    Ok(Start::Run(Invocation {
        args: rest,
        bin_name: Some("docker berth"),
    }))
}

/// The Docker CLI's own options before `berth`: `-H/--host` chooses the engine as it does for
/// `docker`; the ones that only concern the Docker CLI are ignored; a context cannot be
/// followed (berth does not read Docker's context store) and is refused rather than ignored.
fn apply_docker_options(opts: &[OsString]) -> Result<(), Failure> {
    let mut it = opts.iter().map(|o| o.to_string_lossy().into_owned());
    while let Some(o) = it.next() {
        let (flag, inline) = match o.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (o.clone(), None),
        };
        match flag.as_str() {
            "-H" | "--host" => {
                let host = inline.or_else(|| it.next()).unwrap_or_default();
                // Start-up is single-threaded: no engine has been contacted yet.
                std::env::set_var("DOCKER_HOST", &host);
            }
            "-c" | "--context" => {
                let ctx = inline.or_else(|| it.next()).unwrap_or_default();
                if ctx != "default" {
                    return Err(Failure::new(
                        16,
                        format!(
                            "docker --context {ctx}: berth does not read Docker contexts; \
                             pass the engine with `docker -H HOST berth …` or DOCKER_HOST"
                        ),
                    ));
                }
            }
            // The Docker CLI's own options that take a value: skip the value.
            "-l" | "--log-level" | "--config" | "--tlscacert" | "--tlscert" | "--tlskey"
                if inline.is_none() =>
            {
                it.next();
            }
            _ => {}
        }
    }
    Ok(())
}

/// The plugin handshake: what `docker --help` lists.
fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "berth",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Compose stacks on Docker and Podman, taken to Kubernetes and air-gapped sites",
    })
    .to_string()
}

/// `berth install-plugin`: links `DIR/docker-berth` (default `~/.docker/cli-plugins`, or
/// `$DOCKER_CONFIG/cli-plugins`) to this berth, so `docker berth` runs it. Returns the link.
pub fn install(dir: Option<PathBuf>) -> Result<PathBuf, Failure> {
    let dir = match dir {
        Some(d) => d,
        None => default_dir()?,
    };
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Failure::new(1, format!("cannot find berth's own executable: {e}")))?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(1, format!("cannot create {}: {e}", dir.display())))?;
    let link = dir.join(PLUGIN_FILE);
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::remove_file(&link)
                .map_err(|e| Failure::new(1, format!("cannot replace {}: {e}", link.display())))?;
        }
        Ok(_) => {
            return Err(Failure::new(
                1,
                format!(
                    "{} exists and is not a link berth made; remove it first",
                    link.display()
                ),
            ))
        }
        Err(_) => {}
    }
    std::os::unix::fs::symlink(&exe, &link)
        .map_err(|e| Failure::new(1, format!("cannot link {}: {e}", link.display())))?;
    Ok(link)
}

/// Where the Docker CLI looks for a user's plugins: `cli-plugins` in its configuration
/// directory (`berth_engine::CliConfig::dir`, the rule `config.json` is found by).
fn default_dir() -> Result<PathBuf, Failure> {
    berth_engine::CliConfig::dir()
        .map(|d| d.join("cli-plugins"))
        .ok_or_else(|| Failure::new(1, "HOME is not set: pass the directory with --dir"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    fn run_args(s: Start) -> (Vec<String>, Option<&'static str>) {
        match s {
            Start::Run(i) => (
                i.args
                    .iter()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect(),
                i.bin_name,
            ),
            Start::Metadata(_) => panic!("metadata"),
        }
    }

    #[test]
    fn an_ordinary_start_is_left_alone() {
        let (a, bin) = run_args(classify(args(&["/usr/bin/berth", "berth", "up"]), true).unwrap());
        assert_eq!(a, ["/usr/bin/berth", "berth", "up"]);
        assert_eq!(bin, None);
    }

    #[test]
    fn the_handshake_names_berth_and_its_version() {
        let Start::Metadata(m) = classify(
            args(&["/p/docker-berth", "docker-cli-plugin-metadata"]),
            true,
        )
        .unwrap() else {
            panic!("not metadata")
        };
        let v: serde_json::Value = serde_json::from_str(&m).unwrap();
        assert_eq!(v["SchemaVersion"], "0.1.0");
        assert_eq!(v["Version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn docker_s_own_arguments_are_taken_off() {
        let (a, bin) = run_args(
            classify(
                args(&["/p/docker-berth", "--log-level=warn", "berth", "up", "-d"]),
                true,
            )
            .unwrap(),
        );
        assert_eq!(a, ["/p/docker-berth", "up", "-d"]);
        assert_eq!(bin, Some("docker berth"));
    }

    #[test]
    fn a_docker_context_is_refused_not_ignored() {
        let e = match classify(
            args(&["/p/docker-berth", "--context", "prod", "berth", "down"]),
            true,
        ) {
            Err(e) => e,
            Ok(_) => panic!("accepted"),
        };
        assert!(e.message.contains("--context prod"), "{}", e.message);
    }
}
