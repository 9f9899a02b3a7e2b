//! A pseudo-terminal for driving berth as a person at a terminal would: berth runs with the
//! terminal's slave side as stdin, stdout and stderr and as its controlling terminal, the test
//! types into the master side, reads what the terminal shows, and resizes the window (the
//! kernel then sends SIGWINCH to berth, as a terminal emulator's resize does).

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{tcsetwinsize, Winsize};

pub struct Pty {
    master: std::fs::File,
    child: Child,
    screen: Arc<Mutex<Vec<u8>>>,
}

fn winsize(rows: u16, cols: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

/// A new terminal: its master side, and its slave side opened by name.
fn open_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?;
    Ok((master, slave.into()))
}

impl Pty {
    /// Starts `cmd` on a new terminal of `rows` x `cols`.
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> Pty {
        let (master, slave) = open_pair().expect("a pseudo-terminal");
        tcsetwinsize(&master, winsize(rows, cols)).expect("TIOCSWINSZ");
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("dup"));
        cmd.stdin(io(&slave)).stdout(io(&slave)).stderr(io(&slave));
        // SAFETY: between fork and exec only two system calls run (no allocation, no lock):
        // berth gets its own session, and its stdin (the terminal) as controlling terminal.
        unsafe {
            cmd.pre_exec(|| {
                rustix::process::setsid()?;
                rustix::process::ioctl_tiocsctty(rustix::stdio::stdin())?;
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn on the pseudo-terminal");
        drop(slave);
        let master = std::fs::File::from(master);
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().expect("dup master");
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once every holder of the slave side has closed it.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.extend_from_slice(&buf[..n]);
                }
            }
        });
        Pty {
            master,
            child,
            screen,
        }
    }

    /// Types `text` (a `\r` is the Enter key).
    pub fn type_text(&mut self, text: &str) {
        self.master
            .write_all(text.as_bytes())
            .and_then(|_| self.master.flush())
            .expect("write to the terminal");
    }

    /// Sends raw bytes (control keys).
    pub fn keys(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("write to the terminal");
    }

    /// Resizes the window; the kernel signals SIGWINCH to the terminal's foreground group.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        tcsetwinsize(&self.master, winsize(rows, cols)).expect("TIOCSWINSZ");
    }

    /// Everything the terminal has shown so far, as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().map(|s| s.clone()).unwrap_or_default())
            .to_string()
    }

    /// Waits until the screen contains `needle`; panics after
    /// `timeout` with what it shows.
    pub fn expect(&self, needle: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.screen().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        panic!(
            "the terminal did not show {needle:?} within {timeout:?}; it shows:\n{}",
            self.screen()
        );
    }

    /// Waits for berth to exit; its exit code (None if killed by a signal); panics after
    /// `timeout` (and kills it).
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        let _ = self.child.kill();
        panic!(
            "berth did not exit within {timeout:?}; the terminal shows:\n{}",
            self.screen()
        );
    }

    /// berth's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
