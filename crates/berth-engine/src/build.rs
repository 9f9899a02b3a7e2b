//! Building an image through the Engine API (the legacy builder: Docker 20.10 has no BuildKit
//! session for us): the context sent as a tar that honours `.dockerignore` exactly as the Docker
//! CLI does ([`berth_compose::build_context`]), the build options compose knows, and the build
//! stream turned into lines and errors.

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::query_parameters::{BuildImageOptions, BuilderVersion};
use futures_util::StreamExt;

use berth_compose::build_context::{
    context_entries, ignore_file, ContextEntry, DockerIgnore, EntryKind,
};

use crate::archive::{Archive, Stamp};
use crate::cli_config::Registries;
use crate::Engine;

/// Why a build could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Context(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{message}")]
    Failed {
        message: String,
        /// `Step 3/4 : RUN false`, when the builder said which step failed.
        step: Option<String>,
        /// The Dockerfile line of that step (`Dockerfile:5`), when it could be found.
        line: Option<String>,
        /// The step's output up to the failure.
        output: Vec<String>,
    },
    #[error("{0}")]
    Engine(String),
}

/// Writes the context entries (and extra in-memory files) as a tar: uid/gid 0, mtime 0, so the
/// same context gives the same bytes (and the engine's build cache hits).
fn context_tar(entries: &[ContextEntry], extra: &[(String, Vec<u8>)]) -> Result<Vec<u8>, String> {
    let mut a = Archive::new(Stamp::Reproducible);
    for e in entries {
        let name = match e.kind {
            EntryKind::Dir => format!("{}/", e.path),
            _ => e.path.clone(),
        };
        a.add_path(&name, &e.full)
            .map_err(|err| format!("cannot add {} to the build context: {err}", e.path))?;
    }
    for (name, data) in extra {
        a.add_bytes(name, data, 0o644, (0, 0), 0)
            .map_err(|err| format!("cannot add {name} to the build context: {err}"))?;
    }
    a.finish()
        .map_err(|e| format!("cannot write the build context: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The build request

/// Everything one image build needs (resolved from a service's `build:` and the flags).
#[derive(Debug, Clone, Default)]
pub struct BuildSpec {
    /// The context directory.
    pub context: PathBuf,
    /// The Dockerfile on disk (None with `inline`).
    pub dockerfile: Option<PathBuf>,
    /// `dockerfile_inline` content.
    pub inline: Option<String>,
    /// The first tag is the image's name; the others are added.
    pub tags: Vec<String>,
    pub args: HashMap<String, String>,
    pub target: Option<String>,
    pub labels: HashMap<String, String>,
    pub no_cache: bool,
    pub pull: bool,
    pub network: Option<String>,
    pub extra_hosts: Vec<String>,
    pub shm_size: Option<i64>,
    pub cache_from: Vec<String>,
}

/// What the build context turned into: the tar, the Dockerfile name inside it, its text.
pub struct PreparedContext {
    pub tar: Vec<u8>,
    pub dockerfile_name: String,
    pub dockerfile_text: String,
    pub dockerfile_label: String,
}

/// Walks the context and packs it (blocking work: call it off the async threads if large).
pub fn prepare_context(spec: &BuildSpec) -> Result<PreparedContext, BuildError> {
    let ctx = &spec.context;
    if !ctx.is_dir() {
        return Err(BuildError::Context(format!(
            "build context {} is not a directory",
            ctx.display()
        )));
    }
    let mut extra = Vec::new();
    let (dockerfile_name, dockerfile_text, label, df_path) = if let Some(text) = &spec.inline {
        let name = format!(
            ".berth-dockerfile.{}",
            &crate::images::sha256_hex(text.as_bytes())[..12]
        );
        extra.push((name.clone(), text.clone().into_bytes()));
        (name, text.clone(), "dockerfile_inline".to_string(), None)
    } else {
        let df = spec
            .dockerfile
            .clone()
            .unwrap_or_else(|| ctx.join("Dockerfile"));
        let text = std::fs::read_to_string(&df).map_err(|e| {
            BuildError::Context(format!(
                "cannot read the Dockerfile {}: {e} (set build.dockerfile, or create it)",
                df.display()
            ))
        })?;
        let label = df.display().to_string();
        match df.strip_prefix(ctx) {
            Ok(rel) => (
                rel.to_string_lossy().replace('\\', "/"),
                text,
                label,
                Some(df.clone()),
            ),
            Err(_) => {
                // Outside the context: sent beside it under a private name, as the CLI does.
                let name = format!(
                    ".berth-dockerfile.{}",
                    &crate::images::sha256_hex(text.as_bytes())[..12]
                );
                extra.push((name.clone(), text.clone().into_bytes()));
                (name, text, label, None)
            }
        }
    };
    let ignore_path = ignore_file(ctx, df_path.as_deref().unwrap_or(&ctx.join("Dockerfile")));
    let ignore = match &ignore_path {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| BuildError::Context(format!("cannot read {}: {e}", p.display())))?;
            DockerIgnore::parse(&text)
                .map_err(|e| BuildError::Context(format!("{}: {e}", p.display())))?
        }
        None => DockerIgnore::default(),
    };
    let in_ctx = if extra.iter().any(|(n, _)| *n == dockerfile_name) {
        None
    } else {
        Some(dockerfile_name.as_str())
    };
    let entries = context_entries(ctx, &ignore, in_ctx).map_err(BuildError::Context)?;
    let tar = context_tar(&entries, &extra).map_err(BuildError::Context)?;
    Ok(PreparedContext {
        tar,
        dockerfile_name,
        dockerfile_text,
        dockerfile_label: label,
    })
}

/// Instructions of a Dockerfile with the line each starts on (continuations joined).
pub fn dockerfile_instructions(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if current.is_none() && (t.is_empty() || t.starts_with('#')) {
            continue;
        }
        if current.is_some() && t.starts_with('#') {
            continue;
        }
        let (start, mut acc) = current.take().unwrap_or((i + 1, String::new()));
        if let Some(body) = t.strip_suffix('\\') {
            acc.push_str(body);
            current = Some((start, acc));
        } else {
            acc.push_str(t);
            out.push((start, acc));
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Dockerfile line of `Step N/M : INSTRUCTION`.
pub fn step_line(dockerfile: &str, step: &str) -> Option<usize> {
    let rest = step.strip_prefix("Step ")?;
    let (nums, instr) = rest.split_once(" : ")?;
    let n: usize = nums.split('/').next()?.trim().parse().ok()?;
    let want = normalize_ws(instr);
    let all = dockerfile_instructions(dockerfile);
    let hits: Vec<(usize, usize)> = all
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| normalize_ws(t).eq_ignore_ascii_case(&want))
        .map(|(i, (l, _))| (i, *l))
        .collect();
    hits.iter()
        .min_by_key(|(i, _)| (*i as i64 - (n as i64 - 1)).abs())
        .map(|(_, l)| *l)
        .or_else(|| all.get(n.checked_sub(1)?).map(|(l, _)| *l))
}

/// Adds the `extrahosts` values bollard cannot repeat: the request carries them joined by a
/// newline, and this splits them into repeated query parameters, as the Docker CLI sends them.
fn split_extra_hosts(mut req: bollard::BollardRequest) -> bollard::BollardRequest {
    let uri = req.uri().clone();
    if !uri.path().ends_with("/build") {
        return req;
    }
    let Some(q) = uri.query() else { return req };
    if !q.contains("%0A") {
        return req;
    }
    let new_q: Vec<String> = q
        .split('&')
        .map(|kv| {
            if kv.starts_with("extrahosts=") {
                kv.replace("%0A", "&extrahosts=")
            } else {
                kv.to_string()
            }
        })
        .collect();
    let pq = format!("{}?{}", uri.path(), new_q.join("&"));
    let mut parts = uri.into_parts();
    if let Ok(p) = pq.parse() {
        parts.path_and_query = Some(p);
        if let Ok(u) = http::Uri::from_parts(parts) {
            *req.uri_mut() = u;
        }
    }
    req
}

impl Engine {
    /// Builds an image; `on_line` gets each output line. Returns the image ID.
    pub async fn build_image(
        &self,
        spec: &BuildSpec,
        prepared: PreparedContext,
        registries: &Registries,
        mut on_line: impl FnMut(&str),
    ) -> Result<String, BuildError> {
        let tag = spec.tags.first().cloned().unwrap_or_default();
        let opts = BuildImageOptions {
            dockerfile: prepared.dockerfile_name.clone(),
            t: (!tag.is_empty()).then(|| tag.clone()),
            extrahosts: (!spec.extra_hosts.is_empty()).then(|| spec.extra_hosts.join("\n")),
            remote: None,
            q: false,
            nocache: spec.no_cache,
            cachefrom: (!spec.cache_from.is_empty()).then(|| spec.cache_from.clone()),
            pull: spec.pull.then(|| "1".to_string()),
            rm: true,
            forcerm: true,
            memory: None,
            memswap: None,
            cpushares: None,
            cpusetcpus: None,
            cpuperiod: None,
            cpuquota: None,
            buildargs: (!spec.args.is_empty()).then(|| spec.args.clone()),
            shmsize: spec.shm_size.map(|s| s.min(i32::MAX as i64) as i32),
            squash: None,
            labels: (!spec.labels.is_empty()).then(|| spec.labels.clone()),
            networkmode: spec.network.clone(),
            platform: String::new(),
            target: spec.target.clone().unwrap_or_default(),
            version: BuilderVersion::BuilderV1,
        };
        let docker = if spec.extra_hosts.len() > 1 {
            self.docker.clone().with_request_modifier(split_extra_hosts)
        } else {
            self.docker.clone()
        };
        let mut prepared = prepared;
        let tar = std::mem::take(&mut prepared.tar);
        let body = bollard::body_full(bytes::Bytes::from(tar));
        let mut stream = docker.build_image(opts, registries.all(), Some(body));
        let mut id: Option<String> = None;
        let mut step: Option<String> = None;
        let mut step_output: Vec<String> = Vec::new();
        let mut pending = String::new();
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(i) => i,
                Err(e) => {
                    let msg = match e {
                        bollard::errors::Error::DockerResponseServerError { message, .. } => {
                            message
                        }
                        bollard::errors::Error::DockerStreamError { error } => error,
                        other => other.to_string(),
                    };
                    return Err(self.build_failure(msg, step, step_output, &prepared));
                }
            };
            if let Some(aux) = info.aux.as_ref().and_then(|a| a.id.clone()) {
                id = Some(aux);
            }
            if let Some(s) = info.stream.as_deref() {
                pending.push_str(s);
                while let Some(i) = pending.find('\n') {
                    let line: String = pending.drain(..=i).collect();
                    let line = line.trim_end_matches(['\n', '\r']).to_string();
                    if line.starts_with("Step ") && line.contains(" : ") {
                        step = Some(line.clone());
                        step_output.clear();
                    } else {
                        step_output.push(line.clone());
                    }
                    on_line(&line);
                }
            }
            if let Some(status) = info.status.as_deref() {
                // Pull progress of base images (with `pull`).
                let line = match info.id.as_deref() {
                    Some(i) => format!("{i}: {status}"),
                    None => status.to_string(),
                };
                on_line(&line);
            }
            if let Some(err) = info.error_detail.as_ref() {
                let msg = err.message.clone().unwrap_or_default();
                if !pending.is_empty() {
                    step_output.push(std::mem::take(&mut pending));
                }
                return Err(self.build_failure(msg, step, step_output, &prepared));
            }
        }
        if !pending.trim().is_empty() {
            on_line(pending.trim_end());
        }
        match id {
            Some(i) => Ok(i),
            None if !tag.is_empty() => self
                .image_id(&tag)
                .await
                .map_err(|e| BuildError::Engine(e.to_string()))?
                .ok_or_else(|| BuildError::Engine(format!("the engine built no image {tag}"))),
            None => Err(BuildError::Engine(
                "the engine did not report the built image's ID".into(),
            )),
        }
    }

    fn build_failure(
        &self,
        message: String,
        step: Option<String>,
        output: Vec<String>,
        prepared: &PreparedContext,
    ) -> BuildError {
        let line = step
            .as_deref()
            .and_then(|s| step_line(&prepared.dockerfile_text, s))
            .map(|l| format!("{}:{l}", prepared.dockerfile_label));
        BuildError::Failed {
            message: message.trim().to_string(),
            step,
            line,
            output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines() {
        let df = "# syntax\nFROM x\n\nRUN a \\\n  && b\nRUN false\n";
        assert_eq!(step_line(df, "Step 3/3 : RUN false"), Some(6));
        assert_eq!(step_line(df, "Step 2/3 : RUN a   && b"), Some(4));
        assert_eq!(step_line(df, "Step 1/3 : FROM x"), Some(2));
    }
}

// ---------------------------------------------------------------------------------------------
// Services

/// Flags of `berth build` / `up --build` that apply to every service.
#[derive(Debug, Clone, Default)]
pub struct BuildFlags {
    pub no_cache: bool,
    pub pull: bool,
    /// `--build-arg KEY=VALUE` (or `KEY`, taken from the environment).
    pub build_args: Vec<String>,
}

/// Whether a build context is remote (a Git or HTTP URL).
pub fn is_remote_context(ctx: &str) -> bool {
    ctx.contains("://") || ctx.starts_with("git@") || ctx.starts_with("github.com/")
}

/// The build of service `name`, or why the legacy builder cannot do it.
pub fn spec_for_service(
    loaded: &berth_compose::load::LoadedProject,
    name: &str,
    flags: &BuildFlags,
) -> Result<BuildSpec, String> {
    let svc = loaded
        .project
        .services
        .get(name)
        .ok_or_else(|| format!("no such service: {name}"))?;
    let b = svc
        .build
        .as_ref()
        .ok_or_else(|| format!("service \"{name}\" has no build section"))?;
    let env = |k: &str| -> Option<String> {
        loaded
            .environment
            .get(k)
            .map(str::to_string)
            .or_else(|| std::env::var(k).ok())
    };
    let ctx = b.context.clone().unwrap_or_else(|| ".".into());
    if is_remote_context(&ctx) {
        return Err(format!(
            "service \"{name}\": build context {ctx} is a remote URL, and berth builds offline from a local directory: clone it and set build.context to the directory"
        ));
    }
    if !b.ssh.is_empty() {
        return Err(format!(
            "service \"{name}\": build.ssh needs BuildKit, and berth builds with the engine's legacy builder, which cannot forward SSH agents or keys: remove build.ssh (copy what the build needs into the context), or build this image with `docker buildx build`"
        ));
    }
    if !b.secrets.is_empty() {
        return Err(format!(
            "service \"{name}\": build.secrets need BuildKit, and the engine's legacy builder has no build secrets: remove build.secrets (pass non-secret values as build args), or build this image with `docker buildx build`"
        ));
    }
    if !b.additional_contexts.is_empty() {
        return Err(format!(
            "service \"{name}\": build.additional_contexts need BuildKit; the engine's legacy builder has one context only"
        ));
    }
    if !b.cache_to.is_empty() {
        return Err(format!(
            "service \"{name}\": build.cache_to needs BuildKit; the engine's legacy builder cannot export a cache (remove it; cache_from works)"
        ));
    }
    let context = PathBuf::from(&ctx);
    let context = if context.is_absolute() {
        context
    } else {
        loaded.working_dir.join(context)
    };
    let dockerfile = if b.dockerfile_inline.is_some() {
        None
    } else {
        let d = b.dockerfile.clone().unwrap_or_else(|| "Dockerfile".into());
        let p = PathBuf::from(&d);
        Some(if p.is_absolute() { p } else { context.join(p) })
    };
    let mut args: HashMap<String, String> = HashMap::new();
    for (k, v) in &b.args {
        match v {
            Some(v) => {
                args.insert(k.clone(), v.clone());
            }
            None => {
                if let Some(v) = env(k) {
                    args.insert(k.clone(), v);
                }
            }
        }
    }
    for a in &flags.build_args {
        match a.split_once('=') {
            Some((k, v)) => {
                args.insert(k.to_string(), v.to_string());
            }
            None => {
                if let Some(v) = env(a) {
                    args.insert(a.clone(), v);
                }
            }
        }
    }
    let image = crate::spec::image_name(&loaded.name, name, svc);
    let mut tags = vec![image];
    for t in &b.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    Ok(BuildSpec {
        context,
        dockerfile,
        inline: b.dockerfile_inline.clone(),
        tags,
        args,
        target: b.target.clone().filter(|t| !t.is_empty()),
        labels: b
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        no_cache: b.no_cache || flags.no_cache,
        pull: b.pull || flags.pull,
        network: b.network.clone().filter(|n| !n.is_empty()),
        extra_hosts: b
            .extra_hosts
            .iter()
            .map(|h| match h.split_once('=') {
                Some((host, ip)) => format!("{host}:{ip}"),
                None => h.clone(),
            })
            .collect(),
        shm_size: b.shm_size.as_ref().map(|s| s.0).filter(|s| *s > 0),
        cache_from: b.cache_from.clone(),
    })
}

/// A build failure as the user reads it: the step, its Dockerfile line, its output.
pub fn describe_failure(service: &str, e: &BuildError) -> String {
    match e {
        BuildError::Failed {
            message,
            step,
            line,
            output,
        } => {
            let mut s = format!("service \"{service}\": build failed");
            match (line, step) {
                (Some(l), Some(st)) => s.push_str(&format!(" at {l} ({st})")),
                (None, Some(st)) => s.push_str(&format!(" at {st}")),
                _ => {}
            }
            s.push('\n');
            let shown: Vec<&String> = output
                .iter()
                .filter(|o| {
                    !o.starts_with(" ---> ") && !o.starts_with("Removing intermediate container")
                })
                .collect();
            let tail = shown.len().saturating_sub(40);
            for o in &shown[tail..] {
                s.push_str(&format!("  {o}\n"));
            }
            s.push_str(&format!("  error: {message}"));
            s
        }
        other => format!("service \"{service}\": {other}"),
    }
}

/// Builds the services `names` (each must have `build:`), up to `parallel` at once;
/// `on_line(service, line)` sees the output. Returns each service's image ID, or every failure.
pub async fn build_services(
    engine: &Engine,
    loaded: &berth_compose::load::LoadedProject,
    names: &[String],
    flags: &BuildFlags,
    parallel: usize,
    on_line: &(dyn Fn(&str, &str) + Send + Sync),
) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for n in names {
        match spec_for_service(loaded, n, flags) {
            Ok(s) => specs.push((n.clone(), s)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (registries, _) = crate::CliConfig::load().registries();
    let registries = &registries;
    let results: Vec<(String, Result<String, String>)> =
        futures_util::stream::iter(specs.into_iter().map(|(name, spec)| async move {
            let prep = {
                let spec = spec.clone();
                tokio::task::spawn_blocking(move || prepare_context(&spec)).await
            };
            let prep = match prep {
                Ok(Ok(p)) => p,
                Ok(Err(e)) => return (name.clone(), Err(describe_failure(&name, &e))),
                Err(e) => return (name.clone(), Err(format!("service \"{name}\": {e}"))),
            };
            let r = engine
                .build_image(&spec, prep, registries, |l| on_line(&name, l))
                .await;
            let id = match r {
                Ok(id) => id,
                Err(e) => return (name.clone(), Err(describe_failure(&name, &e))),
            };
            for t in spec.tags.iter().skip(1) {
                if let Err(e) = engine.tag_image(&id, t).await {
                    return (
                        name.clone(),
                        Err(format!(
                            "service \"{name}\": cannot tag the image as {t}: {e}"
                        )),
                    );
                }
            }
            (name, Ok(id))
        }))
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    let mut ok = Vec::new();
    for (n, r) in results {
        match r {
            Ok(id) => ok.push((n, id)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ok)
    } else {
        Err(errors)
    }
}
