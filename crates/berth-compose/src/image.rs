//! Image references (a service's `image:`): split into registry / repository / tag / digest,
//! moved to a private registry (`--registry`: `convert` and `bundle push` share the rule), and
//! judged pinned or not. The one parser of references in berth: the engine's pulls and pushes
//! and the Kubernetes output both read references through it.
//!
//! The grammar is the Docker reference grammar: the first path component is a registry when it
//! contains a `.` or a `:`, or is `localhost`; otherwise the image is on Docker Hub.

use std::fmt;

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), empty for Docker Hub written without one.
    pub registry: String,
    /// Repository path (`nginx`, `bitnami/redis`, `library/nginx`).
    pub repository: String,
    /// Tag, if written.
    pub tag: Option<String>,
    /// Digest (`sha256:…`), if written.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `s`; `None` when it is not a reference (empty, spaces, an empty tag or digest,
    /// an upper-case repository).
    pub fn parse(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.is_empty() || s.contains(char::is_whitespace) || s.ends_with('@') {
            return None;
        }
        let r = ImageRef::split(s);
        if r.repository.is_empty()
            || r.tag.as_deref() == Some("")
            || r.repository.chars().any(|c| c.is_ascii_uppercase())
        {
            return None;
        }
        Some(r)
    }

    /// Splits `s` by the grammar without judging it (what an engine call needs to pass a
    /// reference on as written; the engine itself rejects a bad one).
    pub fn split(s: &str) -> ImageRef {
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d.to_string())),
            None => (s, None),
        };
        // A tag follows the last ':' after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(rest[at + 1..].to_string()))
            }
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ => (String::new(), name.to_string()),
        };
        ImageRef {
            registry,
            repository,
            tag,
            digest,
        }
    }

    /// The registry host the image is pulled from: `docker.io` for Docker Hub (written or not),
    /// as the credential store (`auths` of `config.json`) keys it.
    pub fn registry_host(&self) -> &str {
        if self.is_docker_hub() {
            "docker.io"
        } else {
            &self.registry
        }
    }

    /// `repo` and `tag` as the engine's pull, push and tag endpoints want them: the registry
    /// kept when written, the digest (else the tag, else `latest`) as the tag.
    pub fn repo_and_tag(s: &str) -> (String, String) {
        let r = ImageRef::split(s);
        let repo = if r.registry.is_empty() {
            r.repository.clone()
        } else {
            format!("{}/{}", r.registry, r.repository)
        };
        let tag = r.digest.or(r.tag).unwrap_or_else(|| "latest".into());
        (repo, tag)
    }

    /// Whether the image is on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        matches!(
            self.registry.as_str(),
            "" | "docker.io" | "index.docker.io" | "registry-1.docker.io"
        )
    }

    /// The repository as `docker images` shows it: Docker Hub's `library/` dropped.
    pub fn familiar_repository(&self) -> &str {
        if self.is_docker_hub() {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
        } else {
            &self.repository
        }
    }

    /// The reference moved to `registry` (`HOST[:PORT][/PREFIX]`): the original registry is
    /// replaced, the repository is kept as `docker images` shows it, the tag is kept (`latest`
    /// when there is none) and a digest is dropped: the customer's registry addresses the
    /// image by tag (a push may give it another digest). `berth bundle push` uses the same
    /// rule ([`relocate`]), so manifests and the pushed images agree.
    pub fn with_registry(&self, registry: &str) -> ImageRef {
        let registry = registry.trim_end_matches('/');
        let (host, prefix) = match registry.split_once('/') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (registry.to_string(), None),
        };
        let repo = self.familiar_repository();
        ImageRef {
            registry: host,
            repository: match prefix {
                Some(p) => format!("{p}/{repo}"),
                None => repo.to_string(),
            },
            tag: Some(self.tag.clone().unwrap_or_else(|| "latest".into())),
            digest: None,
        }
    }

    /// Pinned: a digest, or a tag other than `latest`.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some() || self.tag.as_deref().is_some_and(|t| t != "latest")
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.registry.is_empty() {
            write!(f, "{}/", self.registry)?;
        }
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Checks a `--registry` value, `HOST[:PORT][/PREFIX]` (an `http(s)://` in front is dropped),
/// and returns it as berth uses it. The host must read as a registry (a `.`, a port or
/// `localhost`): a bare name would be taken for a Docker Hub path.
pub fn check_registry(r: &str) -> Result<String, String> {
    let r = r
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let bad = |why: String| {
        Err(format!(
            "invalid registry {r:?}: {why}; expected HOST[:PORT][/PREFIX], e.g. registry.local:5000/team"
        ))
    };
    let (host, prefix) = match r.split_once('/') {
        Some((h, p)) => (h, Some(p)),
        None => (r, None),
    };
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let host_ok = !name.is_empty()
        && name
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    if !host_ok {
        return bad(format!("{host:?} is not a host name"));
    }
    if port.is_none() && !name.contains('.') && name != "localhost" {
        return bad(format!(
            "{host:?} has no '.', port or `localhost`: it would be read as a Docker Hub path"
        ));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |n| n == 0) {
            return bad(format!("port {p:?} is not a port number"));
        }
    }
    if let Some(p) = prefix {
        let ok = p.split('/').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
        });
        if !ok {
            return bad(format!(
                "the path {p:?} must be lower-case repository components"
            ));
        }
    }
    Ok(r.to_string())
}

/// The image of a service written without `image:`: `<project>-<service>`, the name `build`
/// tags it with. Without a tag it is `:latest`.
pub fn built_image(project: &str, service: &str) -> String {
    format!("{project}-{service}")
}

/// `reference` moved to `registry` by the rule of [`ImageRef::with_registry`]; a reference
/// that does not parse is prefixed as written.
pub fn relocate(reference: &str, registry: &str) -> String {
    match ImageRef::parse(reference) {
        Some(r) => r.with_registry(registry).to_string(),
        None => format!("{}/{reference}", registry.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rewrites() {
        let i = ImageRef::parse("nginx").unwrap();
        assert_eq!(i.repository, "nginx");
        assert!(!i.is_pinned());
        let i = ImageRef::parse("localhost:5000/app:1.2@sha256:abc").unwrap();
        assert_eq!(i.registry, "localhost:5000");
        assert_eq!(i.tag.as_deref(), Some("1.2"));
        assert!(i.is_pinned());
        let i = ImageRef::parse("docker.io/library/postgres:16").unwrap();
        assert_eq!(
            i.with_registry("reg.local:5000").to_string(),
            "reg.local:5000/postgres:16"
        );
        let i = ImageRef::parse("gcr.io/google-samples/gb-frontend:v4").unwrap();
        assert_eq!(
            i.with_registry("reg.local/mirror").to_string(),
            "reg.local/mirror/google-samples/gb-frontend:v4"
        );
        assert!(ImageRef::parse("foo:latest").is_some_and(|i| !i.is_pinned()));
        assert!(ImageRef::parse("Foo").is_none());
        assert_eq!(relocate("proj-web", "reg:5000"), "reg:5000/proj-web:latest");
    }

    #[test]
    fn engine_calls_get_repo_and_tag_and_hub_credentials_key() {
        let r = ImageRef::split("127.0.0.1:5000/a/b:1");
        assert_eq!(
            (r.registry_host(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "a/b", Some("1"))
        );
        assert_eq!(ImageRef::split("busybox").registry_host(), "docker.io");
        assert_eq!(
            ImageRef::split("index.docker.io/x").registry_host(),
            "docker.io"
        );
        assert_eq!(
            ImageRef::repo_and_tag("localhost:5000/x"),
            ("localhost:5000/x".to_string(), "latest".to_string())
        );
        assert_eq!(
            ImageRef::repo_and_tag("busybox@sha256:ab"),
            ("busybox".to_string(), "sha256:ab".to_string())
        );
    }

    #[test]
    fn registries() {
        assert!(check_registry("local-registry:5000").is_ok());
        assert!(check_registry("reg.example.com/team/sub").is_ok());
        assert!(check_registry("reg:99999").is_err());
        assert!(check_registry("").is_err());
        assert!(check_registry("reg/Team").is_err());
        assert_eq!(
            check_registry("https://reg.local:5000/team/").as_deref(),
            Ok("reg.local:5000/team")
        );
        assert!(check_registry("localhost/x").is_ok());
        // A bare name is a Docker Hub path, not a registry.
        assert!(check_registry("myregistry/team").is_err());
    }
}
