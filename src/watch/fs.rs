//! File events: notify (inotify on Linux) for the watched paths, batched until the tree is
//! quiet, then resolved against the disk. A directory that appears is walked, because inotify
//! only starts watching it once it exists: files created inside it before that are never
//! reported (the misses users of Compose v2 report).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// What a changed path is now.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// A file or symbolic link that exists.
    File(PathBuf),
    /// A directory that exists.
    Dir(PathBuf),
    /// Gone.
    Deleted(PathBuf),
}

impl Change {
    pub fn path(&self) -> &Path {
        match self {
            Change::File(p) | Change::Dir(p) | Change::Deleted(p) => p,
        }
    }
}

/// Watches a set of roots and hands out batches of changes.
pub struct FsWatcher {
    _watcher: notify::RecommendedWatcher,
    rx: mpsc::UnboundedReceiver<Signal>,
    roots: Vec<PathBuf>,
}

enum Signal {
    /// Changed paths; `true` when the event created them.
    Paths(Vec<PathBuf>, bool),
    /// The kernel queue overflowed: everything must be looked at again.
    Rescan,
    Error(String),
}

/// How long the tree must stay quiet before a batch is handed out, and the longest a batch
/// waits in all (an editor's save is several events within a few milliseconds; a `git
/// checkout` is many, spread out).
pub const QUIET: Duration = Duration::from_millis(80);
pub const MAX_WAIT: Duration = Duration::from_millis(600);

impl FsWatcher {
    /// Starts watching `roots` (directories recursively; a file through its directory, so that
    /// editors that replace the file by a rename are still seen).
    pub fn start(roots: &[PathBuf]) -> Result<FsWatcher, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |r: notify::Result<notify::Event>| {
            let signal = match r {
                Ok(ev) => {
                    if ev.need_rescan() {
                        Signal::Rescan
                    } else if matches!(ev.kind, EventKind::Access(_)) {
                        return;
                    } else {
                        let created = matches!(ev.kind, EventKind::Create(_));
                        Signal::Paths(ev.paths, created)
                    }
                }
                Err(e) => Signal::Error(e.to_string()),
            };
            let _ = tx.send(signal);
        })
        .map_err(|e| format!("cannot watch files: {e}"))?;
        let mut watched: BTreeSet<(PathBuf, bool)> = BTreeSet::new();
        for r in roots {
            if r.is_dir() {
                watched.insert((r.clone(), true));
            } else if let Some(parent) = r.parent() {
                watched.insert((parent.to_path_buf(), false));
            }
        }
        // A recursive watch covers the non-recursive ones beneath it.
        let recursive: Vec<PathBuf> = watched
            .iter()
            .filter(|(_, rec)| *rec)
            .map(|(p, _)| p.clone())
            .collect();
        for (p, rec) in &watched {
            let covered = recursive.iter().any(|r| r != p && p.starts_with(r));
            if covered {
                continue;
            }
            let mode = if *rec {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher.watch(p, mode).map_err(|e| {
                let hint = if e.to_string().contains("No space left") {
                    " (the inotify watch limit: raise fs.inotify.max_user_watches)"
                } else {
                    ""
                };
                format!("cannot watch {}: {e}{hint}", p.display())
            })?;
        }
        Ok(FsWatcher {
            _watcher: watcher,
            rx,
            roots: roots.to_vec(),
        })
    }

    /// The next batch of changed paths, once the tree has been quiet for [`QUIET`] (or
    /// [`MAX_WAIT`] after the first event). None when the watcher has stopped.
    pub async fn next_batch(&mut self) -> Option<Result<Batch, String>> {
        let mut paths = Batch::default();
        let first = self.rx.recv().await?;
        if let Some(e) = self.absorb(first, &mut paths) {
            return Some(Err(e));
        }
        let deadline = tokio::time::Instant::now() + MAX_WAIT;
        loop {
            let quiet_end = (tokio::time::Instant::now() + QUIET).min(deadline);
            match tokio::time::timeout_at(quiet_end, self.rx.recv()).await {
                Ok(Some(s)) => {
                    if let Some(e) = self.absorb(s, &mut paths) {
                        return Some(Err(e));
                    }
                }
                Ok(None) | Err(_) => break,
            }
        }
        Some(Ok(paths))
    }

    fn absorb(&self, s: Signal, batch: &mut Batch) -> Option<String> {
        match s {
            Signal::Paths(ps, created) => {
                if created {
                    batch.born.extend(ps.iter().cloned());
                }
                batch.paths.extend(ps);
            }
            Signal::Rescan => batch.paths.extend(self.roots.iter().cloned()),
            Signal::Error(e) => return Some(e),
        }
        None
    }
}

/// The paths of one batch of events.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub paths: BTreeSet<PathBuf>,
    /// Paths created during the batch: one that is gone again by its end (an editor's
    /// temporary file, renamed over the real one) was never copied, so there is nothing to
    /// delete.
    pub born: BTreeSet<PathBuf>,
}

/// What the changed paths of `batch` are now on disk. A directory is walked (its whole content
/// is reported), entering only the directories `enter` allows; each path is reported once.
pub fn resolve(batch: &Batch, enter: &dyn Fn(&Path) -> bool) -> Vec<Change> {
    let mut out = BTreeSet::new();
    for p in &batch.paths {
        match std::fs::symlink_metadata(p) {
            Err(_) => {
                if !batch.born.contains(p) {
                    out.insert(Change::Deleted(p.clone()));
                }
            }
            Ok(m) if m.is_dir() => {
                if enter(p) {
                    out.insert(Change::Dir(p.clone()));
                    walk(p, enter, &mut out);
                }
            }
            Ok(_) => {
                out.insert(Change::File(p.clone()));
            }
        }
    }
    out.into_iter().collect()
}

/// Everything under `root` (for `initial_sync` and new directories).
pub fn walk(root: &Path, enter: &dyn Fn(&Path) -> bool, out: &mut BTreeSet<Change>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for ent in rd.flatten() {
        let p = ent.path();
        let Ok(ft) = ent.file_type() else { continue };
        if ft.is_dir() {
            if enter(&p) {
                out.insert(Change::Dir(p.clone()));
                walk(&p, enter, out);
            }
        } else if ft.is_file() || ft.is_symlink() {
            out.insert(Change::File(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_walks_new_directories_and_reports_deletions() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("new/deeper")).unwrap();
        std::fs::write(root.join("new/a.txt"), "a").unwrap();
        std::fs::write(root.join("new/deeper/b.txt"), "b").unwrap();
        std::fs::create_dir_all(root.join("new/skip")).unwrap();
        std::fs::write(root.join("new/skip/c.txt"), "c").unwrap();
        let batch = Batch {
            paths: [root.join("new"), root.join("gone.txt"), root.join("tmp~1")].into(),
            born: [root.join("tmp~1")].into(),
        };
        let got = resolve(&batch, &|p: &Path| !p.ends_with("skip"));
        let rel: Vec<String> = got
            .iter()
            .map(|c| {
                let kind = match c {
                    Change::File(_) => "file",
                    Change::Dir(_) => "dir",
                    Change::Deleted(_) => "deleted",
                };
                let p = c.path().strip_prefix(root).unwrap().display();
                format!("{kind} {p}")
            })
            .collect();
        assert_eq!(
            rel,
            [
                "file new/a.txt",
                "file new/deeper/b.txt",
                "dir new",
                "dir new/deeper",
                "deleted gone.txt"
            ]
        );
    }

    #[tokio::test]
    async fn files_in_a_new_nested_directory_arrive_in_one_batch() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().to_path_buf();
        let mut w = FsWatcher::start(std::slice::from_ref(&root)).unwrap();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        std::fs::write(root.join("a/b/c/f.txt"), "x").unwrap();
        let batch = tokio::time::timeout(Duration::from_secs(5), w.next_batch())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let changes = resolve(&batch, &|_| true);
        assert!(
            changes.contains(&Change::File(root.join("a/b/c/f.txt"))),
            "{changes:?}"
        );
    }
}
