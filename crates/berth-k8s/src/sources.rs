//! What a conversion reads from disk, handed in by the caller: the contents of configs' and
//! secrets' `file:`, what the bind-mounted paths of the project hold, and what the local engine
//! says of the services' images ([`crate::ImageFacts`]).
//!
//! [`files_needed`] lists the paths, [`crate::read_files`] reads them, and [`crate::convert`]
//! only looks them up: the conversion itself touches no filesystem, so a made-up [`Sources`] is
//! enough to test it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use berth_compose::load::LoadedProject;
use berth_compose::model::{FileObjectConfig, FileObjectSource};

use crate::ConvertOptions;

/// A path the conversion reads, and what it needs from it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Needed {
    /// A config's or secret's `file:`: its bytes.
    File(PathBuf),
    /// The source of a bind mount inside the project: what it is, and the files it holds.
    Mount(PathBuf),
}

/// What a bind-mounted path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mounted {
    /// Nothing there, or nothing that can be looked at.
    Missing,
    /// A regular file (symbolic links followed): its bytes, `None` when they cannot be read.
    File(Option<Vec<u8>>),
    /// A directory: its entries by name, each with a regular file's bytes or `None` (anything
    /// else, or unreadable); `None` when the directory cannot be listed. A listing may stop at
    /// its first `None` entry: such a directory never becomes a ConfigMap, whatever follows.
    Dir(Option<Vec<(String, Option<Vec<u8>>)>>),
    /// Something else (a socket, a device).
    Other,
}

/// The contents a conversion reads, by path (as the loaded project writes it: absolute).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// Contents of config and secret files, or the error reading them (as the OS words it).
    pub files: BTreeMap<PathBuf, Result<Vec<u8>, String>>,
    /// Sources of bind mounts.
    pub mounts: BTreeMap<PathBuf, Mounted>,
    /// What the local engine says of the services' images, by the compose `image:`; `None`
    /// when no engine answered (see [`crate::ImageFacts`]).
    pub images: Option<BTreeMap<String, crate::ImageFacts>>,
}

/// What a lookup of a file nobody read says (the caller skipped [`files_needed`]).
const NOT_READ: &str = "it was not read before converting";

impl Sources {
    /// The bytes of a config's or secret's file, or why there are none.
    pub fn file(&self, path: &Path) -> Result<&[u8], &str> {
        match self.files.get(path) {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(e),
            None => Err(NOT_READ),
        }
    }

    /// The facts of an image the engine has; `None` when it lacks it or none answered.
    pub fn image(&self, image: &str) -> Option<&crate::ImageFacts> {
        self.images.as_ref()?.get(image)
    }

    /// What a bind mount's source is ([`Mounted::Missing`] when it was not read).
    pub fn mounted(&self, path: &Path) -> &Mounted {
        self.mounts.get(path).unwrap_or(&Mounted::Missing)
    }
}

/// Every path [`crate::convert`] reads for this project with `opts`: the files of the configs
/// that services use (when `file:` is their source), of the secrets only with `--embed-secrets`
/// (else their values are never read), and the bind mounts inside the project.
pub fn files_needed(lp: &LoadedProject, opts: &ConvertOptions) -> Vec<Needed> {
    let p = &lp.project;
    let mut out = BTreeSet::new();
    for svc in p.services.values() {
        let secrets = svc.secrets.iter().filter_map(|s| s.source.as_ref());
        let secrets = secrets.filter(|_| opts.embed_secrets);
        for cfg in secrets.filter_map(|k| p.secrets.get(k)) {
            out.extend(file_of(cfg).map(Needed::File));
        }
        let configs = svc.configs.iter().filter_map(|c| c.source.as_ref());
        for cfg in configs.filter_map(|k| p.configs.get(k)) {
            out.extend(file_of(cfg).map(Needed::File));
        }
        for v in svc.volumes.iter().filter(|v| v.kind == "bind") {
            let Some(src) = v.source.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            if in_project(lp, Path::new(src)) {
                out.insert(Needed::Mount(PathBuf::from(src)));
            }
        }
    }
    out.into_iter().collect()
}

/// The file a config or secret is read from, if a file is its source.
fn file_of(cfg: &FileObjectConfig) -> Option<PathBuf> {
    match cfg.source() {
        Some(FileObjectSource::File(f)) if !cfg.external => Some(PathBuf::from(f)),
        _ => None,
    }
}

/// Whether a bind mount's source is inside the project (so it can become a ConfigMap or a
/// claim); a path outside is the node's, and never read.
pub(crate) fn in_project(lp: &LoadedProject, src: &Path) -> bool {
    src.starts_with(&lp.working_dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::testing::load_yaml;

    #[test]
    fn only_what_the_conversion_reads_is_needed() {
        let yaml = "services:\n  app:\n    image: nginx:1.25\n    volumes:\n      - ./conf:/etc/conf\n      - /var/run/docker.sock:/var/run/docker.sock\n      - data:/data\n    secrets: [from_file, from_env, ext]\n    configs: [cfg]\n\
                    volumes:\n  data: {}\n\
                    secrets:\n  from_file:\n    file: ./s.txt\n  from_env:\n    environment: S\n    file: ./ignored.txt\n  ext:\n    external: true\n  unused:\n    file: ./unused.txt\n\
                    configs:\n  cfg:\n    file: /etc/app.conf\n";
        let lp = load_yaml(yaml, &[("S", "x")]);
        let embed = ConvertOptions {
            embed_secrets: true,
            ..Default::default()
        };
        assert_eq!(
            files_needed(&lp, &embed),
            [
                Needed::File("/etc/app.conf".into()),
                Needed::File("/proj/s.txt".into()),
                Needed::Mount("/proj/conf".into()),
            ]
        );
        // Without --embed-secrets no secret value is read.
        assert_eq!(
            files_needed(&lp, &ConvertOptions::default()),
            [
                Needed::File("/etc/app.conf".into()),
                Needed::Mount("/proj/conf".into()),
            ]
        );
    }

    #[test]
    fn what_was_not_read_reads_as_missing() {
        let s = Sources::default();
        assert_eq!(s.file(Path::new("/x")), Err(NOT_READ));
        assert_eq!(s.mounted(Path::new("/x")), &Mounted::Missing);
    }
}
