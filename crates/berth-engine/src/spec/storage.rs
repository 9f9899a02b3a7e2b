//! Volumes, binds, tmpfs, `volumes_from`, and secrets and configs (a read-only bind of their
//! file, or a file written into the container).

use berth_compose::model::{
    FileObjectConfig, FileObjectSource, FileReferenceConfig, ServiceVolumeConfig,
};
use bollard::models::{
    Mount, MountBindOptions, MountBindOptionsPropagationEnum, MountTmpfsOptions, MountVolumeOptions,
};

use super::*;

fn propagation(p: &str) -> Option<MountBindOptionsPropagationEnum> {
    Some(match p {
        "private" => MountBindOptionsPropagationEnum::PRIVATE,
        "rprivate" => MountBindOptionsPropagationEnum::RPRIVATE,
        "shared" => MountBindOptionsPropagationEnum::SHARED,
        "rshared" => MountBindOptionsPropagationEnum::RSHARED,
        "slave" => MountBindOptionsPropagationEnum::SLAVE,
        "rslave" => MountBindOptionsPropagationEnum::RSLAVE,
        _ => return None,
    })
}

/// A bind in the engine's `Binds` syntax (`src:dst:rw,z,rprivate`), as Compose writes it for
/// binds whose host path may be created: only `Binds` creates a missing source (moby#43483).
fn bind_string(v: &ServiceVolumeConfig, source: &str, target: &str) -> String {
    let mut opts = vec![if v.read_only { "ro" } else { "rw" }.to_string()];
    if let Some(b) = &v.bind {
        if let Some(z) = b.selinux.as_deref().filter(|z| !z.is_empty()) {
            opts.push(z.to_string());
        }
        if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
            opts.push(p.to_string());
        }
    }
    if v.volume.as_ref().map(|vo| vo.nocopy).unwrap_or(false) {
        opts.push("nocopy".into());
    }
    format!("{source}:{target}:{}", opts.join(","))
}

/// `volumes:`: binds that may create their host path go to `Binds`, everything else to `Mounts`.
fn volumes(
    ctx: &SpecContext,
    s: &str,
    service: &Service,
    w: &mut Warnings,
) -> Result<(Vec<String>, Vec<Mount>), SpecError> {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for (i, v) in service.volumes.iter().enumerate() {
        let key = format!("volumes[{i}]");
        let target = v
            .target
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| err(s, &key, "a volume needs a target path in the container"))?;
        let mut m = Mount {
            target: Some(target.clone()),
            read_only: v.read_only.then_some(true),
            consistency: v.consistency.clone(),
            ..Default::default()
        };
        match v.kind.as_str() {
            "bind" => {
                let src = v
                    .source
                    .clone()
                    .filter(|x| !x.is_empty())
                    .ok_or_else(|| err(s, &key, "a bind mount needs a source path"))?;
                let b = v.bind.clone().unwrap_or_default();
                let recursive = b
                    .recursive
                    .as_deref()
                    .filter(|r| !r.is_empty() && *r != "enabled");
                if b.create_host_path && recursive.is_none() {
                    // The engine creates a missing source, as with `docker run -v`.
                    binds.push(bind_string(v, &src, &target));
                    continue;
                }
                if !Path::new(&src).exists() {
                    return Err(err(s, &key, format!(
                        "bind source path {src} does not exist (a long-syntax bind is not created: create it, or set bind.create_host_path: true)"
                    )));
                }
                m.typ = Some(MountType::BIND);
                m.source = Some(src);
                let mut opts = MountBindOptions::default();
                let mut any = false;
                if let Some(p) = b.propagation.as_deref().filter(|p| !p.is_empty()) {
                    opts.propagation = Some(propagation(p).ok_or_else(|| {
                        err(
                            s,
                            &format!("{key}.bind.propagation"),
                            format!("unknown propagation {p:?}"),
                        )
                    })?);
                    any = true;
                }
                match recursive {
                    None => {}
                    Some("disabled") => {
                        opts.non_recursive = Some(true);
                        any = true;
                    }
                    Some(r @ ("writable" | "readonly")) => {
                        if let Some(lack) = lacks(ctx.api_version, (1, 44)) {
                            w.push(
                                &format!("{key}.bind.recursive"),
                                format_args!("{r} {lack}: not applied"),
                            );
                        } else if r == "writable" {
                            opts.read_only_non_recursive = Some(true);
                            any = true;
                        } else {
                            opts.read_only_force_recursive = Some(true);
                            any = true;
                        }
                    }
                    Some(other) => {
                        return Err(err(
                            s,
                            &format!("{key}.bind.recursive"),
                            format!(
                                "unknown value {other:?} (enabled, disabled, writable, readonly)"
                            ),
                        ))
                    }
                }
                if any {
                    m.bind_options = Some(opts);
                }
                if b.selinux.as_deref().is_some_and(|z| !z.is_empty()) {
                    w.push(
                        &format!("{key}.bind.selinux"),
                        "SELinux relabelling needs bind.create_host_path (the engine's Binds syntax): not applied",
                    );
                }
            }
            "volume" => {
                m.typ = Some(MountType::VOLUME);
                if let Some(src) = v.source.as_deref().filter(|x| !x.is_empty()) {
                    m.source = Some(volume_name(ctx.project, ctx.project_name, src));
                }
                if let Some(vo) = &v.volume {
                    let mut opts = MountVolumeOptions {
                        no_copy: vo.nocopy.then_some(true),
                        ..Default::default()
                    };
                    if let Some(sub) = vo.subpath.as_deref().filter(|x| !x.is_empty()) {
                        if let Some(lack) = lacks(ctx.api_version, (1, 45)) {
                            return Err(err(s, &format!("{key}.volume.subpath"), lack));
                        }
                        opts.subpath = Some(sub.to_string());
                    }
                    m.volume_options = Some(opts);
                }
            }
            "tmpfs" => {
                m.typ = Some(MountType::TMPFS);
                if let Some(t) = &v.tmpfs {
                    m.tmpfs_options = Some(MountTmpfsOptions {
                        size_bytes: t.size.as_ref().map(|b| b.0),
                        mode: (t.mode != 0).then_some(t.mode as i64),
                        ..Default::default()
                    });
                }
            }
            "npipe" => {
                // Windows named pipes: the engine says whether it has them.
                m.typ = Some(MountType::NPIPE);
                m.source = v.source.clone();
            }
            "image" => {
                if let Some(lack) = lacks(ctx.api_version, (1, 48)) {
                    return Err(err(s, &key, format!("an image mount {lack}")));
                }
                m.typ = Some(MountType::IMAGE);
                m.source = v.source.clone();
            }
            "cluster" => {
                return Err(err(
                    s,
                    &key,
                    "cluster volumes are Swarm (CSI) volumes: not available to a local container",
                ))
            }
            other => return Err(err(s, &key, format!("unknown volume type {other:?}"))),
        }
        mounts.push(m);
    }
    Ok((binds, mounts))
}

/// A secret or config: a read-only bind of its file, or a file written into the container.
#[allow(clippy::too_many_arguments)]
fn file_mount(
    ctx: &SpecContext,
    s: &str,
    key: &str,
    reference: &FileReferenceConfig,
    object: Option<&FileObjectConfig>,
    default_dir: &str,
    mounts: &mut Vec<Mount>,
    injections: &mut Vec<Injection>,
) -> Result<(), SpecError> {
    let kind = if key == "secrets" { "secret" } else { "config" };
    let source = reference.source.clone().unwrap_or_default();
    let Some(obj) = object else {
        return Err(err(s, key, format!("refers to undefined {kind} {source}")));
    };
    let target = match reference.target.as_deref().filter(|t| !t.is_empty()) {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) => format!("{default_dir}/{t}"),
        None => format!("{default_dir}/{source}"),
    };
    let label = obj.name.clone().unwrap_or_else(|| source.clone());
    if obj.external {
        return Err(err(
            s,
            key,
            format!(
                "{kind} {label} is external (a Swarm {kind}): not available to a local container"
            ),
        ));
    }
    if obj.driver.as_deref().is_some_and(|d| !d.is_empty()) {
        return Err(err(
            s,
            key,
            format!("{kind} {label} has a driver: {kind}s with drivers are Swarm {kind}s"),
        ));
    }
    if obj
        .template_driver
        .as_deref()
        .is_some_and(|d| !d.is_empty())
    {
        return Err(err(
            s,
            key,
            format!("{kind} {label} has a template_driver: templated {kind}s are Swarm {kind}s"),
        ));
    }
    let id = |v: &Option<String>, what: &str| -> Result<u64, SpecError> {
        match v.as_deref().filter(|x| !x.is_empty()) {
            None => Ok(0),
            Some(x) => x.parse().map_err(|_| {
                err(
                    s,
                    key,
                    format!("{what} of {kind} {source} must be a number, not {x:?}"),
                )
            }),
        }
    };
    let uid = id(&reference.uid, "uid")?;
    let gid = id(&reference.gid, "gid")?;
    let keep_owner = reference.uid.is_some() || reference.gid.is_some();
    let mode = reference.mode.unwrap_or(0o444);
    let inject = |content: Vec<u8>, injections: &mut Vec<Injection>| {
        injections.push(Injection {
            path: target.clone(),
            content,
            mode,
            uid,
            gid,
            keep_owner,
        })
    };
    match obj.source() {
        Some(FileObjectSource::Environment(var)) => {
            let value = (ctx.environment)(var).ok_or_else(|| {
                err(
                    s,
                    key,
                    format!("environment variable {var} required by {kind} {label} is not set"),
                )
            })?;
            inject(value.into_bytes(), injections);
        }
        Some(FileObjectSource::Content(content)) => inject(content.as_bytes().to_vec(), injections),
        Some(FileObjectSource::File(file)) => {
            if keep_owner || reference.mode.is_some() {
                // A bind keeps the host file's owner and mode: write a copy to honour them
                // (Compose v2 binds and ignores uid/gid/mode with a warning).
                let content = std::fs::read(file).map_err(|e| {
                    err(
                        s,
                        key,
                        format!("cannot read {file} for {kind} {source}: {e}"),
                    )
                })?;
                inject(content, injections);
            } else {
                if !Path::new(file).exists() {
                    return Err(err(
                        s,
                        key,
                        format!("file {file} of {kind} {label} does not exist"),
                    ));
                }
                mounts.push(Mount {
                    target: Some(target),
                    source: Some(file.to_string()),
                    typ: Some(MountType::BIND),
                    read_only: Some(true),
                    ..Default::default()
                });
            }
        }
        None => {
            return Err(err(
                s,
                key,
                format!("{kind} {label} has no file, environment or content"),
            ))
        }
    }
    Ok(())
}

/// Volumes, tmpfs, `volumes_from`, secrets and configs; returns the files to write into the
/// container.
pub(super) fn storage(
    ctx: &SpecContext,
    d: &mut Draft<'_, '_>,
) -> Result<Vec<Injection>, SpecError> {
    let Draft {
        s,
        service,
        host,
        w,
        ..
    } = d;
    let project = ctx.project;
    // Volumes, tmpfs, secrets and configs.
    let (binds, mut mounts) = volumes(ctx, s, service, w)?;
    host.binds = non_empty(&binds);
    if !service.tmpfs.is_empty() {
        host.tmpfs = Some(
            service
                .tmpfs
                .iter()
                .map(|e| {
                    let (path, opts) = e.split_once(':').unwrap_or((e, ""));
                    (path.to_string(), opts.to_string())
                })
                .collect(),
        );
    }
    if !service.volumes_from.is_empty() {
        let mut vf = Vec::new();
        for v in &service.volumes_from {
            let (src, mode) = v
                .rsplit_once(':')
                .filter(|(_, m)| *m == "ro" || *m == "rw")
                .unwrap_or((v, ""));
            let target = match src.strip_prefix("container:") {
                Some(c) => c.to_string(),
                None => {
                    let svc = src.strip_prefix("service:").unwrap_or(src);
                    (ctx.resolve_container)(svc).ok_or_else(|| {
                        err(
                            s,
                            "volumes_from",
                            format!("service {svc} has no container to share volumes from"),
                        )
                    })?
                }
            };
            vf.push(if mode.is_empty() {
                target
            } else {
                format!("{target}:{mode}")
            });
        }
        host.volumes_from = Some(vf);
    }
    host.volume_driver = service.volume_driver.clone();
    let mut injections = Vec::new();
    for r in &service.secrets {
        let obj = r.source.as_ref().and_then(|n| project.secrets.get(n));
        file_mount(
            ctx,
            s,
            "secrets",
            r,
            obj,
            "/run/secrets",
            &mut mounts,
            &mut injections,
        )?;
    }
    for r in &service.configs {
        let obj = r.source.as_ref().and_then(|n| project.configs.get(n));
        file_mount(ctx, s, "configs", r, obj, "", &mut mounts, &mut injections)?;
    }
    if !mounts.is_empty() {
        host.mounts = Some(mounts);
    }
    Ok(injections)
}
