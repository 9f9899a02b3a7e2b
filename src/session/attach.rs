//! `attach`: this terminal joined to a running service container's main process.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use berth_engine::Engine;

use super::{Ended, SessionError};
use crate::project;
use crate::signals::{forward_signals, Interrupts};
use crate::ui::stream::{pump_stdin, Detach};
use crate::ui::terminal::{RawMode, Resize};

/// Which container, and how.
#[derive(Clone, Debug, Default)]
pub struct AttachOptions {
    pub service: String,
    pub index: Option<u32>,
    /// Send this terminal's input (when the container keeps its stdin open).
    pub stdin: bool,
    /// Without a TTY, Ctrl-C and SIGTERM go to the process (`--sig-proxy`).
    pub sig_proxy: bool,
}

/// Attaches until the process ends (its exit code), the detach keys are typed, or its restart
/// policy starts it again. Returns the container's name with how it ended.
pub async fn attach(
    engine: &Engine,
    project: &str,
    opts: &AttachOptions,
    detach: &Detach,
) -> Result<(String, Ended), SessionError> {
    let c = project::running_container(engine, project, &opts.service, opts.index).await?;
    let fail = SessionError::engine(&opts.service, "attach: ");
    let i = engine.inspect_container(&c.id).await.map_err(&fail)?;
    let restarts = i.restart_count;
    let tty = i.tty;
    let stdin = opts.stdin && i.open_stdin;
    let (output, input) = engine
        .attach(&c.id, stdin, detach.keys.as_deref())
        .await
        .map_err(&fail)?;
    let raw = if tty && stdin {
        RawMode::enable()
    } else {
        None
    };
    let resize = (tty && std::io::stdin().is_terminal())
        .then(|| Resize::Container(c.id.clone()).follow(engine));
    let stdin_task = stdin.then(|| pump_stdin(input, false, detach.watch(tty && stdin)));
    let forward =
        (opts.sig_proxy && !tty).then(|| forward_signals(engine, &c.id, Interrupts::new()));
    let by_keys = detach.output_until_typed(output).await;
    drop(raw);
    for t in [resize, stdin_task, forward].into_iter().flatten() {
        t.abort();
    }
    if by_keys {
        return Ok((c.name, Ended::Detached));
    }
    // The stream ends when the container stops (its state follows a moment later; on a
    // busy Podman, seconds later), when its restart policy has already started it again,
    // or when the engine saw the detach keys (it keeps running).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = engine.inspect_container(&c.id).await.map_err(&fail)?;
        let st = &now.state;
        if !st.running && !st.restarting {
            let code = engine.wait_container(&c.id).await.unwrap_or(0);
            return Ok((c.name, Ended::Exited(code)));
        }
        if now.restart_count > restarts || st.restarting {
            return Ok((c.name, Ended::Restarted));
        }
        if Instant::now() > deadline {
            return Ok((c.name, Ended::Detached));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
