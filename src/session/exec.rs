//! `exec`: a command in a running container of a service, its streams on this terminal.

use berth_engine::io::ExecRequest;
use berth_engine::Engine;

use super::{Ended, SessionError};
use crate::project;
use crate::ui::stream::{pump_output, pump_stdin};
use crate::ui::terminal::{RawMode, Resize};

/// What to run, and where.
#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    pub service: String,
    /// Which replica (default: the first running one).
    pub index: Option<u32>,
    pub request: ExecRequest,
    /// Start it and leave it running (`exec -d`).
    pub detach: bool,
}

/// Runs the command in `project`'s container of the service until it ends.
pub async fn exec(
    engine: &Engine,
    project: &str,
    opts: &ExecOptions,
) -> Result<Ended, SessionError> {
    let c = project::running_container(engine, project, &opts.service, opts.index).await?;
    let fail = SessionError::engine(&opts.service, "exec: ");
    let tty = opts.request.tty;
    let exec = engine
        .create_exec(&c.id, &opts.request)
        .await
        .map_err(&fail)?;
    let started = engine
        .start_exec(&exec, tty, opts.detach)
        .await
        .map_err(&fail)?;
    let Some((output, input)) = started else {
        return Ok(Ended::Started);
    };
    let raw = if tty { RawMode::enable() } else { None };
    let resize = tty.then(|| Resize::Exec(exec.clone()).follow(engine));
    let stdin_task = pump_stdin(input, true, None);
    pump_output(output).await;
    drop(raw);
    if let Some(r) = resize {
        r.abort();
    }
    stdin_task.abort();
    // The exit code is there once the process is gone (a moment after its output ends).
    for _ in 0..50 {
        let i = engine.inspect_exec(&exec).await.map_err(&fail)?;
        if !i.running {
            return Ok(Ended::Exited(i.exit_code.unwrap_or(0)));
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok(Ended::Exited(0))
}
