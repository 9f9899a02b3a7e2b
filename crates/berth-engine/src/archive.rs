//! Tar archives as the engine's archive endpoints and build API take them: the one place berth
//! writes one. Each use says what its entries carry ([`Stamp`]): a build context is
//! reproducible (mtime 0, owned by root), files synced or copied into a container keep their
//! mode and time, files berth writes from memory (secrets, configs) have the owner asked for.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// What the entries taken from the host's files carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stamp {
    /// Mode bits only; mtime 0, uid and gid 0: the same files give the same bytes (build
    /// contexts, whose bytes decide the engine's build cache).
    Reproducible,
    /// The file's mode and mtime, owned by root (as `docker cp` leaves files).
    RootOwned,
    /// Everything the file's metadata says, its owner included (`cp -a`).
    Complete,
}

/// A tar archive being written in memory.
pub struct Archive {
    builder: tar::Builder<Vec<u8>>,
    stamp: Stamp,
}

impl Archive {
    /// An empty archive whose host entries carry `stamp`; symbolic links are stored as links.
    pub fn new(stamp: Stamp) -> Archive {
        let mut builder = tar::Builder::new(Vec::new());
        builder.follow_symlinks(false);
        Archive { builder, stamp }
    }

    /// Follows symbolic links in [`Archive::add_tree`] (`cp -L`).
    pub fn follow_links(&mut self, follow: bool) {
        self.builder.follow_symlinks(follow);
    }

    fn header(&self, meta: &std::fs::Metadata) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        match self.stamp {
            Stamp::Reproducible => {
                h.set_mtime(0);
                h.set_uid(0);
                h.set_gid(0);
                h.set_mode(meta.permissions().mode() & 0o7777);
            }
            Stamp::RootOwned => {
                h.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
                h.set_uid(0);
                h.set_gid(0);
            }
            Stamp::Complete => h.set_metadata_in_mode(meta, tar::HeaderMode::Complete),
        }
        h
    }

    /// Adds the host path `host` as entry `name` (as given: a directory's may end in `/`): a
    /// file with its contents, a directory as an entry of its own (not its contents), a symbolic link as a link. Sockets and fifos are
    /// skipped (Docker skips them too). Returns whether a file or link was written.
    pub fn add_path(&mut self, name: &str, host: &Path) -> io::Result<bool> {
        let meta = std::fs::symlink_metadata(host)?;
        let mut h = self.header(&meta);
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(host)?;
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            self.builder.append_link(&mut h, name, target)?;
            Ok(true)
        } else if meta.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            self.builder.append_data(&mut h, name, io::empty())?;
            Ok(false)
        } else if meta.is_file() {
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(meta.len());
            let f = std::fs::File::open(host)?;
            self.builder.append_data(&mut h, name, f)?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Adds `host` and, for a directory, everything below it, under the name `name` (`.` puts
    /// a directory's contents at the archive's root), with the metadata tar reads from each
    /// file (`docker cp`'s archive).
    pub fn add_tree(&mut self, name: &str, host: &Path) -> io::Result<()> {
        if std::fs::symlink_metadata(host)?.is_dir() {
            self.builder.append_dir_all(name, host)
        } else {
            self.builder.append_path_with_name(host, name)
        }
    }

    /// Adds a file from memory with the given mode, owner and modification time.
    pub fn add_bytes(
        &mut self,
        name: &str,
        content: &[u8],
        mode: u32,
        (uid, gid): (u64, u64),
        mtime: u64,
    ) -> io::Result<()> {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(content.len() as u64);
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(gid);
        h.set_mtime(mtime);
        self.builder.append_data(&mut h, name, content)
    }

    /// The archive's bytes.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        self.builder.into_inner()
    }
}

/// Unpacks an archive of the container path `src` to the host path `dest` as `docker cp`
/// does: into `dest` when it is an existing directory, else as `dest`; `src/.` copies a
/// directory's contents. `keep_owner` (`cp -a`) keeps the archive's uid and gid. Nothing is
/// written outside `dest`.
pub fn unpack(tar: &[u8], src: &str, dest: &Path, keep_owner: bool) -> Result<(), String> {
    let contents_only = src.ends_with("/.");
    let into_dir = dest.is_dir();
    let mut a = tar::Archive::new(tar);
    a.set_preserve_permissions(true);
    a.set_preserve_mtime(true);
    a.set_preserve_ownerships(keep_owner);
    a.set_overwrite(true);
    for entry in a.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path().map_err(|e| e.to_string())?.into_owned();
        let mut comps = path.components();
        let root = comps.next();
        let rest: PathBuf = comps.collect();
        // `Path::join("")` would add a trailing slash: the root entry is `dest` itself.
        let under = |base: PathBuf| {
            if rest.as_os_str().is_empty() {
                base
            } else {
                base.join(&rest)
            }
        };
        let target = if contents_only {
            under(dest.to_path_buf())
        } else if into_dir {
            match root {
                Some(r) => under(dest.join(r)),
                None => continue,
            }
        } else {
            under(dest.to_path_buf())
        };
        if target
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err(format!("refusing to write outside {}", dest.display()));
        }
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        entry
            .unpack(&target)
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(bytes: &[u8]) -> Vec<(String, u64, u64, u32)> {
        let mut a = tar::Archive::new(bytes);
        a.entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                    h.mode().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn each_stamp_gives_what_its_use_needs() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        let mut a = Archive::new(Stamp::Reproducible);
        assert!(a.add_path("ctx/f", &f).unwrap());
        assert!(!a.add_path("ctx/", dir.path()).unwrap());
        let e = entries(&a.finish().unwrap());
        assert_eq!(e[0], ("ctx/f".to_string(), 0, 0, 0o640));
        assert_eq!(e[1].0, "ctx/");
        let mut a = Archive::new(Stamp::RootOwned);
        a.add_path("app/f", &f).unwrap();
        let e = entries(&a.finish().unwrap());
        assert!(e[0].1 > 0, "the file's mtime is kept");
        let mut a = Archive::new(Stamp::Reproducible);
        a.add_bytes("run/secrets/s", b"v", 0o400, (1000, 1000), 7)
            .unwrap();
        assert_eq!(
            entries(&a.finish().unwrap())[0],
            ("run/secrets/s".to_string(), 7, 1000, 0o400)
        );
    }

    #[test]
    fn unpacking_never_writes_outside_the_destination() {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        // tar's set_path refuses `..`: write the name bytes directly.
        h.as_old_mut().name[..8].copy_from_slice(b"x/../../");
        h.set_cksum();
        b.append(&h, &b"y"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let r = unpack(&bytes, "x", &dir.path().join("out"), false);
        assert!(r.is_err(), "{r:?}");
    }
}
