//! `berth exec`: a command in a running service container (`session::exec`).

use std::io::IsTerminal;

use clap::Args;

use super::{check_services, engine_session, env_list, Failure, GlobalOptions};
use crate::session::exec::{exec, ExecOptions};
use crate::session::Ended;
use berth_engine::io::ExecRequest;

#[derive(Args, Debug, Default)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set environment variables (KEY=VALUE, or KEY to pass berth's own)
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// Give extended privileges to the process
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Path to workdir directory for this command
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Keep STDIN open even if not attached (accepted for compatibility; always on)
    #[arg(short = 'i', long, hide = true)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY (accepted for compatibility)
    #[arg(short = 't', long, hide = true)]
    pub tty: bool,
    /// The service
    pub service: String,
    /// The command and its arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

pub fn run(global: &GlobalOptions, args: ExecArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, std::slice::from_ref(&args.service))?;
    let tty = !args.no_tty && !args.detach && std::io::stdin().is_terminal();
    let opts = ExecOptions {
        service: args.service.clone(),
        index: args.index,
        request: ExecRequest {
            cmd: args.command.clone(),
            env: env_list(&args.env),
            user: args.user.clone(),
            working_dir: args.workdir.clone(),
            privileged: args.privileged,
            tty,
            stdin: !args.detach,
        },
        detach: args.detach,
    };
    engine_session(global, |engine, _progress| async move {
        match exec(&engine, &scope.name, &opts).await? {
            Ended::Exited(code) => Ok(code as i32),
            _ => Ok(0),
        }
    })
}
