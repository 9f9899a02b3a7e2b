//! An interactive session's streams: standard input sent to a container (watching for the
//! detach keys, which Podman's attach ignores), and its output copied to stdout and stderr.

use std::io::Write;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use berth_engine::io::{Chunk, ChunkStream, Input};

/// Streams berth's stdin into `input`. At end of input, `close_at_eof` closes it (the command
/// sees EOF); `attach` keeps it open instead, since the engine ends a non-`StdinOnce`
/// attachment's output when its input closes, which would cut off what the container says next.
/// With `detach`, its key sequence is watched for (and not sent); when typed, the task ends
/// and the notify fires. Reads on a plain thread: a read blocked on a terminal never holds up
/// berth's exit.
pub fn pump_stdin(
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
pub struct Detach {
    /// As the engine takes them; `None` for its default.
    pub keys: Option<String>,
    seq: Vec<u8>,
    typed: std::sync::Arc<tokio::sync::Notify>,
}

impl Detach {
    /// The keys `flag` names, else config.json's `detachKeys`, else ctrl-p,ctrl-q; an invalid
    /// spelling is an error that says the syntax.
    pub fn resolve(flag: Option<String>) -> Result<Detach, String> {
        let keys = flag.or_else(|| berth_engine::CliConfig::load().detach_keys());
        let seq = match &keys {
            Some(k) => parse_detach_keys(k)?,
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
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>, String> {
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
pub struct DetachKeys {
    seq: Vec<u8>,
    held: Vec<u8>,
}

impl DetachKeys {
    pub fn new(seq: Vec<u8>) -> DetachKeys {
        DetachKeys {
            seq,
            held: Vec::new(),
        }
    }

    /// The bytes to send now, and whether the sequence was completed.
    pub fn feed(&mut self, data: &[u8]) -> (Vec<u8>, bool) {
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
