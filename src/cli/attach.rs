//! `berth attach`: this terminal joined to a service container (`session::attach`).

use clap::Args;

use super::{check_services, engine_session, Failure, GlobalOptions};
use crate::session::attach::AttachOptions;
use crate::session::{self, Ended};
use crate::ui::stream::Detach;

#[derive(Args, Debug, Default)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container (default: config.json's
    /// detachKeys, else ctrl-p,ctrl-q)
    #[arg(long)]
    pub detach_keys: Option<String>,
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Do not attach STDIN
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub sig_proxy: bool,
    pub service: String,
}

pub fn attach(global: &GlobalOptions, args: AttachArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, std::slice::from_ref(&args.service))?;
    let detach = Detach::resolve(args.detach_keys.clone()).map_err(|e| Failure::new(16, e))?;
    let opts = AttachOptions {
        service: args.service.clone(),
        index: args.index,
        stdin: !args.no_stdin,
        sig_proxy: args.sig_proxy,
    };
    engine_session(global, |engine, _p| async move {
        let (name, ended) = session::attach::attach(&engine, &scope.name, &opts, &detach).await?;
        match ended {
            Ended::Exited(code) => Ok(code as i32),
            Ended::Restarted => {
                eprintln!(
                    "{name} exited and its restart policy started it again: `berth attach {}` follows it",
                    args.service
                );
                Ok(0)
            }
            Ended::Detached | Ended::Started => {
                eprintln!("\r\ndetached from {name} (it keeps running)");
                Ok(0)
            }
        }
    })
}
