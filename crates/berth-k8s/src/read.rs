//! The one place a conversion's input touches the filesystem: [`read_files`] reads the paths
//! [`crate::files_needed`] lists into the [`Sources`] that [`crate::convert`] takes.

use std::path::Path;

use super::sources::{Mounted, Needed, Sources};

/// Reads what a conversion needs. Nothing fails here: an unreadable path is recorded as such,
/// and the conversion reports it where the compose file names it.
pub fn read_files(needed: &[Needed]) -> Sources {
    let mut out = Sources::default();
    for n in needed {
        match n {
            Needed::File(p) => {
                let read = std::fs::read(p).map_err(|e| e.to_string());
                out.files.insert(p.clone(), read);
            }
            Needed::Mount(p) => {
                out.mounts.insert(p.clone(), mounted(p));
            }
        }
    }
    out
}

/// What a bind mount's source is.
fn mounted(p: &Path) -> Mounted {
    let Ok(md) = std::fs::metadata(p) else {
        return Mounted::Missing;
    };
    if md.is_file() {
        Mounted::File(std::fs::read(p).ok())
    } else if md.is_dir() {
        Mounted::Dir(listing(p))
    } else {
        Mounted::Other
    }
}

/// A directory's entries sorted by name, with the bytes of regular files. Reading stops at the
/// first entry that is not a readable regular file: the directory cannot be a ConfigMap then,
/// and reading on would only load data nobody uses.
fn listing(dir: &Path) -> Option<Vec<(String, Option<Vec<u8>>)>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    let mut out = Vec::new();
    for e in entries {
        let path = e.path();
        let is_file = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
        let bytes = if is_file {
            std::fs::read(&path).ok()
        } else {
            None
        };
        let stop = bytes.is_none();
        out.push((e.file_name().to_string_lossy().to_string(), bytes));
        if stop {
            break;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_directories_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.conf"), "x=1\n").unwrap();
        std::fs::create_dir(root.join("flat")).unwrap();
        std::fs::write(root.join("flat/b"), "b").unwrap();
        std::fs::write(root.join("flat/a"), "a").unwrap();
        std::fs::create_dir(root.join("deep")).unwrap();
        std::fs::create_dir(root.join("deep/a-sub")).unwrap();
        std::fs::write(root.join("deep/b"), "never read").unwrap();
        let needed = vec![
            Needed::File(root.join("a.conf")),
            Needed::File(root.join("gone.txt")),
            Needed::Mount(root.join("a.conf")),
            Needed::Mount(root.join("flat")),
            Needed::Mount(root.join("deep")),
            Needed::Mount(root.join("gone")),
        ];
        let s = read_files(&needed);
        assert_eq!(s.file(&root.join("a.conf")), Ok(&b"x=1\n"[..]));
        let err = s.file(&root.join("gone.txt")).unwrap_err();
        assert!(err.contains("No such file or directory"), "{err}");
        assert_eq!(
            s.mounted(&root.join("a.conf")),
            &Mounted::File(Some(b"x=1\n".to_vec()))
        );
        assert_eq!(
            s.mounted(&root.join("flat")),
            &Mounted::Dir(Some(vec![
                ("a".into(), Some(b"a".to_vec())),
                ("b".into(), Some(b"b".to_vec())),
            ]))
        );
        // The subdirectory comes first by name; the file after it is not read.
        assert_eq!(
            s.mounted(&root.join("deep")),
            &Mounted::Dir(Some(vec![("a-sub".into(), None)]))
        );
        assert_eq!(s.mounted(&root.join("gone")), &Mounted::Missing);
    }
}
