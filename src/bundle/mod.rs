//! The air-gap bundle: one tar file that carries a whole stack across an air gap.
//!
//! Layout (a plain POSIX/GNU tar, readable with `tar tf`):
//!
//! | entry | what |
//! |---|---|
//! | `images.tar` | the engine's export of every image (`docker save` format; shared layers once) |
//! | `compose.yaml` | the compose model as `berth config` prints it, each service's `image:` set to the bundled reference and `build:` removed |
//! | `compose.json` | the same model as JSON (what `bundle push` rewrites) |
//! | `manifest.json` | format, berth's version, the project, every image (reference, ID, size, services, what init containers use it for) and each entry's size and SHA-256 |
//!
//! The images are those the stack's Kubernetes objects pull ([`images`]): the services' own
//! and the init containers' that `berth convert` adds.
//!
//! `images.tar` comes first and is streamed straight from the engine; its tar header is written
//! once its size is known. `manifest.json` comes last, so a truncated bundle has none. `load`
//! reads the whole archive and checks every size and checksum before the engine sees a byte:
//! a damaged or truncated bundle loads nothing.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use berth_compose::image;
use berth_engine::Engine;

pub mod images;

pub const FORMAT: &str = "berth-bundle/1";
pub const IMAGES: &str = "images.tar";
pub const COMPOSE_YAML: &str = "compose.yaml";
pub const COMPOSE_JSON: &str = "compose.json";
pub const MANIFEST: &str = "manifest.json";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BundleError(pub String);

type Result<T> = std::result::Result<T, BundleError>;

fn err(s: impl Into<String>) -> BundleError {
    BundleError(s.into())
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImageEntry {
    /// The reference the services use (`image:` or `<project>-<service>`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// The image ID (`sha256:…`), checked after loading.
    pub id: String,
    /// The image's size on the engine, in bytes.
    pub size: i64,
    /// The services whose pods run it.
    pub services: Vec<String>,
    /// Set when no service runs it as its own image: what the pods run it for (the
    /// dependency-wait init containers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub berth_version: String,
    /// Seconds since the epoch.
    pub created: u64,
    pub project: String,
    pub images: Vec<ImageEntry>,
    pub files: BTreeMap<String, FileEntry>,
}

/// Hashes and counts what passes through.
struct Hashing {
    hasher: sha2::Sha256,
    bytes: u64,
}

impl Hashing {
    fn new() -> Hashing {
        Hashing {
            hasher: sha2::Sha256::new(),
            bytes: 0,
        }
    }
    fn update(&mut self, b: &[u8]) {
        self.hasher.update(b);
        self.bytes += b.len() as u64;
    }
    fn finish(self) -> FileEntry {
        FileEntry {
            size: self.bytes,
            sha256: hex::encode(self.hasher.finalize()),
        }
    }
}

fn header(name: &str, size: u64) -> Result<tar::Header> {
    let mut h = tar::Header::new_gnu();
    h.set_path(name)
        .map_err(|e| err(format!("cannot name {name} in the bundle: {e}")))?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    );
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// Writes the bundle to `output` (through `output.partial`, renamed when complete).
/// `on_bytes` sees the running count of image bytes exported.
/// Fails, naming each with what to do, when some of `wanted` are not on the engine.
pub async fn check_present(engine: &Engine, wanted: &[&images::Wanted]) -> Result<()> {
    let mut missing = Vec::new();
    for w in wanted {
        let r = &w.reference;
        let id = engine
            .image_id(r)
            .await
            .map_err(|e| err(format!("cannot inspect image {r}: {e}")))?;
        if id.is_none() {
            missing.push(w.missing.as_str());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(err(format!("{}\nnothing was written", missing.join("\n"))))
    }
}

/// Every image must be on the engine ([`check_present`]): else nothing is written.
pub async fn save(
    engine: &Engine,
    project: &str,
    wanted: &[images::Wanted],
    compose_yaml: &str,
    compose_json: &serde_json::Value,
    output: &Path,
    mut on_bytes: impl FnMut(u64),
) -> Result<Manifest> {
    check_present(engine, &wanted.iter().collect::<Vec<_>>()).await?;
    let mut images = Vec::new();
    for w in wanted {
        let r = &w.reference;
        let info = engine
            .inspect_image(r)
            .await
            .map_err(|e| err(format!("cannot inspect image {r}: {e}")))?
            .ok_or_else(|| err(w.missing.clone()))?;
        images.push(ImageEntry {
            reference: r.clone(),
            id: info.id,
            size: info.size,
            services: w.services.clone(),
            init: w.init.clone(),
        });
    }
    let partial = PathBuf::from(format!("{}.partial", output.display()));
    let werr = |e: std::io::Error| err(format!("cannot write {}: {e}", partial.display()));
    let file = std::fs::File::create(&partial).map_err(werr)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all(&[0u8; 512]).map_err(werr)?;
    let names: Vec<String> = wanted.iter().map(|w| w.reference.clone()).collect();
    let mut stream = engine.export_images(&names);
    let mut h = Hashing::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| err(format!("the engine's image export failed: {e}")))?;
        h.update(&chunk);
        out.write_all(&chunk).map_err(werr)?;
        on_bytes(h.bytes);
    }
    let images_entry = h.finish();
    let pad = (512 - images_entry.size % 512) % 512;
    out.write_all(&vec![0u8; pad as usize]).map_err(werr)?;
    let mut file = out.into_inner().map_err(|e| werr(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(werr)?;
    file.write_all(header(IMAGES, images_entry.size)?.as_bytes())
        .map_err(werr)?;
    file.seek(SeekFrom::End(0)).map_err(werr)?;
    let mut out = std::io::BufWriter::new(file);

    let json_text = serde_json::to_string_pretty(compose_json)
        .map_err(|e| err(format!("cannot render the compose model: {e}")))?;
    let mut files = BTreeMap::new();
    files.insert(IMAGES.to_string(), images_entry);
    for (name, data) in [
        (COMPOSE_YAML, compose_yaml.as_bytes()),
        (COMPOSE_JSON, json_text.as_bytes()),
    ] {
        let mut hh = Hashing::new();
        hh.update(data);
        files.insert(name.to_string(), hh.finish());
        append(&mut out, name, data).map_err(werr)?;
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        berth_version: env!("CARGO_PKG_VERSION").into(),
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        project: project.to_string(),
        images,
        files,
    };
    let m = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| err(format!("cannot render the manifest: {e}")))?;
    append(&mut out, MANIFEST, &m).map_err(werr)?;
    out.write_all(&[0u8; 1024]).map_err(werr)?;
    let file = out.into_inner().map_err(|e| werr(e.into_error()))?;
    file.sync_all().map_err(werr)?;
    drop(file);
    std::fs::rename(&partial, output).map_err(|e| {
        err(format!(
            "cannot move {} to {}: {e}",
            partial.display(),
            output.display()
        ))
    })?;
    Ok(manifest)
}

fn append(out: &mut impl Write, name: &str, data: &[u8]) -> std::io::Result<()> {
    let h = header(name, data.len() as u64).map_err(|e| std::io::Error::other(e.0))?;
    out.write_all(h.as_bytes())?;
    out.write_all(data)?;
    let pad = (512 - data.len() % 512) % 512;
    out.write_all(&vec![0u8; pad])
}

/// A bundle whose every entry matched its manifest.
#[derive(Debug, Clone)]
pub struct Verified {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub images_offset: u64,
    pub images_size: u64,
    pub compose_yaml: String,
    pub compose_json: serde_json::Value,
}

/// Reads the whole bundle and checks it against its manifest (blocking). `on_bytes` sees the
/// bytes read so far.
pub fn verify(path: &Path, mut on_bytes: impl FnMut(u64)) -> Result<Verified> {
    let p = path.display().to_string();
    let damaged = |what: String| {
        err(format!(
            "{p} is damaged or truncated: {what}; nothing was loaded (copy the bundle again, and compare `sha256sum` on both sides)"
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| err(format!("cannot open {p}: {e}")))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    if total < 1024 {
        return Err(damaged(format!("only {total} bytes")));
    }
    let mut ar = tar::Archive::new(std::io::BufReader::with_capacity(1 << 20, file));
    let mut seen: BTreeMap<String, FileEntry> = BTreeMap::new();
    let mut images_offset = None;
    let mut small: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut read_total = 0u64;
    let entries = ar
        .entries()
        .map_err(|e| damaged(format!("not a tar archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("bad tar header ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| damaged(format!("bad entry name ({e})")))?
            .to_string_lossy()
            .to_string();
        let declared = entry.header().size().unwrap_or(0);
        if name == IMAGES {
            images_offset = Some(entry.raw_file_position());
        }
        let mut h = Hashing::new();
        let mut buf = vec![0u8; 1 << 20];
        let keep = name != IMAGES;
        let mut kept = Vec::new();
        loop {
            let n = entry
                .read(&mut buf)
                .map_err(|e| damaged(format!("cannot read {name} ({e})")))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            if keep && kept.len() < (64 << 20) {
                kept.extend_from_slice(&buf[..n]);
            }
            read_total += n as u64;
            on_bytes(read_total);
        }
        let fe = h.finish();
        if fe.size != declared {
            return Err(damaged(format!(
                "{name} ends after {} of its {declared} bytes",
                fe.size
            )));
        }
        if keep {
            small.insert(name.clone(), kept);
        }
        seen.insert(name, fe);
    }
    let manifest_bytes = small.get(MANIFEST).ok_or_else(|| {
        damaged("it has no manifest.json (a bundle ends with it: the file was cut short, or it is not a berth bundle)".into())
    })?;
    let manifest: Manifest = serde_json::from_slice(manifest_bytes)
        .map_err(|e| damaged(format!("manifest.json is not valid ({e})")))?;
    if manifest.format != FORMAT {
        return Err(err(format!(
            "{p}: bundle format {:?} is not one this berth ({}) reads ({FORMAT}); use a berth as new as {}",
            manifest.format,
            env!("CARGO_PKG_VERSION"),
            manifest.berth_version
        )));
    }
    for (name, want) in &manifest.files {
        let got = seen
            .get(name)
            .ok_or_else(|| damaged(format!("{name} is missing")))?;
        if got.size != want.size {
            return Err(damaged(format!(
                "{name} has {} bytes, the manifest says {}",
                got.size, want.size
            )));
        }
        if got.sha256 != want.sha256 {
            return Err(damaged(format!(
                "{name} has SHA-256 {}, the manifest says {}",
                got.sha256, want.sha256
            )));
        }
    }
    let images_offset = images_offset.ok_or_else(|| damaged(format!("{IMAGES} is missing")))?;
    let images_size = manifest.files.get(IMAGES).map(|f| f.size).unwrap_or(0);
    let compose_yaml = small
        .get(COMPOSE_YAML)
        .map(|b| String::from_utf8_lossy(b).to_string())
        .unwrap_or_default();
    let compose_json = small
        .get(COMPOSE_JSON)
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(Verified {
        path: path.to_path_buf(),
        manifest,
        images_offset,
        images_size,
        compose_yaml,
        compose_json,
    })
}

/// Streams the verified bundle's images into the engine, then checks every reference has the
/// manifest's image ID. `on_bytes` sees the bytes sent so far.
pub async fn load(
    engine: &Engine,
    v: &Verified,
    on_bytes: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Vec<String>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let p = v.path.display().to_string();
    let mut f = tokio::fs::File::open(&v.path)
        .await
        .map_err(|e| err(format!("cannot open {p}: {e}")))?;
    f.seek(SeekFrom::Start(v.images_offset))
        .await
        .map_err(|e| err(format!("cannot read {p}: {e}")))?;
    let remaining = v.images_size;
    let on_bytes = std::sync::Arc::new(on_bytes);
    let body = futures_util::stream::unfold(
        (f, remaining, 0u64, on_bytes),
        |(mut f, left, sent, cb)| async move {
            if left == 0 {
                return None;
            }
            let n = left.min(1 << 20) as usize;
            let mut buf = vec![0u8; n];
            match f.read_exact(&mut buf).await {
                Ok(_) => {
                    let sent = sent + n as u64;
                    cb(sent);
                    Some((Ok(bytes::Bytes::from(buf)), (f, left - n as u64, sent, cb)))
                }
                Err(e) => Some((Err(e), (f, 0, sent, cb))),
            }
        },
    );
    let messages = engine
        .import_images(body)
        .await
        .map_err(|e| err(format!("the engine could not load the images of {p}: {e}")))?;
    for img in &v.manifest.images {
        let id = engine
            .image_id(&img.reference)
            .await
            .map_err(|e| err(format!("cannot inspect {}: {e}", img.reference)))?;
        match id {
            Some(id) if id == img.id => {}
            Some(id) => {
                return Err(err(format!(
                    "after loading {p}, image {} has ID {id}, but the manifest says {}",
                    img.reference, img.id
                )))
            }
            None => {
                return Err(err(format!(
                    "after loading {p}, image {} is not on the engine (the manifest lists it)",
                    img.reference
                )))
            }
        }
    }
    Ok(messages)
}

/// Whether every image of the bundle is already on the engine with the manifest's ID.
pub async fn all_present(engine: &Engine, m: &Manifest) -> Result<bool> {
    for img in &m.images {
        let id = engine
            .image_id(&img.reference)
            .await
            .map_err(|e| err(format!("cannot inspect {}: {e}", img.reference)))?;
        if id.as_deref() != Some(img.id.as_str()) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Validates `HOST:PORT[/PREFIX]` (the rule `convert --registry` uses too).
pub fn check_registry(r: &str) -> Result<String> {
    image::check_registry(r).map_err(err)
}

/// The compose model with every service's `image:` moved to `registry`.
pub fn rewrite_compose(
    compose_json: &serde_json::Value,
    mapping: &BTreeMap<String, String>,
) -> serde_json::Value {
    let mut v = compose_json.clone();
    if let Some(services) = v.get_mut("services").and_then(|s| s.as_object_mut()) {
        for svc in services.values_mut() {
            if let Some(img) = svc.get("image").and_then(|i| i.as_str()) {
                if let Some(new) = mapping.get(img) {
                    svc["image"] = serde_json::Value::String(new.clone());
                }
            }
        }
    }
    v
}

/// Reference → its name in `registry`.
pub fn relocation(m: &Manifest, registry: &str) -> BTreeMap<String, String> {
    m.images
        .iter()
        .map(|i| (i.reference.clone(), image::relocate(&i.reference, registry)))
        .collect()
}
