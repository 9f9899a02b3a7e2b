//! Shell completion (bash, zsh, fish) through clap_complete's dynamic engine: the shell calls
//! berth back at every <TAB>, so subcommands and flags come from the same definitions that parse
//! the command line, and service and profile names from the project the command line names
//! (`-f`, `--project-directory`, `COMPOSE_FILE`, or the current directory), as Compose v2's
//! completion does.

use std::ffi::OsString;
use std::io::Write;

use clap::{Command, CommandFactory, FromArgMatches};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};

use berth_compose::load::{self, LoadFlags};

use super::{Cli, Failure, GlobalOptions};

/// The variable that puts berth in completion mode (`BERTH_COMPLETE=bash berth -- WORDS...`).
/// Not clap's default `COMPLETE`: a variable that common is too easily set for something else.
const VAR: &str = "BERTH_COMPLETE";

/// The shells `berth completion` writes a script for.
pub const SHELLS: [&str; 3] = ["bash", "zsh", "fish"];

/// Answers a completion request from the shell and exits; returns at once on a normal run.
/// Call it before anything prints.
pub fn respond() {
    CompleteEnv::with_factory(command).var(VAR).complete();
}

/// The script that hooks berth into SHELL (`source <(berth completion bash)`).
pub fn script(shell: &str, out: &mut dyn Write) -> Result<(), Failure> {
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(shell).filter(|_| SHELLS.contains(&shell)) else {
        return Err(Failure::new(
            1,
            format!(
                "no completion for shell {shell:?}: berth completes {}",
                SHELLS.join(", ")
            ),
        ));
    };
    completer
        .write_registration(VAR, "berth", "berth", &this_program(), out)
        .map_err(|e| Failure::new(1, format!("cannot write the completion script: {e}")))
}

/// The command line's definition with the project-aware completers attached: service names
/// on every argument that takes one, profile names on `--profile`.
pub fn command() -> Command {
    with_completers(Cli::command())
}

fn with_completers(cmd: Command) -> Command {
    let cmd = cmd.mut_args(|arg| {
        let id = arg.get_id().as_str();
        let takes_service = matches!(id, "services" | "service") && arg.is_positional()
            || matches!(id, "attach" | "no_attach" | "exit_code_from");
        if takes_service {
            arg.add(ArgValueCandidates::new(|| candidates(Names::Services)))
        } else if id == "profile" {
            arg.add(ArgValueCandidates::new(|| candidates(Names::Profiles)))
        } else {
            arg
        }
    });
    cmd.mut_subcommands(with_completers)
}

#[derive(Clone, Copy)]
enum Names {
    Services,
    Profiles,
}

/// The services (every one, whatever its profiles) or the profiles of the project that the
/// words being completed name; none when it does not load (completion stays quiet).
fn candidates(which: Names) -> Vec<CompletionCandidate> {
    let Some(global) = global_options_being_typed() else {
        return Vec::new();
    };
    let Ok(mut request) = global.request() else {
        return Vec::new();
    };
    request.profiles = vec!["*".into()];
    let Ok(loaded) = request
        .resolve()
        .map_err(|_| ())
        .and_then(|opts| load::load(&opts, &LoadFlags::default()).map_err(|_| ()))
    else {
        return Vec::new();
    };
    let services = &loaded.project.services;
    let names: Vec<String> = match which {
        Names::Services => services.keys().cloned().collect(),
        Names::Profiles => {
            let mut p: Vec<String> = services
                .values()
                .flat_map(|s| s.profiles.iter().cloned())
                .collect();
            p.sort();
            p.dedup();
            p
        }
    };
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// The global options (`-f`, `-p`, `--project-directory`, `--env-file`) among the words the
/// shell passes after `--`, parsed leniently: the line is still being typed.
fn global_options_being_typed() -> Option<GlobalOptions> {
    let words: Vec<OsString> = std::env::args_os()
        .skip_while(|a| a != "--")
        .skip(1)
        .collect();
    let matches = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(words)
        .ok()?;
    GlobalOptions::from_arg_matches(&matches).ok()
}

/// How the completion script calls berth back: the path berth was started by, made absolute
/// when it is relative, so the script works from any directory.
fn this_program() -> String {
    let arg0 = std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "berth".into());
    let program = if arg0.components().count() > 1 {
        std::env::current_dir()
            .map(|d| d.join(&arg0))
            .unwrap_or(arg0)
    } else {
        arg0
    };
    program.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Arg;

    fn arg<'a>(cmd: &'a Command, sub: &str, id: &str) -> &'a Arg {
        cmd.find_subcommand(sub)
            .and_then(|s| s.get_arguments().find(|a| a.get_id() == id))
            .unwrap_or_else(|| panic!("{sub} has no argument {id}"))
    }

    #[test]
    fn service_arguments_complete_and_flags_named_services_do_not() {
        let cmd = command();
        for (sub, id) in [("up", "services"), ("exec", "service"), ("up", "attach")] {
            assert!(
                arg(&cmd, sub, id).get::<ArgValueCandidates>().is_some(),
                "{sub} {id}"
            );
        }
        // `config --services` and `ps --services` are switches, not service names.
        assert!(arg(&cmd, "config", "services")
            .get::<ArgValueCandidates>()
            .is_none());
        assert!(arg(&cmd, "ps", "services")
            .get::<ArgValueCandidates>()
            .is_none());
    }

    #[test]
    fn an_unknown_shell_is_refused_with_the_ones_berth_knows() {
        let mut out = Vec::new();
        let e = script("powershell", &mut out).unwrap_err();
        assert!(e.message.contains("bash, zsh, fish"), "{}", e.message);
        assert!(out.is_empty());
    }
}
