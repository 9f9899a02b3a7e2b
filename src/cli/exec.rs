//! `berth exec`, and the terminal plumbing `run` and `attach` share: raw mode, window size
//! and resize, standard input streamed to the engine, output to stdout and stderr.

use std::io::{IsTerminal, Write};

use clap::Args;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::select::{self, check_services};
use super::{engine_session, Failure, GlobalOptions};
use berth_engine::io::{Chunk, ChunkStream, ExecRequest, Input};
use berth_engine::Engine;

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

/// `-e KEY=VALUE` as is; `-e KEY` takes KEY from berth's environment (left out when unset).
pub(crate) fn env_list(items: &[String]) -> Vec<String> {
    items
        .iter()
        .filter_map(|e| {
            if e.contains('=') {
                Some(e.clone())
            } else {
                std::env::var(e).ok().map(|v| format!("{e}={v}"))
            }
        })
        .collect()
}

/// The terminal in raw mode until dropped.
pub(crate) struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    /// Puts stdin's terminal in raw mode; None when stdin is not a terminal.
    pub(crate) fn enable() -> Option<RawMode> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        // SAFETY: tcgetattr/tcsetattr on fd 0 with a termios we own.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) != 0 {
                return None;
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            if libc::tcsetattr(0, libc::TCSANOW, &t) != 0 {
                return None;
            }
            Some(RawMode { saved })
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable`.
        unsafe {
            libc::tcsetattr(0, libc::TCSANOW, &self.saved);
        }
    }
}

/// The terminal's size (rows, columns), from stdout or stdin.
pub(crate) fn window_size() -> Option<(u16, u16)> {
    for fd in [1, 0, 2] {
        // SAFETY: TIOCGWINSZ fills a winsize we own.
        unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            if libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_row > 0 {
                return Some((ws.ws_row, ws.ws_col));
            }
        }
    }
    None
}

/// What a terminal resize applies to.
#[derive(Clone)]
pub(crate) enum Resize {
    Exec(String),
    Container(String),
}

impl Resize {
    pub(crate) async fn apply(&self, engine: &Engine) {
        if let Some((rows, cols)) = window_size() {
            let _ = match self {
                Resize::Exec(id) => engine.resize_exec(id, rows, cols).await,
                Resize::Container(id) => engine.resize_container(id, rows, cols).await,
            };
        }
    }

    /// Applies the size now and on every SIGWINCH, until the returned task is aborted.
    pub(crate) fn follow(self, engine: &Engine) -> tokio::task::JoinHandle<()> {
        let engine = engine.clone();
        tokio::spawn(async move {
            self.apply(&engine).await;
            let Ok(mut sig) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
            else {
                return;
            };
            while sig.recv().await.is_some() {
                self.apply(&engine).await;
            }
        })
    }
}

/// Streams berth's stdin into `input`. At end of input, `close_at_eof` closes it (the command
/// sees EOF); `attach` keeps it open instead, since the engine ends a non-`StdinOnce`
/// attachment's output when its input closes, which would cut off what the container says next.
/// With `detach`, its key sequence is watched for (and not sent); when typed, the task ends
/// and the notify fires. Reads on a plain thread: a read blocked on a terminal never holds up
/// berth's exit.
pub(crate) fn pump_stdin(
    mut input: Input,
    close_at_eof: bool,
    detach: Option<(Vec<u8>, std::sync::Arc<tokio::sync::Notify>)>,
) -> tokio::task::JoinHandle<()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match std::io::Read::read(&mut stdin, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut keys = detach.as_ref().map(|(k, _)| DetachKeys::new(k.clone()));
        while let Some(b) = rx.recv().await {
            let (send, detached) = match keys.as_mut() {
                Some(k) => k.feed(&b),
                None => (b, false),
            };
            if !send.is_empty()
                && (input.write_all(&send).await.is_err() || input.flush().await.is_err())
            {
                return;
            }
            if detached {
                if let Some((_, n)) = &detach {
                    n.notify_one();
                }
                return;
            }
        }
        // A start of the detach keys held back at end of input was typed after all.
        if let Some(k) = keys.as_mut() {
            let rest = std::mem::take(&mut k.held);
            if !rest.is_empty() && input.write_all(&rest).await.is_ok() {
                let _ = input.flush().await;
            }
        }
        if close_at_eof {
            let _ = input.shutdown().await;
        } else {
            // Hold the connection's write half open until the session ends (the task is aborted).
            std::future::pending::<()>().await;
        }
    })
}

/// The detach keys of an attached session (`attach`, `run` with a TTY): the flag, else
/// `detachKeys` from config.json, else ctrl-p,ctrl-q. berth watches for them itself as well as
/// asking the engine to: Podman's Docker-compatible attach ignores them.
pub(crate) struct Detach {
    /// As the engine takes them; `None` for its default.
    pub keys: Option<String>,
    seq: Vec<u8>,
    typed: std::sync::Arc<tokio::sync::Notify>,
}

impl Detach {
    pub fn resolve(flag: Option<String>) -> Result<Detach, Failure> {
        let keys = flag.or_else(|| berth_engine::CliConfig::load().detach_keys());
        let seq = match &keys {
            Some(k) => parse_detach_keys(k).map_err(|e| Failure::new(16, e))?,
            None => vec![0x10, 0x11], // ctrl-p,ctrl-q
        };
        Ok(Detach {
            keys,
            seq,
            typed: Default::default(),
        })
    }

    /// What [`pump_stdin`] watches for, when `on` (a TTY with stdin attached).
    pub fn watch(&self, on: bool) -> Option<(Vec<u8>, std::sync::Arc<tokio::sync::Notify>)> {
        on.then(|| (self.seq.clone(), self.typed.clone()))
    }

    /// Shows `output` until it ends (false) or the keys are typed (true).
    pub async fn output_until_typed(&self, output: ChunkStream) -> bool {
        tokio::select! {
            _ = pump_output(output) => false,
            _ = self.typed.notified() => true,
        }
    }
}

/// Docker's detach key syntax (`ctrl-p,ctrl-q`, `a`, `ctrl-@` ... `ctrl-_`) as the bytes a
/// terminal sends for them.
pub(crate) fn parse_detach_keys(keys: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for k in keys.split(',') {
        let b = match k.strip_prefix("ctrl-") {
            Some(x) if x.len() == 1 => {
                let c = x.as_bytes()[0];
                match c {
                    b'a'..=b'z' => Some(c - b'a' + 1),
                    b'@' => Some(0),
                    b'[' => Some(27),
                    b'\\' => Some(28),
                    b']' => Some(29),
                    b'^' => Some(30),
                    b'_' => Some(31),
                    _ => None,
                }
            }
            None if k.len() == 1 && k.is_ascii() => Some(k.as_bytes()[0]),
            _ => None,
        };
        match b {
            Some(b) => out.push(b),
            None => {
                return Err(format!(
                    "invalid --detach-keys {keys:?}: {k:?} is not a key; use a letter or ctrl-<letter>, comma-separated (e.g. ctrl-p,ctrl-q)"
                ))
            }
        }
    }
    Ok(out)
}

/// Finds a detach sequence in a byte stream: bytes that might start it are held back until
/// they do not (then sent) or they do (then dropped).
pub(crate) struct DetachKeys {
    seq: Vec<u8>,
    held: Vec<u8>,
}

impl DetachKeys {
    pub(crate) fn new(seq: Vec<u8>) -> DetachKeys {
        DetachKeys {
            seq,
            held: Vec::new(),
        }
    }

    /// The bytes to send now, and whether the sequence was completed.
    pub(crate) fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        for &b in data {
            self.held.push(b);
            if self.seq.starts_with(&self.held) {
                if self.held.len() == self.seq.len() {
                    self.held.clear();
                    return (out, true);
                }
                continue;
            }
            // Not the sequence: release what was held up to where a new match could start.
            while !self.held.is_empty() && !self.seq.starts_with(&self.held) {
                out.push(self.held.remove(0));
            }
        }
        (out, false)
    }
}

/// Copies the output to stdout and stderr until it ends. A closed stdout is not an error.
pub(crate) async fn pump_output(mut output: ChunkStream) {
    let mut stdout_open = true;
    while let Some(c) = output.next().await {
        let Ok(c) = c else { break };
        match &c {
            Chunk::Stderr(b) => {
                let mut e = std::io::stderr().lock();
                let _ = e.write_all(b).and_then(|_| e.flush());
            }
            Chunk::Stdout(b) | Chunk::Console(b) => {
                if stdout_open {
                    let mut o = std::io::stdout().lock();
                    if o.write_all(b).and_then(|_| o.flush()).is_err() {
                        stdout_open = false;
                    }
                }
            }
        }
    }
}

pub fn run(global: &GlobalOptions, args: ExecArgs) -> Result<i32, Failure> {
    let (name, loaded) = select::project(global)?;
    check_services(loaded.as_ref(), std::slice::from_ref(&args.service))?;
    let tty = !args.no_tty && !args.detach && std::io::stdin().is_terminal();
    engine_session(global, |engine, _progress| async move {
        let c = select::running_container(&engine, &name, &args.service, args.index).await?;
        let req = ExecRequest {
            cmd: args.command.clone(),
            env: env_list(&args.env),
            user: args.user.clone(),
            working_dir: args.workdir.clone(),
            privileged: args.privileged,
            tty,
            stdin: !args.detach,
        };
        let fail = |e: berth_engine::EngineError| {
            Failure::new(1, format!("service \"{}\": exec: {e}", args.service))
        };
        let exec = engine.create_exec(&c.id, &req).await.map_err(fail)?;
        let started = engine
            .start_exec(&exec, tty, args.detach)
            .await
            .map_err(fail)?;
        let Some((output, input)) = started else {
            return Ok(0);
        };
        let raw = if tty { RawMode::enable() } else { None };
        let resize = tty.then(|| Resize::Exec(exec.clone()).follow(&engine));
        let stdin_task = pump_stdin(input, true, None);
        pump_output(output).await;
        drop(raw);
        if let Some(r) = resize {
            r.abort();
        }
        stdin_task.abort();
        // The exit code is there once the process is gone (a moment after its output ends).
        for _ in 0..50 {
            let i = engine.inspect_exec(&exec).await.map_err(fail)?;
            if !i.running {
                return Ok(i.exit_code.unwrap_or(0) as i32);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_parse_as_a_terminal_sends_them() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q"), Ok(vec![16, 17]));
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-[,ctrl-_"),
            Ok(vec![0, 27, 31])
        );
        assert_eq!(parse_detach_keys("a,ctrl-x"), Ok(vec![b'a', 24]));
        for bad in ["ctrl-1", "ctrl-", "ab", "", "ctrl-p,"] {
            assert!(parse_detach_keys(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_detach_sequence_is_found_across_reads_and_not_sent() {
        let mut k = DetachKeys::new(vec![16, 17]);
        assert_eq!(k.feed(b"ls\r"), (b"ls\r".to_vec(), false));
        // Split across two reads.
        assert_eq!(k.feed(&[b'x', 16]), (vec![b'x'], false));
        assert_eq!(k.feed(&[17]), (vec![], true));
        // A start that does not complete is sent after all.
        let mut k = DetachKeys::new(vec![16, 17]);
        assert_eq!(k.feed(&[16, b'a']), (vec![16, b'a'], false));
        assert_eq!(k.feed(&[16, 16, 17]), (vec![16], true));
    }
}
