//! `berth wait`: until the first of the services' containers stops.

use clap::Args;

use super::{check_services, engine_session, Failure, GlobalOptions};
use crate::project;

#[derive(Args, Debug, Default)]
pub struct WaitArgs {
    /// Drops the project when the first container stops
    #[arg(long)]
    pub down_project: bool,
    #[arg(required = true)]
    pub services: Vec<String>,
}

pub fn wait(global: &GlobalOptions, args: WaitArgs) -> Result<i32, Failure> {
    let scope = global.project()?;
    check_services(&scope, &args.services)?;
    let crate::project::ProjectScope { name, loaded } = scope;
    engine_session(global, |engine, progress| async move {
        let list = project::service_containers(&engine, &name, &args.services, true).await?;
        if list.is_empty() {
            return Err(Failure::new(1, "no containers for the given services"));
        }
        let waits = list.iter().map(|c| {
            let engine = engine.clone();
            let id = c.id.clone();
            Box::pin(async move { engine.wait_container(&id).await })
        });
        let (code, _, _) = futures_util::future::select_all(waits).await;
        let code = code.map_err(Failure::from)?;
        if args.down_project {
            let opts = crate::converge::down::DownOptions {
                remove_orphans: false,
                volumes: false,
                rmi: None,
                timeout: None,
                parallel: global.parallelism(),
                services: vec![],
                dry_run: false,
            };
            let r = crate::converge::down::down(&engine, &name, loaded.as_ref(), &opts, &progress)
                .await;
            progress.finish();
            r.map_err(Failure::from)?;
        }
        Ok(code as i32)
    })
}
