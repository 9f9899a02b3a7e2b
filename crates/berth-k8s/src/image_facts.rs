//! What the local engine says of a service's image (`docker image inspect`'s Config), handed
//! in by the caller in [`crate::Sources::images`]: the conversion asks no engine itself.

/// An image's configuration, as far as the conversion uses it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// `USER` (`999`, `999:999`, `redis`), empty when the image runs as root by default.
    pub user: String,
    /// `EXPOSE`d ports (`6379/tcp`).
    pub exposed_ports: Vec<String>,
    /// `VOLUME`s.
    pub volumes: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
}

impl ImageFacts {
    /// Whether the image's processes start as root: no `USER`, `root`, or uid 0.
    pub fn runs_as_root(&self) -> bool {
        let u = self.user.split(':').next().unwrap_or("").trim();
        u.is_empty() || u == "root" || u == "0"
    }

    /// The `EXPOSE`d ports as `(port, protocol)`: `6379/tcp` → `(6379, "TCP")`; ports that do
    /// not parse are left out.
    pub fn ports(&self) -> Vec<(i32, String)> {
        self.exposed_ports
            .iter()
            .filter_map(|p| {
                let (n, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                let n: i32 = n.trim().parse().ok().filter(|n| (1..=65535).contains(n))?;
                let proto = proto.to_ascii_uppercase();
                matches!(proto.as_str(), "TCP" | "UDP" | "SCTP").then_some((n, proto))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_and_ports() {
        let f = |user: &str| ImageFacts {
            user: user.into(),
            ..Default::default()
        };
        for u in ["", "root", "0", "0:0", "root:root"] {
            assert!(f(u).runs_as_root(), "{u:?}");
        }
        for u in ["999", "999:999", "redis"] {
            assert!(!f(u).runs_as_root(), "{u:?}");
        }
        let facts = ImageFacts {
            exposed_ports: vec!["6379/tcp".into(), "53/udp".into(), "x/tcp".into()],
            ..Default::default()
        };
        assert_eq!(
            facts.ports(),
            vec![(6379, "TCP".to_string()), (53, "UDP".to_string())]
        );
    }
}
