//! Copies changed files into containers through the Engine API's archive endpoint (the engine
//! unpacks the tar, so the container needs no `tar` of its own) and removes deleted ones with
//! `rm -rf` run in the container.

use std::path::PathBuf;

use berth_engine::archive::{Archive, Stamp};
use berth_engine::io::{Chunk, ExecRequest};
use berth_engine::Engine;
use futures_util::StreamExt;

/// One host path and where it goes in the container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Copy {
    pub host: PathBuf,
    pub container: String,
}

/// Builds a tar of `copies` rooted at `/`: each entry named by its container path, with the
/// host file's mode and modification time, owned by root (as `docker cp` leaves files).
/// Directories are entries of their own so that their modes are kept too. Paths that vanished
/// since they were seen are skipped; the count of files written is returned with the bytes.
pub fn archive(copies: &[Copy]) -> std::io::Result<(Vec<u8>, usize)> {
    let mut a = Archive::new(Stamp::RootOwned);
    let mut files = 0;
    for c in copies {
        let name = c.container.trim_start_matches('/');
        if name.is_empty() || std::fs::symlink_metadata(&c.host).is_err() {
            continue;
        }
        match a.add_path(name, &c.host) {
            Ok(true) => files += 1,
            Ok(false) => {}
            // Gone since it was seen (an editor's temporary file), or unreadable: skipped.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((a.finish()?, files))
}

/// Unpacks `tar` at `/` in container `id`.
pub async fn copy_in(engine: &Engine, id: &str, tar: Vec<u8>) -> Result<(), String> {
    engine
        .upload(id, "/", tar, false)
        .await
        .map_err(|e| format!("the engine refused the files: {e}"))
}

/// Runs `cmd` in container `id` to its end: (exit code, output).
pub async fn exec_capture(
    engine: &Engine,
    id: &str,
    req: &ExecRequest,
) -> Result<(i64, Vec<u8>), String> {
    let exec = engine
        .create_exec(id, req)
        .await
        .map_err(|e| e.to_string())?;
    let mut output = Vec::new();
    if let Some((mut out, _input)) = engine
        .start_exec(&exec, false, false)
        .await
        .map_err(|e| e.to_string())?
    {
        while let Some(chunk) = out.next().await {
            match chunk {
                Ok(Chunk::Stdout(b) | Chunk::Stderr(b) | Chunk::Console(b)) => {
                    output.extend_from_slice(&b)
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
    let code = engine
        .inspect_exec(&exec)
        .await
        .map_err(|e| e.to_string())?
        .exit_code
        .unwrap_or(-1);
    Ok((code, output))
}

/// Removes `paths` in container `id` (`rm -rf`). A container without `rm` (a scratch or
/// distroless image) is told apart from other failures, with what to do.
pub async fn remove(engine: &Engine, id: &str, paths: &[String]) -> Result<(), String> {
    let mut cmd = vec!["rm".to_string(), "-rf".into(), "--".into()];
    cmd.extend(paths.iter().cloned());
    let req = ExecRequest {
        cmd,
        user: Some("0".into()),
        ..Default::default()
    };
    match exec_capture(engine, id, &req).await {
        Ok((0, _)) => Ok(()),
        Ok((126 | 127, _)) => Err(no_rm()),
        Ok((code, out)) => Err(format!(
            "rm exited with code {code}: {}",
            String::from_utf8_lossy(&out).trim()
        )),
        Err(e) if e.contains("executable file not found") || e.contains("no such file") => {
            Err(no_rm())
        }
        Err(e) => Err(e),
    }
}

fn no_rm() -> String {
    "the container has no `rm`, so deleted files cannot be removed from it (copies need \
     nothing in the container); restart or recreate the service to drop them"
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn archive_keeps_modes_and_names_entries_by_container_path() {
        let d = tempfile::tempdir().unwrap();
        let script = d.path().join("run.sh");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o751)).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::set_permissions(d.path().join("sub"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        std::os::unix::fs::symlink("run.sh", d.path().join("link")).unwrap();
        let copies = vec![
            Copy {
                host: d.path().join("sub"),
                container: "/app/sub".into(),
            },
            Copy {
                host: script.clone(),
                container: "/app/run.sh".into(),
            },
            Copy {
                host: d.path().join("link"),
                container: "/app/link".into(),
            },
            Copy {
                host: d.path().join("vanished"),
                container: "/app/vanished".into(),
            },
        ];
        let (bytes, files) = archive(&copies).unwrap();
        assert_eq!(files, 2);
        let mut a = tar::Archive::new(&bytes[..]);
        let got: Vec<(String, u32, u64)> = a
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap() & 0o7777,
                    h.uid().unwrap(),
                )
            })
            .collect();
        assert_eq!(got[0], ("app/sub".into(), 0o700, 0));
        assert_eq!(got[1], ("app/run.sh".into(), 0o751, 0));
        assert_eq!(got[2].0, "app/link");
        assert_eq!(got.len(), 3);
    }
}
