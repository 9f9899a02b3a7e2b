//! One berth at a time changes a project: `up` (and what runs it: `run`'s dependencies,
//! `watch`'s rebuilds, `scale`) and `down` hold an exclusive lock named after the engine and the
//! project while they converge. Two `up`s started together no longer both create the default
//! network (Docker 20.10 allows the duplicate, and every later `up` then failed with "network
//! is ambiguous") nor trip over each other's containers: the second waits, then finds the
//! first's work done. The lock is the kernel's (`flock`): it is released when its holder exits,
//! even by a crash, so it can never be left behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::time::Duration;

use super::report::Reporter;

/// Held while a project converges; released on drop (or when the process ends).
pub struct ProjectLock {
    _file: File,
}

/// Where the locks live: per user (the runtime directory, else a directory of the user's own
/// in the temporary directory).
fn lock_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("berth").join("locks");
    }
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    std::env::temp_dir()
        .join(format!("berth-{uid}"))
        .join("locks")
}

/// The lock file of `project` on the engine at `host`: the host is hashed (it holds `/` and
/// `:`), the project name is already a safe file name.
fn lock_path(host: &str, project: &str) -> PathBuf {
    use sha2::{Digest, Sha256};
    let h = hex::encode(&Sha256::digest(host.as_bytes())[..6]);
    lock_dir().join(format!("{h}-{project}.lock"))
}

impl ProjectLock {
    /// Waits for the project's lock, saying once through `progress` whom it waits for.
    /// An unusable lock directory is not a reason to refuse work: then there is no lock.
    pub async fn acquire(
        host: &str,
        project: &str,
        progress: &dyn Reporter,
    ) -> Option<ProjectLock> {
        let path = lock_path(host, project);
        let dir = path.parent()?;
        std::fs::create_dir_all(dir).ok()?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .ok()?;
        let mut told = false;
        loop {
            match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    if !told {
                        let mut holder = String::new();
                        let _ = file.read_to_string(&mut holder);
                        let holder = holder.trim();
                        let who = if holder.is_empty() {
                            String::new()
                        } else {
                            format!(" (pid {holder})")
                        };
                        progress.warn(&format!(
                            "another berth{who} is changing project {project}: waiting for it to finish"
                        ));
                        told = true;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => return None,
            }
        }
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Some(ProjectLock { _file: file })
    }
}
