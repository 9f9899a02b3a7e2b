//! Images on the engine: pull, push, tag, export (`docker save`) and import (`docker load`),
//! image references, and registry credentials from `~/.docker/config.json`.

use std::collections::HashMap;

use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptions, ImportImageOptions, PushImageOptions, TagImageOptions,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::Digest;

use berth_compose::image::ImageRef;

use super::{Engine, EngineError};

type Result<T> = std::result::Result<T, EngineError>;

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
}

// ---------------------------------------------------------------------------------------------
// Credentials

/// The Docker CLI's `config.json` (`$DOCKER_CONFIG`, else `~/.docker`): its path and contents;
/// None when there is none.
pub fn docker_config() -> Option<(std::path::PathBuf, serde_json::Result<serde_json::Value>)> {
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".docker")))?;
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).ok()?;
    Some((path, serde_json::from_str(&text)))
}

/// `detachKeys` from the Docker CLI's `config.json` (what `docker attach` uses by default).
pub fn configured_detach_keys() -> Option<String> {
    let (_, v) = docker_config()?;
    v.ok()?.get("detachKeys")?.as_str().map(str::to_string)
}

/// Credentials per registry from `$DOCKER_CONFIG/config.json` (else `~/.docker/config.json`),
/// `auths` only. Warnings name what could not be used (credential helpers).
pub fn load_credentials() -> (HashMap<String, DockerCredentials>, Vec<String>) {
    let mut warnings = Vec::new();
    let (path, v) = match docker_config() {
        None => return (HashMap::new(), warnings),
        Some((path, Err(e))) => {
            warnings.push(format!(
                "{}: not valid JSON ({e}); registry credentials ignored",
                path.display()
            ));
            return (HashMap::new(), warnings);
        }
        Some((path, Ok(v))) => (path, v),
    };
    if v.get("credsStore").is_some() || v.get("credHelpers").is_some() {
        warnings.push(format!(
            "{}: credential helpers (credsStore/credHelpers) are not supported; only `auths` entries are used",
            path.display()
        ));
    }
    let mut out = HashMap::new();
    if let Some(auths) = v.get("auths").and_then(|a| a.as_object()) {
        for (server, entry) in auths {
            let mut c = DockerCredentials {
                serveraddress: Some(server.clone()),
                ..Default::default()
            };
            if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
                use base64::Engine as _;
                match base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|s| {
                        s.split_once(':')
                            .map(|(u, p)| (u.to_string(), p.to_string()))
                    }) {
                    Some((u, p)) => {
                        c.username = Some(u);
                        c.password = Some(p);
                    }
                    None => warnings.push(format!(
                        "{}: the `auth` of {server} is not base64 of user:password; ignored",
                        path.display()
                    )),
                }
            }
            if let Some(u) = entry.get("username").and_then(|a| a.as_str()) {
                c.username = Some(u.to_string());
            }
            if let Some(p) = entry.get("password").and_then(|a| a.as_str()) {
                c.password = Some(p.to_string());
            }
            if let Some(t) = entry.get("identitytoken").and_then(|a| a.as_str()) {
                c.identitytoken = Some(t.to_string());
            }
            out.insert(registry_key(server), c);
        }
    }
    (out, warnings)
}

/// The host an `auths` key names (`https://index.docker.io/v1/` → `docker.io`).
fn registry_key(server: &str) -> String {
    let s = server
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = s.split('/').next().unwrap_or(s);
    match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => "docker.io".into(),
        h => h.to_string(),
    }
}

/// The credentials for the registry of `image`, if any.
pub fn credentials_for(
    all: &HashMap<String, DockerCredentials>,
    image: &str,
) -> Option<DockerCredentials> {
    all.get(ImageRef::split(image).registry_host()).cloned()
}

// ---------------------------------------------------------------------------------------------
// Engine calls

/// Progress of a pull or push: a layer's status and bytes.
#[derive(Debug, Clone, Default)]
pub struct TransferEvent {
    pub layer: Option<String>,
    pub status: String,
    pub current: Option<i64>,
    pub total: Option<i64>,
}

fn stream_error(e: bollard::errors::Error) -> EngineError {
    match e {
        bollard::errors::Error::DockerStreamError { error } => EngineError::Other(error),
        other => EngineError::classify(other),
    }
}

impl Engine {
    /// Pulls `image`; `on_event` sees the layer progress.
    pub async fn pull_image(
        &self,
        image: &str,
        credentials: Option<DockerCredentials>,
        mut on_event: impl FnMut(TransferEvent),
    ) -> Result<()> {
        let (repo, tag) = ImageRef::repo_and_tag(image);
        let opts = CreateImageOptions {
            from_image: Some(repo),
            tag: Some(tag),
            ..Default::default()
        };
        let mut s = self.docker.create_image(Some(opts), None, credentials);
        while let Some(item) = s.next().await {
            let info = item.map_err(stream_error)?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Other(err));
            }
            on_event(TransferEvent {
                layer: info.id,
                status: info.status.unwrap_or_default(),
                current: info.progress_detail.as_ref().and_then(|p| p.current),
                total: info.progress_detail.as_ref().and_then(|p| p.total),
            });
        }
        Ok(())
    }

    /// Pushes `image` (its registry is in its name).
    pub async fn push_image(
        &self,
        image: &str,
        credentials: Option<DockerCredentials>,
        mut on_event: impl FnMut(TransferEvent),
    ) -> Result<()> {
        let (repo, tag) = ImageRef::repo_and_tag(image);
        let opts = PushImageOptions {
            tag: Some(tag),
            ..Default::default()
        };
        // The engine wants an auth header even for registries without auth.
        let creds = credentials.or_else(|| Some(DockerCredentials::default()));
        let mut s = self.docker.push_image(&repo, Some(opts), creds);
        while let Some(item) = s.next().await {
            let info = item.map_err(stream_error)?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Other(err));
            }
            on_event(TransferEvent {
                layer: None,
                status: info.status.unwrap_or_default(),
                current: info.progress_detail.as_ref().and_then(|p| p.current),
                total: info.progress_detail.as_ref().and_then(|p| p.total),
            });
        }
        Ok(())
    }

    /// Tags `source` as `target` (`repo[:tag]`).
    pub async fn tag_image(&self, source: &str, target: &str) -> Result<()> {
        let (repo, tag) = ImageRef::repo_and_tag(target);
        let opts = TagImageOptions {
            repo: Some(repo),
            tag: Some(tag),
        };
        self.docker
            .tag_image(source, Some(opts))
            .await
            .map_err(EngineError::classify)
    }

    /// The image's inspect data, or None when the engine does not have it.
    pub async fn inspect_image(
        &self,
        image: &str,
    ) -> Result<Option<bollard::models::ImageInspect>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(Some(i)),
            Err(e) => match EngineError::classify(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The engine's export of `images` (one `docker save` tar), as a byte stream.
    pub fn export_images(&self, images: &[String]) -> impl Stream<Item = Result<Bytes>> + use<'_> {
        let names: Vec<&str> = images.iter().map(String::as_str).collect();
        self.docker
            .export_images(&names)
            .map(|r| r.map_err(stream_error))
    }

    /// Loads a `docker save` tar streamed from `body`; returns the engine's messages.
    pub async fn import_images<S>(&self, body: S) -> Result<Vec<String>>
    where
        S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
    {
        let opts = ImportImageOptions {
            quiet: true,
            platform: None,
        };
        let mut s = self.docker.import_image_stream(opts, body, None);
        let mut messages = Vec::new();
        while let Some(item) = s.next().await {
            let info = item.map_err(stream_error)?;
            if let Some(err) = info.error_detail.and_then(|d| d.message) {
                return Err(EngineError::Other(err));
            }
            if let Some(m) = info.stream {
                let m = m.trim().to_string();
                if !m.is_empty() {
                    messages.push(m);
                }
            }
        }
        Ok(messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_keys() {
        assert_eq!(registry_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(registry_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }
}
