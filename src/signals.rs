//! Signals a waiting command acts on: Ctrl-C as one stream per command, and forwarding
//! Ctrl-C and SIGTERM to a container's process.

use berth_engine::Engine;

/// Ctrl-C (SIGINT) as one stream per command. Made once and awaited wherever the command
/// waits, a Ctrl-C that comes while it is busy elsewhere is still seen at the next wait: a
/// fresh `tokio::signal::ctrl_c()` per wait misses it, and with tokio's handler installed the
/// process would ignore that Ctrl-C altogether. A clone sees the Ctrl-Cs its original has not
/// seen yet (what `run` hands to the task that forwards them to the container).
#[derive(Clone)]
pub struct Interrupts(Option<tokio::sync::watch::Receiver<u64>>);

impl Default for Interrupts {
    fn default() -> Self {
        Self::new()
    }
}

impl Interrupts {
    /// Must be called on the runtime (inside the command's runtime).
    pub fn new() -> Interrupts {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut sig) = signal(SignalKind::interrupt()) else {
            return Interrupts(None);
        };
        let (tx, rx) = tokio::sync::watch::channel(0u64);
        tokio::spawn(async move {
            let mut n = 0u64;
            while sig.recv().await.is_some() {
                n += 1;
                if tx.send(n).is_err() {
                    break;
                }
            }
        });
        Interrupts(Some(rx))
    }

    /// The next Ctrl-C (never, if the handler could not be installed).
    pub async fn recv(&mut self) {
        match &mut self.0 {
            Some(rx) => {
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// Forwards Ctrl-C (SIGINT, from `interrupts`: one that came before this task started is
/// not lost) and SIGTERM to a container until aborted: in a session without a TTY, the
/// container's process decides what they mean, as with `docker attach --sig-proxy`.
pub fn forward_signals(
    engine: &Engine,
    id: &str,
    mut interrupts: Interrupts,
) -> tokio::task::JoinHandle<()> {
    let engine = engine.clone();
    let id = id.to_string();
    tokio::spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            return;
        };
        loop {
            let sig = tokio::select! {
                _ = interrupts.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            };
            let _ = engine.kill_container(&id, sig).await;
        }
    })
}
