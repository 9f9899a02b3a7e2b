//! The Docker CLI's configuration, `config.json`, as `docker` and Compose v2 read it: found in
//! `$DOCKER_CONFIG` (when set and not empty), else `~/.docker`. berth reads three things from
//! it: registry credentials (`auths`), the default detach keys (`detachKeys`), and the proxies
//! every container gets (`proxies`). One locator, read once per command.

use std::collections::HashMap;
use std::path::PathBuf;

use bollard::auth::DockerCredentials;

use berth_compose::image::ImageRef;

/// A loaded `config.json` (or its absence).
#[derive(Clone, Debug, Default)]
pub struct CliConfig {
    /// Where it was looked for (None: no `DOCKER_CONFIG` and no `HOME`).
    path: Option<PathBuf>,
    /// Its contents: None when there is no file, Err when it is not JSON.
    value: Option<Result<serde_json::Value, String>>,
}

/// Registry credentials by registry host, from `auths` (opaque outside the engine).
#[derive(Clone, Debug, Default)]
pub struct Registries {
    by_host: HashMap<String, DockerCredentials>,
}

impl Registries {
    /// The credentials for the registry `image` is pulled from or pushed to.
    pub(crate) fn for_image(&self, image: &str) -> Option<DockerCredentials> {
        self.by_host
            .get(ImageRef::split(image).registry_host())
            .cloned()
    }

    /// Every registry's credentials (a build may pull from any of them).
    pub(crate) fn all(&self) -> Option<HashMap<String, DockerCredentials>> {
        (!self.by_host.is_empty()).then(|| self.by_host.clone())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_host.is_empty()
    }
}

/// `docker_config` (when not empty), else `home/.docker`: the Docker CLI's rule.
fn config_dir(docker_config: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    docker_config
        .filter(|d| !d.as_os_str().is_empty())
        .or_else(|| home.map(|h| h.join(".docker")))
}

impl CliConfig {
    /// Reads the configuration from this process's environment.
    pub fn load() -> CliConfig {
        CliConfig::load_from(
            std::env::var_os("DOCKER_CONFIG").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        )
    }

    /// The Docker CLI's configuration directory (its `config.json`, its `cli-plugins`) as this
    /// process's environment names it.
    pub fn dir() -> Option<PathBuf> {
        config_dir(
            std::env::var_os("DOCKER_CONFIG").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        )
    }

    /// Reads `config.json` from `docker_config` (when not empty), else `home/.docker`.
    pub fn load_from(docker_config: Option<PathBuf>, home: Option<PathBuf>) -> CliConfig {
        let Some(path) = config_dir(docker_config, home).map(|d| d.join("config.json")) else {
            return CliConfig::default();
        };
        let value = std::fs::read_to_string(&path)
            .ok()
            .map(|t| serde_json::from_str(&t).map_err(|e| e.to_string()));
        CliConfig {
            path: Some(path),
            value,
        }
    }

    fn json(&self) -> Option<&serde_json::Value> {
        self.value.as_ref()?.as_ref().ok()
    }

    /// `detachKeys` (what `docker attach` uses by default).
    pub fn detach_keys(&self) -> Option<String> {
        self.json()?.get("detachKeys")?.as_str().map(str::to_string)
    }

    /// The proxy variables for the engine at `host` (its own entry, else `default`):
    /// `HTTP_PROXY` and `http_proxy`, and so on, as `docker run` and Compose v2 set them.
    pub fn proxies(&self, host: &str) -> Vec<(String, String)> {
        match self.json() {
            Some(v) => proxy_environment(v, host),
            None => Vec::new(),
        }
    }

    /// Registry credentials (`auths` only); warnings name what could not be used (a file that
    /// is not JSON, credential helpers, a bad `auth`).
    pub fn registries(&self) -> (Registries, Vec<String>) {
        let mut warnings = Vec::new();
        let shown = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let v = match &self.value {
            None => return (Registries::default(), warnings),
            Some(Err(e)) => {
                warnings.push(format!(
                    "{shown}: not valid JSON ({e}); registry credentials ignored"
                ));
                return (Registries::default(), warnings);
            }
            Some(Ok(v)) => v,
        };
        let path = std::path::Path::new(&shown);
        if v.get("credsStore").is_some() || v.get("credHelpers").is_some() {
            warnings.push(format!(
            "{}: credential helpers (credsStore/credHelpers) are not supported; only `auths` entries are used",
            path.display()
        ));
        }
        let mut out: HashMap<String, DockerCredentials> = HashMap::new();
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
        (Registries { by_host: out }, warnings)
    }
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

/// The proxy variables of a Docker CLI `config.json` for the engine at `host`.
fn proxy_environment(config: &serde_json::Value, host: &str) -> Vec<(String, String)> {
    let proxies = &config["proxies"];
    let entry = if proxies.get(host).is_some() {
        &proxies[host]
    } else {
        &proxies["default"]
    };
    let mut out = Vec::new();
    for (key, var) in [
        ("httpProxy", "HTTP_PROXY"),
        ("httpsProxy", "HTTPS_PROXY"),
        ("noProxy", "NO_PROXY"),
        ("ftpProxy", "FTP_PROXY"),
        ("allProxy", "ALL_PROXY"),
    ] {
        if let Some(v) = entry
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
        {
            out.push((var.to_string(), v.to_string()));
            out.push((var.to_lowercase(), v.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn proxies_of_the_docker_cli_config_as_compose_passes_them() {
        let cfg = json!({"proxies": {
            "default": {"httpProxy": "http://proxy:3128", "noProxy": "localhost"},
            "tcp://other:2375": {"httpsProxy": "http://other-proxy"}
        }});
        let env = proxy_environment(&cfg, "unix:///var/run/docker.sock");
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]);
        let env = proxy_environment(&cfg, "tcp://other:2375");
        assert_eq!(env[0], ("HTTPS_PROXY".into(), "http://other-proxy".into()));
        assert!(proxy_environment(&json!({}), "x").is_empty());
    }

    #[test]
    fn auth_keys() {
        assert_eq!(registry_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(registry_key("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn an_empty_docker_config_falls_back_to_home_as_the_docker_cli_does() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".docker")).unwrap();
        std::fs::write(
            home.path().join(".docker/config.json"),
            r#"{"detachKeys": "ctrl-x,x", "auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}"#,
        )
        .unwrap();
        for docker_config in [None, Some(PathBuf::new())] {
            let c = CliConfig::load_from(docker_config, Some(home.path().to_path_buf()));
            assert_eq!(c.detach_keys().as_deref(), Some("ctrl-x,x"));
            let (r, warnings) = c.registries();
            assert!(warnings.is_empty(), "{warnings:?}");
            let cred = r.for_image("busybox").expect("Docker Hub credentials");
            assert_eq!(cred.username.as_deref(), Some("u"));
            assert_eq!(cred.password.as_deref(), Some("p"));
        }
        let elsewhere = tempfile::tempdir().unwrap();
        let c = CliConfig::load_from(
            Some(elsewhere.path().to_path_buf()),
            Some(home.path().to_path_buf()),
        );
        assert_eq!(c.detach_keys(), None);
    }
}
