//! `berth cp`: files between a service container and this machine (`copy`).

use std::io::Write;

use clap::Args;

use super::{engine_session, Failure, GlobalOptions};
use crate::copy::{self, CopyOptions, Place};

#[derive(Args, Debug, Default)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas
    #[arg(long)]
    pub index: Option<u32>,
    /// Archive mode (copy all uid/gid information)
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// Always follow symbol link in SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// SERVICE:SRC_PATH or a local path (`-` reads a tar archive from stdin)
    pub source: String,
    /// SERVICE:DEST_PATH or a local path (`-` writes a tar archive to stdout)
    pub destination: String,
}

pub fn cp(global: &GlobalOptions, args: CpArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    let opts = CopyOptions {
        from: Place::parse(&args.source),
        to: Place::parse(&args.destination),
        index: args.index,
        archive: args.archive,
        follow_link: args.follow_link,
    };
    let service = opts
        .service()
        .map_err(|e| Failure::new(1, e.to_string()))?
        .to_string();
    super::check_services(&scope, std::slice::from_ref(&service))?;
    engine_session(global, |engine, _p| async move {
        let out = copy::copy(&engine, &scope.name, &opts)
            .await
            .map_err(|e| Failure::new(1, e.to_string()))?;
        if let Some(tar) = out {
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(&tar).and_then(|_| o.flush());
        }
        Ok(0)
    })
}
