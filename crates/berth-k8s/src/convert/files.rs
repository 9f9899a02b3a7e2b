//! Configs and secrets: the Secrets and ConfigMaps of the top-level `secrets:` and `configs:`
//! that services use (their content looked up in [`crate::Sources`]), and the files services
//! mount from them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, KeyToPath, ProjectedVolumeSource, Secret, SecretProjection,
    SecretVolumeSource, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::ByteString;

use super::storage::PodVolumes;
use super::{meta, names, svc_path, Ctx, Object, CONFIGMAP_MAX};
use berth_compose::model::{FileObjectConfig, FileObjectSource, Service as ComposeService};

impl<'a> Ctx<'a> {
    /// The content of a config or secret, from its source (environment, then content, then
    /// file, as Compose v2 decides); `None` after reporting why there is none.
    fn read_source(&mut self, what: &str, key: &str, cfg: &FileObjectConfig) -> Option<Vec<u8>> {
        let path = format!("{what}.{key}");
        match cfg.source() {
            Some(FileObjectSource::Environment(var)) => match self.lp.environment.get(var) {
                Some(v) => Some(v.as_bytes().to_vec()),
                None => {
                    self.report.error(
                        &format!("{path}.environment"),
                        format!("variable {var} is not set in the environment berth converts with"),
                        Some(format!("set {var} (or put it in .env) before converting")),
                    );
                    None
                }
            },
            Some(FileObjectSource::Content(c)) => Some(c.as_bytes().to_vec()),
            Some(FileObjectSource::File(f)) => match self.sources.file(Path::new(f)) {
                Ok(b) => Some(b.to_vec()),
                Err(e) => {
                    let shown = self.show_path(Path::new(f));
                    self.report.error(
                        &format!("{path}.file"),
                        format!("cannot read {shown}: {e}"),
                        None,
                    );
                    None
                }
            },
            None => {
                self.report.error(
                    &path,
                    format!("{what} {key} has no file, environment or content"),
                    None,
                );
                None
            }
        }
    }

    /// A path for messages: relative to the project directory when inside it.
    pub(super) fn show_path(&self, p: &Path) -> String {
        match p.strip_prefix(&self.lp.working_dir) {
            Ok(rel) => format!("./{}", rel.display()),
            Err(_) => p.display().to_string(),
        }
    }

    /// Project-level objects: the Secrets and ConfigMaps some service uses, and the standalone
    /// claims of named volumes.
    pub(super) fn project_objects(&mut self) {
        let (used_secrets, used_configs) = self.used_file_objects();
        for key in &used_secrets {
            self.secret_object(key);
        }
        for key in &used_configs {
            self.config_object(key);
        }
        self.standalone_claims();
    }

    /// The keys of the secrets and of the configs that some service uses.
    fn used_file_objects(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut used_secrets = BTreeSet::new();
        let mut used_configs = BTreeSet::new();
        for svc in self.p.services.values() {
            for s in &svc.secrets {
                if let Some(src) = &s.source {
                    used_secrets.insert(src.clone());
                }
            }
            for c in &svc.configs {
                if let Some(src) = &c.source {
                    used_configs.insert(src.clone());
                }
            }
        }
        (used_secrets, used_configs)
    }

    /// The Secret of top-level secret `key` (or the external one it names).
    fn secret_object(&mut self, key: &str) {
        let Some(cfg) = self.p.secrets.get(key) else {
            return;
        };
        let data_key = names::config_key(key);
        if cfg.external {
            let name = cfg.name.clone().unwrap_or_else(|| key.to_string());
            let name = if names::is_dns1123_subdomain(&name) {
                name
            } else {
                names::label(&name, names::LABEL_MAX)
            };
            self.report.warn(
                &format!("secrets.{key}.external"),
                format!("external secret: the Secret {name:?} with key {data_key:?} must exist in the namespace"),
                Some(format!("kubectl create secret generic {name} --from-file={data_key}=<file>")),
            );
            self.externals.insert(("Secret".into(), name.clone()));
            self.secret_objects
                .insert(key.to_string(), (name, data_key));
            return;
        }
        self.warn_file_object_keys("secrets", key, cfg);
        let Some(bytes) = self.read_source("secrets", key, cfg) else {
            return;
        };
        let name = self.book.claim(
            "Secret",
            &names::label(key, names::LABEL_MAX),
            &format!("secrets.{key}"),
        );
        self.report.info(
            &format!("secrets.{key}"),
            format!("Secret {name:?}: its value is written into the output; keep the output out of version control, or declare the secret external"),
            None,
        );
        self.objects.push(Object::Secret(Secret {
            metadata: meta(&name, self.project_labels()),
            type_: Some("Opaque".into()),
            data: Some(BTreeMap::from([(data_key.clone(), ByteString(bytes))])),
            ..Default::default()
        }));
        self.secret_objects
            .insert(key.to_string(), (name, data_key));
    }

    /// The ConfigMap of top-level config `key` (or the external one it names).
    fn config_object(&mut self, key: &str) {
        let Some(cfg) = self.p.configs.get(key) else {
            return;
        };
        let data_key = names::config_key(key);
        if cfg.external {
            let name = cfg.name.clone().unwrap_or_else(|| key.to_string());
            let name = names::label(&name, names::LABEL_MAX);
            self.report.warn(
                &format!("configs.{key}.external"),
                format!("external config: the ConfigMap {name:?} with key {data_key:?} must exist in the namespace"),
                None,
            );
            self.externals.insert(("ConfigMap".into(), name.clone()));
            self.config_objects
                .insert(key.to_string(), (name, data_key));
            return;
        }
        self.warn_file_object_keys("configs", key, cfg);
        let Some(bytes) = self.read_source("configs", key, cfg) else {
            return;
        };
        if bytes.len() > CONFIGMAP_MAX {
            self.report.error(
                &format!("configs.{key}"),
                format!(
                    "{} bytes is more than a ConfigMap holds (1 MiB)",
                    bytes.len()
                ),
                Some("bake large files into the image".into()),
            );
            return;
        }
        let name = self.book.claim(
            "ConfigMap",
            &names::label(key, names::LABEL_MAX),
            &format!("configs.{key}"),
        );
        let mut cm = ConfigMap {
            metadata: meta(&name, self.project_labels()),
            ..Default::default()
        };
        match String::from_utf8(bytes) {
            Ok(s) => cm.data = Some(BTreeMap::from([(data_key.clone(), s)])),
            Err(e) => {
                cm.binary_data = Some(BTreeMap::from([(
                    data_key.clone(),
                    ByteString(e.into_bytes()),
                )]))
            }
        }
        self.objects.push(Object::ConfigMap(cm));
        self.config_objects
            .insert(key.to_string(), (name, data_key));
    }

    fn warn_file_object_keys(&mut self, what: &str, key: &str, cfg: &FileObjectConfig) {
        if cfg.driver.as_deref().is_some_and(|d| !d.is_empty()) {
            self.report.warn(
                &format!("{what}.{key}.driver"),
                "secret/config drivers do not exist in Kubernetes: ignored",
                None,
            );
        }
        if cfg
            .template_driver
            .as_deref()
            .is_some_and(|d| !d.is_empty())
        {
            self.report.warn(
                &format!("{what}.{key}.template_driver"),
                "template drivers do not exist in Kubernetes: the content is used as is",
                None,
            );
        }
        if !cfg.labels.is_empty() {
            self.report.info(
                &format!("{what}.{key}.labels"),
                "labels of secrets and configs are not copied",
                None,
            );
        }
    }

    /// The secret and config files a service mounts: its container's volume mounts.
    pub(super) fn secret_mounts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        pv: &mut PodVolumes,
    ) -> Vec<VolumeMount> {
        let mut mounts = self.secret_file_mounts(name, svc, pv);
        mounts.extend(self.config_file_mounts(name, svc, pv));
        mounts
    }

    /// `secrets:` of a service. Secrets under /run/secrets share one projected volume mounted
    /// there; one elsewhere is a file of its own.
    fn secret_file_mounts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        pv: &mut PodVolumes,
    ) -> Vec<VolumeMount> {
        let mut mounts = Vec::new();
        let mut run_secrets: Vec<VolumeProjection> = Vec::new();
        for (i, s) in svc.secrets.iter().enumerate() {
            let path = svc_path(name, &format!("secrets[{i}]"));
            let Some(src) = s.source.clone() else {
                continue;
            };
            let Some((obj, key)) = self.secret_objects.get(&src).cloned() else {
                if !self.p.secrets.contains_key(&src) {
                    self.report
                        .error(&path, format!("secret {src} is not defined"), None);
                }
                continue;
            };
            let target = s
                .target
                .clone()
                .unwrap_or_else(|| format!("/run/secrets/{src}"));
            let target = if target.starts_with('/') {
                target
            } else {
                format!("/run/secrets/{target}")
            };
            if s.uid.is_some() || s.gid.is_some() {
                self.report.warn(
                    &path,
                    "uid/gid of a secret file: Kubernetes mounts it owned by root (the pod's fsGroup, if set, owns the group)",
                    Some("set x-berth.fs_group to the gid that must read it".into()),
                );
            }
            let mode = s.mode.map(|m| m as i32);
            match target
                .strip_prefix("/run/secrets/")
                .filter(|r| !r.is_empty())
            {
                Some(rel) => run_secrets.push(VolumeProjection {
                    secret: Some(SecretProjection {
                        name: obj,
                        items: Some(vec![KeyToPath {
                            key,
                            path: rel.to_string(),
                            mode,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                }),
                None => {
                    let fname = file_name_or(&target, &key);
                    let vname = pv.add(Volume {
                        name: format!("secret-{}", names::label(&src, 40)),
                        secret: Some(SecretVolumeSource {
                            secret_name: Some(obj),
                            items: Some(vec![KeyToPath {
                                key,
                                path: fname.clone(),
                                mode,
                            }]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    });
                    mounts.push(VolumeMount {
                        name: vname,
                        mount_path: target,
                        sub_path: Some(fname),
                        read_only: Some(true),
                        ..Default::default()
                    });
                }
            }
        }
        if !run_secrets.is_empty() {
            let vname = pv.add(Volume {
                name: "secrets".into(),
                projected: Some(ProjectedVolumeSource {
                    sources: Some(run_secrets),
                    // Compose's default mode for secret files.
                    default_mode: Some(0o444),
                }),
                ..Default::default()
            });
            mounts.push(VolumeMount {
                name: vname,
                mount_path: "/run/secrets".into(),
                read_only: Some(true),
                ..Default::default()
            });
        }
        mounts
    }

    /// `configs:` of a service: each a file of its own.
    fn config_file_mounts(
        &mut self,
        name: &str,
        svc: &ComposeService,
        pv: &mut PodVolumes,
    ) -> Vec<VolumeMount> {
        let mut mounts = Vec::new();
        for (i, cfg) in svc.configs.iter().enumerate() {
            let path = svc_path(name, &format!("configs[{i}]"));
            let Some(src) = cfg.source.clone() else {
                continue;
            };
            let Some((obj, key)) = self.config_objects.get(&src).cloned() else {
                if !self.p.configs.contains_key(&src) {
                    self.report
                        .error(&path, format!("config {src} is not defined"), None);
                }
                continue;
            };
            let target = cfg.target.clone().unwrap_or_else(|| format!("/{src}"));
            let target = if target.starts_with('/') {
                target
            } else {
                format!("/{target}")
            };
            if cfg.uid.is_some() || cfg.gid.is_some() {
                self.report.warn(
                    &path,
                    "uid/gid of a config file: Kubernetes mounts it owned by root",
                    None,
                );
            }
            let fname = file_name_or(&target, &key);
            let vname = pv.add(Volume {
                name: format!("config-{}", names::label(&src, 40)),
                config_map: Some(ConfigMapVolumeSource {
                    name: obj,
                    items: Some(vec![KeyToPath {
                        key,
                        path: fname.clone(),
                        mode: cfg.mode.map(|m| m as i32),
                    }]),
                    ..Default::default()
                }),
                ..Default::default()
            });
            mounts.push(VolumeMount {
                name: vname,
                mount_path: target,
                sub_path: Some(fname),
                read_only: Some(true),
                ..Default::default()
            });
        }
        mounts
    }
}

/// The file name of a mount target, or `fallback` when it has none (`/`).
fn file_name_or(target: &str, fallback: &str) -> String {
    Path::new(target)
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_else(|| fallback.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::super::testing::{convert_yaml, findings, load_yaml, object};
    use super::super::{convert, ConvertOptions};
    use crate::Sources;

    fn sources(files: &[(&str, Result<&[u8], &str>)]) -> Sources {
        let mut s = Sources::default();
        for (p, r) in files {
            let r = r.map(|b| b.to_vec()).map_err(|e| e.to_string());
            s.files.insert(PathBuf::from(p), r);
        }
        s
    }

    const APP: &str = "services:\n  app:\n    image: nginx:1.25\n    configs: [cfg]\n";

    #[test]
    fn a_config_file_becomes_a_configmap_from_the_given_contents() {
        let yaml = format!("{APP}configs:\n  cfg:\n    file: ./app.conf\n");
        let c = convert_yaml(&yaml, &sources(&[("/proj/app.conf", Ok(b"x=1\n"))]));
        assert_eq!(
            object(&c, "ConfigMap", "cfg")["data"],
            json!({"cfg": "x=1\n"})
        );
        let bin = convert_yaml(&yaml, &sources(&[("/proj/app.conf", Ok(b"\xff\x00"))]));
        assert_eq!(
            object(&bin, "ConfigMap", "cfg")["binaryData"],
            json!({"cfg": "/wA="})
        );
    }

    #[test]
    fn unreadable_missing_and_oversized_sources_are_refused_where_they_are_named() {
        let cases: &[(&str, Sources, &str)] = &[
            (
                "configs:\n  cfg:\n    file: ./app.conf\n",
                sources(&[("/proj/app.conf", Err("Permission denied (os error 13)"))]),
                "Error configs.cfg.file: cannot read ./app.conf: Permission denied (os error 13)",
            ),
            (
                "configs:\n  cfg:\n    file: /etc/outside.conf\n",
                sources(&[("/etc/outside.conf", Err("No such file or directory (os error 2)"))]),
                "Error configs.cfg.file: cannot read /etc/outside.conf: No such file or directory (os error 2)",
            ),
            (
                "configs:\n  cfg:\n    environment: CFG\n",
                Sources::default(),
                "Error configs.cfg.environment: variable CFG is not set in the environment berth converts with",
            ),
            (
                "configs:\n  cfg:\n    file: ./big\n",
                sources(&[("/proj/big", Ok(&[b'x'; 1000 * 1024 + 1][..]))]),
                "Error configs.cfg: 1024001 bytes is more than a ConfigMap holds (1 MiB)",
            ),
        ];
        for (top, s, want) in cases {
            let c = convert_yaml(&format!("{APP}{top}"), s);
            assert!(
                findings(&c).iter().any(|f| f == want),
                "{top}: {:?}",
                findings(&c)
            );
            assert!(!c.objects.iter().any(|o| o.name() == "cfg"), "{top}");
        }
    }

    #[test]
    fn the_environment_wins_over_content_and_file_as_in_compose() {
        let yaml = "services:\n  app:\n    image: nginx:1.25\n    secrets: [s]\n    configs: [c]\n\
                    secrets:\n  s:\n    file: ./s.txt\n    environment: S\n\
                    configs:\n  c:\n    file: ./c.txt\n    content: inline\n";
        let lp = load_yaml(yaml, &[("S", "from-env")]);
        let files = sources(&[("/proj/s.txt", Ok(b"file")), ("/proj/c.txt", Ok(b"file"))]);
        let c = convert(&lp, &files, &ConvertOptions::default());
        assert_eq!(
            object(&c, "Secret", "s")["data"],
            json!({"s": "ZnJvbS1lbnY="})
        );
        assert_eq!(object(&c, "ConfigMap", "c")["data"], json!({"c": "inline"}));
        // Neither file is needed, so none is read.
        assert!(crate::files_needed(&lp).is_empty());
    }

    #[test]
    fn secrets_mount_under_run_secrets_and_configs_as_single_files() {
        let yaml = "services:\n  app:\n    image: nginx:1.25\n    secrets:\n      - s\n      - source: s\n        target: /etc/key.pem\n    configs:\n      - source: c\n        target: conf/app.ini\n\
                    secrets:\n  s:\n    environment: S\n\
                    configs:\n  c:\n    content: x\n";
        let lp = load_yaml(yaml, &[("S", "v")]);
        let c = convert(&lp, &Sources::default(), &ConvertOptions::default());
        let mounts = &object(&c, "Deployment", "app")["spec"]["template"]["spec"]["containers"][0]
            ["volumeMounts"];
        let at: Vec<(&str, Option<&str>)> = mounts
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["mountPath"].as_str().unwrap(), m["subPath"].as_str()))
            .collect();
        assert_eq!(
            at,
            [
                ("/etc/key.pem", Some("key.pem")),
                ("/run/secrets", None),
                ("/conf/app.ini", Some("app.ini")),
            ]
        );
    }
}
