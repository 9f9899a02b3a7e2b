//! `cp`: files between a service's container and this machine, through the engine's archive
//! API, as `docker cp` copies them.

use std::path::{Path, PathBuf};

use berth_engine::archive::{self, Archive, Stamp};
use berth_engine::Engine;

use crate::project::{self, ContainerError};

/// One side of a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `SERVICE:PATH` in the service's container.
    Container { service: String, path: String },
    /// A path here.
    Host(PathBuf),
    /// `-`: a tar archive on standard input or output.
    Stream,
}

impl Place {
    /// Reads `SERVICE:PATH`, `-` or a local path (`/…`, `./…`, or without a `:`).
    pub fn parse(s: &str) -> Place {
        if s == "-" {
            return Place::Stream;
        }
        if s.starts_with('/') || s.starts_with('.') {
            return Place::Host(PathBuf::from(s));
        }
        match s.split_once(':') {
            Some((service, path)) => Place::Container {
                service: service.to_string(),
                path: path.to_string(),
            },
            None => Place::Host(PathBuf::from(s)),
        }
    }
}

/// What `cp` moves: exactly one side is a container.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    pub from: Place,
    pub to: Place,
    /// Which replica (default: the first running one).
    pub index: Option<u32>,
    /// Keep the archive's owners (`-a`).
    pub archive: bool,
    /// Follow symbolic links in the source (`-L`).
    pub follow_link: bool,
}

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("copying between services is not supported")]
    BetweenServices,
    #[error("one of source or destination must be SERVICE:PATH")]
    NoService,
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error("service \"{0}\": cp: {1}")]
    Failed(String, String),
}

impl CopyOptions {
    /// The service whose container is one side.
    pub fn service(&self) -> Result<&str, CopyError> {
        match (&self.from, &self.to) {
            (Place::Container { .. }, Place::Container { .. }) => Err(CopyError::BetweenServices),
            (Place::Container { service, .. }, _) | (_, Place::Container { service, .. }) => {
                Ok(service)
            }
            _ => Err(CopyError::NoService),
        }
    }
}

/// A tar archive of `src` whose root entry is named `name` (default: src's own name); `src/.`
/// packs a directory's contents.
fn pack(src: &Path, name: Option<&str>, follow: bool) -> Result<Vec<u8>, String> {
    let contents_only = src.to_string_lossy().ends_with("/.");
    let base = name
        .map(str::to_string)
        .or_else(|| {
            src.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|b| b.to_string_lossy().to_string()))
        })
        .unwrap_or_else(|| ".".into());
    let mut a = Archive::new(Stamp::Complete);
    a.follow_links(follow);
    let root = if contents_only { "." } else { base.as_str() };
    a.add_tree(root, src)
        .map_err(|e| format!("{}: {e}", src.display()))?;
    a.finish().map_err(|e| e.to_string())
}

/// Copies as `opts` says in `project`. A copy out to [`Place::Stream`] returns the archive
/// for the caller to write; a copy in from it reads standard input.
pub async fn copy(
    engine: &Engine,
    project: &str,
    opts: &CopyOptions,
) -> Result<Option<Vec<u8>>, CopyError> {
    let service = opts.service()?.to_string();
    let c = project::running_container(engine, project, &service, opts.index).await?;
    let fail = |m: String| CopyError::Failed(service.clone(), m);
    match (&opts.from, &opts.to) {
        (Place::Container { path: src, .. }, to) => {
            let tar = engine
                .download(&c.id, src)
                .await
                .map_err(|e| fail(e.to_string()))?;
            match to {
                Place::Host(dest) => {
                    archive::unpack(&tar, src, dest, opts.archive).map_err(fail)?;
                    Ok(None)
                }
                _ => Ok(Some(tar)),
            }
        }
        (from, Place::Container { path: dst, .. }) => {
            let stat = engine
                .stat_path(&c.id, dst)
                .await
                .map_err(|e| fail(e.to_string()))?;
            // Into an existing directory, else as the named file.
            let (dir, name_in) = match &stat {
                Some(s) if s.is_dir() => (dst.clone(), None),
                _ => {
                    let p = Path::new(dst);
                    let parent = p
                        .parent()
                        .map(|x| x.display().to_string())
                        .filter(|x| !x.is_empty())
                        .unwrap_or_else(|| "/".into());
                    let base = p.file_name().map(|b| b.to_string_lossy().to_string());
                    (parent, base)
                }
            };
            let tar = match from {
                Place::Host(src) => {
                    pack(src, name_in.as_deref(), opts.follow_link).map_err(fail)?
                }
                _ => {
                    let mut b = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
                        .map_err(|e| fail(e.to_string()))?;
                    b
                }
            };
            engine
                .upload(&c.id, &dir, tar, opts.archive)
                .await
                .map_err(|e| fail(e.to_string()))?;
            Ok(None)
        }
        _ => Err(CopyError::NoService),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_read_as_docker_cp_reads_them() {
        assert_eq!(Place::parse("-"), Place::Stream);
        assert_eq!(Place::parse("./a:b"), Place::Host("./a:b".into()));
        assert_eq!(Place::parse("/tmp/x"), Place::Host("/tmp/x".into()));
        assert_eq!(
            Place::parse("web:/etc/hosts"),
            Place::Container {
                service: "web".into(),
                path: "/etc/hosts".into()
            }
        );
        let o = CopyOptions {
            from: Place::parse("a:/x"),
            to: Place::parse("b:/y"),
            index: None,
            archive: false,
            follow_link: false,
        };
        assert!(matches!(o.service(), Err(CopyError::BetweenServices)));
    }
}
