//! The streaming side of the engine: logs, exec, attach, archives, top, stats, images (events:
//! `Engine::container_events` in mod.rs, which works on both engines).
//! Streams carry raw bytes (never decoded as UTF-8 here) and classified errors.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, ContainerArchiveInfoOptionsBuilder,
    DownloadFromContainerOptionsBuilder, LogsOptionsBuilder, ResizeContainerTTYOptionsBuilder,
    ResizeExecOptionsBuilder, StatsOptionsBuilder, TopOptionsBuilder,
    UploadToContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWrite;

use crate::error::Result;
use crate::{Engine, EngineError, StatsSample};

/// One chunk of a container's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// A TTY's output (stdout and stderr are one stream).
    Console(Vec<u8>),
}

impl Chunk {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Chunk::Stdout(b) | Chunk::Stderr(b) | Chunk::Console(b) => b,
        }
    }
    fn from(o: LogOutput) -> Option<Chunk> {
        match o {
            LogOutput::StdOut { message } => Some(Chunk::Stdout(message.to_vec())),
            LogOutput::StdErr { message } => Some(Chunk::Stderr(message.to_vec())),
            LogOutput::Console { message } => Some(Chunk::Console(message.to_vec())),
            LogOutput::StdIn { .. } => None,
        }
    }
}

/// What a path in a container is (the archive API's stat).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    /// Go's `os.FileMode` bits (directories have [`PathStat::MODE_DIR`]).
    pub mode: u32,
    /// The link's target, for a symbolic link.
    pub link_target: String,
}

impl PathStat {
    /// Go's `os.ModeDir`, as the archive API reports it.
    pub const MODE_DIR: u32 = 1 << 31;

    pub fn is_dir(&self) -> bool {
        self.mode & Self::MODE_DIR != 0
    }
}

/// Where an exec instance is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecStatus {
    pub running: bool,
    /// Its exit code once it has ended.
    pub exit_code: Option<i64>,
}

/// The processes running in a container (`docker top`): column titles, then one row each.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Processes {
    pub titles: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<Chunk>> + Send>>;
pub type Input = Pin<Box<dyn AsyncWrite + Send>>;

fn chunks(
    s: impl Stream<Item = std::result::Result<LogOutput, bollard::errors::Error>> + Send + 'static,
) -> ChunkStream {
    Box::pin(s.filter_map(|r| async move {
        match r {
            Ok(o) => Chunk::from(o).map(Ok),
            Err(e) => Some(Err(EngineError::classify(e))),
        }
    }))
}

/// What `logs` asks the engine for.
#[derive(Clone, Debug, Default)]
pub struct LogRequest {
    pub follow: bool,
    pub timestamps: bool,
    /// Unix seconds; 0 for no bound.
    pub since: i32,
    pub until: i32,
    /// "all" or a number.
    pub tail: String,
}

/// What `exec` runs.
#[derive(Clone, Debug, Default)]
pub struct ExecRequest {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub privileged: bool,
    pub tty: bool,
    pub stdin: bool,
}

impl Engine {
    /// A container's log, as chunks (each prefixed by its timestamp when asked).
    pub fn logs(&self, id: &str, r: &LogRequest) -> ChunkStream {
        let mut b = LogsOptionsBuilder::new()
            .follow(r.follow)
            .stdout(true)
            .stderr(true)
            .timestamps(r.timestamps)
            .since(r.since)
            .until(r.until);
        if !r.tail.is_empty() {
            b = b.tail(&r.tail);
        }
        chunks(self.docker.logs(id, Some(b.build())))
    }

    /// Creates an exec instance; its ID.
    pub async fn create_exec(&self, container: &str, r: &ExecRequest) -> Result<String> {
        let opts = CreateExecOptions::<String> {
            attach_stdin: Some(r.stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(r.tty),
            env: (!r.env.is_empty()).then(|| r.env.clone()),
            cmd: Some(r.cmd.clone()),
            privileged: Some(r.privileged),
            user: r.user.clone(),
            working_dir: r.working_dir.clone(),
            detach_keys: None,
        };
        self.docker
            .create_exec(container, opts)
            .await
            .map(|r| r.id)
            .map_err(EngineError::classify)
    }

    /// Starts an exec instance; its output and input when attached, None when detached.
    pub async fn start_exec(
        &self,
        exec: &str,
        tty: bool,
        detach: bool,
    ) -> Result<Option<(ChunkStream, Input)>> {
        let opts = StartExecOptions {
            detach,
            tty,
            output_capacity: None,
        };
        match self
            .docker
            .start_exec(exec, Some(opts))
            .await
            .map_err(EngineError::classify)?
        {
            StartExecResults::Attached { output, input } => Ok(Some((chunks(output), input))),
            StartExecResults::Detached => Ok(None),
        }
    }

    /// Whether an exec instance still runs, and its exit code once it has ended.
    pub async fn inspect_exec(&self, exec: &str) -> Result<ExecStatus> {
        let i = self
            .docker
            .inspect_exec(exec)
            .await
            .map_err(|e| self.err(e))?;
        Ok(ExecStatus {
            running: i.running.unwrap_or(false),
            exit_code: i.exit_code,
        })
    }

    pub async fn resize_exec(&self, exec: &str, rows: u16, cols: u16) -> Result<()> {
        let opts = ResizeExecOptionsBuilder::new()
            .h(rows as i32)
            .w(cols as i32)
            .build();
        self.docker
            .resize_exec(exec, opts)
            .await
            .map_err(EngineError::classify)
    }

    /// Attaches to a container's streams (from now on, no past output).
    /// Attaches to a container's streams. `detach_keys` (`ctrl-p,ctrl-q`, the engine's default
    /// when None) typed on stdin of a TTY container end the attachment, not the container.
    pub async fn attach(
        &self,
        id: &str,
        stdin: bool,
        detach_keys: Option<&str>,
    ) -> Result<(ChunkStream, Input)> {
        let mut b = AttachContainerOptionsBuilder::new()
            .stream(true)
            .logs(false)
            .stdin(stdin)
            .stdout(true)
            .stderr(true);
        if let Some(k) = detach_keys {
            b = b.detach_keys(k);
        }
        let opts = b.build();
        let r = self
            .docker
            .attach_container(id, Some(opts))
            .await
            .map_err(EngineError::classify)?;
        Ok((chunks(r.output), r.input))
    }

    pub async fn resize_container(&self, id: &str, rows: u16, cols: u16) -> Result<()> {
        let opts = ResizeContainerTTYOptionsBuilder::new()
            .h(rows as i32)
            .w(cols as i32)
            .build();
        self.docker
            .resize_container_tty(id, opts)
            .await
            .map_err(EngineError::classify)
    }

    /// A tar archive of `path` in the container.
    pub async fn download(&self, id: &str, path: &str) -> Result<Vec<u8>> {
        let opts = DownloadFromContainerOptionsBuilder::new()
            .path(path)
            .build();
        let mut s = self.docker.download_from_container(id, Some(opts));
        let mut out = Vec::new();
        while let Some(b) = s.next().await {
            out.extend_from_slice(&b.map_err(EngineError::classify)?);
        }
        Ok(out)
    }

    /// Unpacks a tar archive into directory `path` of the container.
    /// `copy_uid_gid` (`cp -a`): the engine gives the files the container user's ownership
    /// (Docker when the container has a `user`, Podman always) rather than the archive's.
    pub async fn upload(
        &self,
        id: &str,
        path: &str,
        tar: Vec<u8>,
        copy_uid_gid: bool,
    ) -> Result<()> {
        let mut b = UploadToContainerOptionsBuilder::new().path(path);
        if copy_uid_gid {
            b = b.copy_uidgid("true");
        }
        let opts = b.build();
        self.docker
            .upload_to_container(id, Some(opts), bollard::body_full(tar.into()))
            .await
            .map_err(EngineError::classify)
    }

    /// What `path` is in the container (None when it does not exist).
    pub async fn stat_path(&self, id: &str, path: &str) -> Result<Option<PathStat>> {
        let opts = ContainerArchiveInfoOptionsBuilder::new().path(path).build();
        match self.docker.get_container_archive_info(id, Some(opts)).await {
            Ok(s) => Ok(Some(PathStat {
                name: s.name,
                size: s.size,
                mode: s.file_mode,
                link_target: s.link_target,
            })),
            Err(e) => match EngineError::classify(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The processes running in a container (`ps -ef`).
    pub async fn top(&self, id: &str) -> Result<Processes> {
        let opts = TopOptionsBuilder::new().ps_args("-ef").build();
        let t = self
            .docker
            .top_processes(id, Some(opts))
            .await
            .map_err(|e| self.err(e))?;
        Ok(Processes {
            titles: t.titles.unwrap_or_default(),
            rows: t.processes.unwrap_or_default(),
        })
    }

    /// One sample of a container's resource usage (with the previous one for CPU deltas).
    pub async fn stats_once(&self, id: &str) -> Result<Option<StatsSample>> {
        let opts = StatsOptionsBuilder::new()
            .stream(false)
            .one_shot(false)
            .build();
        let mut s = self.docker.stats(id, Some(opts));
        match s.next().await {
            Some(r) => r
                .map(|s| Some(StatsSample::from_api(s)))
                .map_err(|e| self.err(e)),
            None => Ok(None),
        }
    }

    /// A container's resource usage as the engine streams it (about one sample a second),
    /// until the container stops or the stream is dropped.
    pub fn stats(&self, id: &str) -> Pin<Box<dyn Stream<Item = Result<StatsSample>> + Send>> {
        let opts = StatsOptionsBuilder::new()
            .stream(true)
            .one_shot(false)
            .build();
        let me = self.clone();
        Box::pin(
            self.docker
                .stats(id, Some(opts))
                .map(move |r| r.map(StatsSample::from_api).map_err(|e| me.err(e))),
        )
    }
}
