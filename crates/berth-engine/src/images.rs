//! Images on the engine: pull, push, tag, inspect, export (`docker save`) and import
//! (`docker load`), with the registry credentials of the Docker CLI's `config.json`.

use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptions, ImportImageOptions, PushImageOptions, TagImageOptions,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::Digest;

use berth_compose::image::ImageRef;

use crate::cli_config::Registries;
use crate::{Engine, EngineError};

type Result<T> = std::result::Result<T, EngineError>;

/// An image as inspected: what berth reads of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageDetails {
    /// `sha256:…`.
    pub id: String,
    /// Its names (`repo:tag`), without Docker's `<none>:<none>`.
    pub repo_tags: Vec<String>,
    /// Bytes.
    pub size: i64,
    /// The user its processes run as (`USER`), empty for root by default.
    pub user: String,
    /// `EXPOSE`d ports (`80/tcp`), sorted.
    pub exposed_ports: Vec<String>,
    /// Declared volumes (`VOLUME`), sorted.
    pub volumes: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

impl ImageDetails {
    fn from_api(i: bollard::models::ImageInspect) -> ImageDetails {
        let config = i.config.unwrap_or_default();
        let mut exposed_ports: Vec<String> = config.exposed_ports.unwrap_or_default();
        exposed_ports.sort();
        let mut volumes: Vec<String> = config.volumes.unwrap_or_default();
        volumes.sort();
        ImageDetails {
            id: i.id.unwrap_or_default(),
            repo_tags: i
                .repo_tags
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t != "<none>:<none>")
                .collect(),
            size: i.size.unwrap_or(0),
            user: config.user.unwrap_or_default(),
            exposed_ports,
            volumes,
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
        }
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(data))
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

/// Drains a pull's or push's progress stream into `on_event`; the first error the engine
/// reports in it (or the stream's own) ends it.
async fn drain<I>(
    mut s: impl futures_util::Stream<Item = std::result::Result<I, bollard::errors::Error>> + Unpin,
    parts: impl Fn(I) -> (Option<String>, TransferEvent),
    mut on_event: impl FnMut(TransferEvent),
) -> Result<()> {
    while let Some(item) = s.next().await {
        let (error, event) = parts(item.map_err(stream_error)?);
        if let Some(err) = error {
            return Err(EngineError::Other(err));
        }
        on_event(event);
    }
    Ok(())
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
        registries: &Registries,
        on_event: impl FnMut(TransferEvent),
    ) -> Result<()> {
        let credentials = registries.for_image(image);
        let (repo, tag) = ImageRef::repo_and_tag(image);
        let opts = CreateImageOptions {
            from_image: Some(repo),
            tag: Some(tag),
            ..Default::default()
        };
        let s = self.docker.create_image(Some(opts), None, credentials);
        let parts = |info: bollard::models::CreateImageInfo| {
            let event = TransferEvent {
                layer: info.id,
                status: info.status.unwrap_or_default(),
                current: info.progress_detail.as_ref().and_then(|p| p.current),
                total: info.progress_detail.as_ref().and_then(|p| p.total),
            };
            (info.error_detail.and_then(|d| d.message), event)
        };
        drain(s, parts, on_event).await
    }

    /// Pushes `image` (its registry is in its name).
    pub async fn push_image(
        &self,
        image: &str,
        registries: &Registries,
        on_event: impl FnMut(TransferEvent),
    ) -> Result<()> {
        let credentials = registries.for_image(image);
        let (repo, tag) = ImageRef::repo_and_tag(image);
        let opts = PushImageOptions {
            tag: Some(tag),
            ..Default::default()
        };
        // The engine wants an auth header even for registries without auth.
        let creds = credentials.or_else(|| Some(DockerCredentials::default()));
        let s = self.docker.push_image(&repo, Some(opts), creds);
        let parts = |info: bollard::models::PushImageInfo| {
            let event = TransferEvent {
                layer: None,
                status: info.status.unwrap_or_default(),
                current: info.progress_detail.as_ref().and_then(|p| p.current),
                total: info.progress_detail.as_ref().and_then(|p| p.total),
            };
            (info.error_detail.and_then(|d| d.message), event)
        };
        drain(s, parts, on_event).await
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

    /// The image as inspected, or None when the engine does not have it.
    pub async fn inspect_image(&self, image: &str) -> Result<Option<ImageDetails>> {
        match self.docker.inspect_image(image).await {
            Ok(i) => Ok(Some(ImageDetails::from_api(i))),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    /// The image's ID, or None when the engine does not have it.
    pub async fn image_id(&self, image: &str) -> Result<Option<String>> {
        Ok(self.inspect_image(image).await?.map(|i| i.id))
    }

    /// The names (`repo:tag`) of an image; None when it does not exist.
    pub async fn image_tags(&self, image: &str) -> Result<Option<Vec<String>>> {
        Ok(self.inspect_image(image).await?.map(|i| i.repo_tags))
    }

    pub async fn remove_image(&self, image: &str) -> Result<()> {
        match self
            .docker
            .remove_image(
                image,
                None::<bollard::query_parameters::RemoveImageOptions>,
                None,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match self.err(e) {
                EngineError::NotFound(_) => Ok(()),
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
