//! Image references: split into registry / repository / tag / digest, rewritten for a private
//! registry (`--registry`), and judged pinned or not.
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
    /// Parses `s`; `None` when it is not a reference (empty, spaces, upper case repository).
    pub fn parse(s: &str) -> Option<ImageRef> {
        let s = s.trim();
        if s.is_empty() || s.contains(char::is_whitespace) {
            return None;
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) if !d.is_empty() => (r, Some(d.to_string())),
            Some(_) => return None,
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
        if name.is_empty() || tag.as_deref() == Some("") {
            return None;
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ => (String::new(), name.to_string()),
        };
        if repository.is_empty() || repository.chars().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
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

/// Checks a `--registry` value: `HOST[:PORT][/PREFIX]`.
pub fn check_registry(r: &str) -> Result<(), String> {
    let r = r.trim_end_matches('/');
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
        return Err(format!(
            "invalid registry {r:?}: expected HOST[:PORT][/PREFIX], e.g. registry.local:5000/team"
        ));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |n| n == 0) {
            return Err(format!(
                "invalid registry {r:?}: port {p:?} is not a port number"
            ));
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
            return Err(format!(
                "invalid registry {r:?}: the path {p:?} must be lower-case repository components"
            ));
        }
    }
    Ok(())
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
    }

    #[test]
    fn registries() {
        assert!(check_registry("local-registry:5000").is_ok());
        assert!(check_registry("reg.example.com/team/sub").is_ok());
        assert!(check_registry("reg:99999").is_err());
        assert!(check_registry("").is_err());
        assert!(check_registry("reg/Team").is_err());
    }
}
