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
use berth_compose::model::{
    FileObjectConfig, FileObjectSource, FileReferenceConfig, Project, Service as ComposeService,
};

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
            self.file_object(FileKind::Secret, key);
        }
        for key in &used_configs {
            self.file_object(FileKind::Config, key);
        }
        self.standalone_claims();
    }

    /// The keys of the secrets and of the configs that some service uses.
    fn used_file_objects(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let services = self.p.services.values();
        (
            sources(services.clone().flat_map(|svc| &svc.secrets)),
            sources(services.flat_map(|svc| &svc.configs)),
        )
    }

    /// The Secret or ConfigMap of top-level secret or config `key` (or the external one it
    /// names), kept for the services that mount it.
    fn file_object(&mut self, kind: FileKind, key: &str) {
        let Some(cfg) = kind.top_level(self.p).get(key) else {
            return;
        };
        let data_key = names::config_key(key);
        let name = if cfg.external {
            self.external_file_object(kind, key, cfg, &data_key)
        } else {
            let Some(name) = self.own_file_object(kind, key, cfg, &data_key) else {
                return;
            };
            name
        };
        self.file_objects(kind)
            .insert(key.to_string(), (name, data_key));
    }

    /// The name of the external Secret or ConfigMap that `cfg` names, which must exist.
    fn external_file_object(
        &mut self,
        kind: FileKind,
        key: &str,
        cfg: &FileObjectConfig,
        data_key: &str,
    ) -> String {
        let name = cfg.name.clone().unwrap_or_else(|| key.to_string());
        let (name, fix) = match kind {
            FileKind::Secret => {
                let name = if names::is_dns1123_subdomain(&name) {
                    name
                } else {
                    names::label(&name, names::LABEL_MAX)
                };
                let fix =
                    format!("kubectl create secret generic {name} --from-file={data_key}=<file>");
                self.external_secret(key, &name, data_key);
                (name, Some(fix))
            }
            FileKind::Config => (names::label(&name, names::LABEL_MAX), None),
        };
        let object = kind.object_kind();
        self.report.warn(
            &format!("{}.{key}.external", kind.key()),
            format!(
                "external {}: the {object} {name:?} with key {data_key:?} must exist in the namespace",
                kind.one()
            ),
            fix,
        );
        self.externals.insert((object.into(), name.clone()));
        name
    }

    /// The Secret or ConfigMap holding `cfg`'s content under `data_key`: its name, or `None`
    /// after reporting why there is none.
    fn own_file_object(
        &mut self,
        kind: FileKind,
        key: &str,
        cfg: &FileObjectConfig,
        data_key: &str,
    ) -> Option<String> {
        let what = kind.key();
        self.warn_file_object_keys(what, key, cfg);
        if matches!(kind, FileKind::Secret) && !self.opts.embed_secrets {
            return self.referenced_secret(key, cfg, data_key);
        }
        let bytes = self.read_source(what, key, cfg)?;
        if matches!(kind, FileKind::Config) && bytes.len() > CONFIGMAP_MAX {
            self.report.error(
                &format!("{what}.{key}"),
                format!(
                    "{} bytes is more than a ConfigMap holds (1 MiB)",
                    bytes.len()
                ),
                Some("bake large files into the image".into()),
            );
            return None;
        }
        let name = self.book.claim(
            kind.object_kind(),
            &names::label(key, names::LABEL_MAX),
            &format!("{what}.{key}"),
        );
        let metadata = meta(&name, self.project_labels());
        let data_key = data_key.to_string();
        let object = match kind {
            FileKind::Secret => {
                self.report.info(
                    &format!("{what}.{key}"),
                    format!("Secret {name:?}: its value is written into the output (--embed-secrets); keep the output out of version control"),
                    None,
                );
                Object::Secret(Secret {
                    metadata,
                    type_: Some("Opaque".into()),
                    data: Some(BTreeMap::from([(data_key, ByteString(bytes))])),
                    ..Default::default()
                })
            }
            FileKind::Config => {
                let mut cm = ConfigMap {
                    metadata,
                    ..Default::default()
                };
                match String::from_utf8(bytes) {
                    Ok(s) => cm.data = Some(BTreeMap::from([(data_key, s)])),
                    Err(e) => {
                        cm.binary_data =
                            Some(BTreeMap::from([(data_key, ByteString(e.into_bytes()))]))
                    }
                }
                Object::ConfigMap(cm)
            }
        };
        self.objects.push(object);
        Some(name)
    }

    /// The Secrets or ConfigMaps emitted so far: top-level key → (object name, data key).
    fn file_objects(&mut self, kind: FileKind) -> &mut BTreeMap<String, (String, String)> {
        match kind {
            FileKind::Secret => &mut self.secret_objects,
            FileKind::Config => &mut self.config_objects,
        }
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
        for f in self.file_refs(name, FileKind::Config, &svc.configs) {
            mounts.push(single_file_mount(FileKind::Config, f, pv));
        }
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
        for f in self.file_refs(name, FileKind::Secret, &svc.secrets) {
            match f
                .target
                .strip_prefix("/run/secrets/")
                .filter(|r| !r.is_empty())
            {
                Some(rel) => run_secrets.push(VolumeProjection {
                    secret: Some(SecretProjection {
                        name: f.object.clone(),
                        items: Some(vec![KeyToPath {
                            key: f.key.clone(),
                            path: rel.to_string(),
                            mode: f.mode,
                        }]),
                        optional: None,
                    }),
                    ..Default::default()
                }),
                None => mounts.push(single_file_mount(FileKind::Secret, f, pv)),
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

    /// The `secrets:` or `configs:` entries of service `name` whose object exists, with their
    /// targets made absolute. An undefined source is an error; a uid or gid is warned about.
    fn file_refs(
        &mut self,
        name: &str,
        kind: FileKind,
        refs: &[FileReferenceConfig],
    ) -> Vec<FileRef> {
        let mut out = Vec::new();
        for (i, r) in refs.iter().enumerate() {
            let path = svc_path(name, &format!("{}[{i}]", kind.key()));
            let Some(src) = r.source.clone() else {
                continue;
            };
            let Some((object, key)) = self.file_objects(kind).get(&src).cloned() else {
                if !kind.top_level(self.p).contains_key(&src) {
                    self.report
                        .error(&path, format!("{} {src} is not defined", kind.one()), None);
                }
                continue;
            };
            let dir = kind.dir();
            let target = r.target.clone().unwrap_or_else(|| format!("{dir}{src}"));
            let target = if target.starts_with('/') {
                target
            } else {
                format!("{dir}{target}")
            };
            if r.uid.is_some() || r.gid.is_some() {
                let (message, fix) = kind.owner_warning();
                self.report.warn(&path, message, fix.map(String::from));
            }
            out.push(FileRef {
                src,
                object,
                key,
                target,
                mode: r.mode.map(|m| m as i32),
            });
        }
        out
    }
}

/// Secrets or configs, where services mount them.
#[derive(Clone, Copy)]
enum FileKind {
    Secret,
    Config,
}

impl FileKind {
    /// The key of the list, in a service and at the top level.
    fn key(self) -> &'static str {
        match self {
            FileKind::Secret => "secrets",
            FileKind::Config => "configs",
        }
    }

    /// The kind of object each becomes.
    fn object_kind(self) -> &'static str {
        match self {
            FileKind::Secret => "Secret",
            FileKind::Config => "ConfigMap",
        }
    }

    /// The top-level definitions.
    fn top_level(self, p: &Project) -> &BTreeMap<String, FileObjectConfig> {
        match self {
            FileKind::Secret => &p.secrets,
            FileKind::Config => &p.configs,
        }
    }

    /// One of them, for messages and volume names.
    fn one(self) -> &'static str {
        match self {
            FileKind::Secret => "secret",
            FileKind::Config => "config",
        }
    }

    /// Where a file without an absolute target goes.
    fn dir(self) -> &'static str {
        match self {
            FileKind::Secret => "/run/secrets/",
            FileKind::Config => "/",
        }
    }

    /// The warning about a file's `uid`/`gid`, and its fix.
    fn owner_warning(self) -> (&'static str, Option<&'static str>) {
        match self {
            FileKind::Secret => (
                "uid/gid of a secret file: Kubernetes mounts it owned by root (the pod's fsGroup, if set, owns the group)",
                Some("set x-berth.fs_group to the gid that must read it"),
            ),
            FileKind::Config => (
                "uid/gid of a config file: Kubernetes mounts it owned by root",
                None,
            ),
        }
    }
}

/// A secret or config file a service mounts: the top-level key, the object and the key in it,
/// the absolute target and the file mode.
struct FileRef {
    src: String,
    object: String,
    key: String,
    target: String,
    mode: Option<i32>,
}

/// `f` mounted as a file of its own, from a volume of its object.
fn single_file_mount(kind: FileKind, f: FileRef, pv: &mut PodVolumes) -> VolumeMount {
    let fname = file_name_or(&f.target, &f.key);
    let items = Some(vec![KeyToPath {
        key: f.key,
        path: fname.clone(),
        mode: f.mode,
    }]);
    let mut volume = Volume {
        name: format!("{}-{}", kind.one(), names::label(&f.src, 40)),
        ..Default::default()
    };
    match kind {
        FileKind::Secret => {
            volume.secret = Some(SecretVolumeSource {
                secret_name: Some(f.object),
                items,
                ..Default::default()
            })
        }
        FileKind::Config => {
            volume.config_map = Some(ConfigMapVolumeSource {
                name: f.object,
                items,
                ..Default::default()
            })
        }
    }
    VolumeMount {
        name: pv.add(volume),
        mount_path: f.target,
        sub_path: Some(fname),
        read_only: Some(true),
        ..Default::default()
    }
}

/// The top-level secrets or configs that `refs` name.
fn sources<'a>(refs: impl Iterator<Item = &'a FileReferenceConfig>) -> BTreeSet<String> {
    refs.filter_map(|r| r.source.clone()).collect()
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

    use super::super::testing::{convert_yaml, findings, load_yaml, object, pod_spec};
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
        let opts = ConvertOptions {
            embed_secrets: true,
            ..Default::default()
        };
        let c = convert(&lp, &files, &opts);
        assert_eq!(
            object(&c, "Secret", "s")["data"],
            json!({"s": "ZnJvbS1lbnY="})
        );
        assert_eq!(object(&c, "ConfigMap", "c")["data"], json!({"c": "inline"}));
        // Neither file is needed, so none is read.
        assert!(crate::files_needed(&lp, &opts).is_empty());
    }

    #[test]
    fn secrets_mount_under_run_secrets_and_configs_as_single_files() {
        let yaml = "services:\n  app:\n    image: nginx:1.25\n    secrets:\n      - s\n      - source: s\n        target: /etc/key.pem\n    configs:\n      - source: c\n        target: conf/app.ini\n\
                    secrets:\n  s:\n    environment: S\n\
                    configs:\n  c:\n    content: x\n";
        let lp = load_yaml(yaml, &[("S", "v")]);
        let c = convert(&lp, &Sources::default(), &ConvertOptions::default());
        let mounts = &pod_spec(&c, "app")["containers"][0]["volumeMounts"];
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
