//! Secrets referenced, not written: without `--embed-secrets`, a compose `secrets:` entry and a
//! service's secret-looking environment become Secrets that the pods reference by name and
//! that are created outside the output ([`crate::secrets`] writes the commands). Their values
//! are never read.

use std::path::Path;

use super::{svc_path, Ctx};
use crate::secrets::{variable_name, SecretEntry, SecretToCreate};
use berth_compose::model::{FileObjectConfig, FileObjectSource};

impl<'a> Ctx<'a> {
    /// The Secret of compose secret `key`, referenced and not written: its name, or `None`
    /// after reporting why there is none.
    pub(super) fn referenced_secret(
        &mut self,
        key: &str,
        cfg: &FileObjectConfig,
        data_key: &str,
    ) -> Option<String> {
        let path = format!("secrets.{key}");
        let (origin, entry) = match cfg.source() {
            Some(FileObjectSource::File(f)) => (
                match Path::new(f).strip_prefix(&self.lp.working_dir) {
                    Ok(rel) => format!("{path} (file ./{} in compose)", rel.display()),
                    Err(_) => format!("{path} (a file in compose)"),
                },
                SecretEntry {
                    key: data_key.to_string(),
                    from_file: true,
                    variable: format!("{}_FILE", variable_name(key)),
                    what: format!("the path of a file that holds secret {key}"),
                },
            ),
            Some(FileObjectSource::Environment(var)) => (
                format!("{path} (environment variable {var} in compose)"),
                SecretEntry {
                    key: data_key.to_string(),
                    from_file: false,
                    variable: variable_name(var),
                    what: format!("the value of secret {key}"),
                },
            ),
            Some(FileObjectSource::Content(_)) => (
                format!("{path} (content in compose)"),
                SecretEntry {
                    key: data_key.to_string(),
                    from_file: false,
                    variable: variable_name(key),
                    what: format!("the value of secret {key}"),
                },
            ),
            None => {
                self.report.error(
                    &path,
                    format!("secret {key} has no file, environment or content"),
                    None,
                );
                return None;
            }
        };
        let name = self.book.claim(
            "Secret",
            &crate::names::label(key, crate::names::LABEL_MAX),
            &path,
        );
        self.report.info(
            &path,
            format!("Secret {name:?} is referenced, not written: the output holds no secret value; create the Secret before the pods start (secrets.sh has the command; --embed-secrets writes the value instead)"),
            None,
        );
        self.chart.secrets.insert(key.to_string(), name.clone());
        self.need_secret(
            name.clone(),
            origin,
            self.secret_users(key),
            vec![entry],
            false,
        );
        Some(name)
    }

    /// Compose secret `key`, declared external, is the Secret `name` with `data_key`.
    pub(super) fn external_secret(&mut self, key: &str, name: &str, data_key: &str) {
        let entry = SecretEntry {
            key: data_key.to_string(),
            from_file: true,
            variable: format!("{}_FILE", variable_name(key)),
            what: format!("the path of a file that holds secret {key}"),
        };
        let origin = format!("secrets.{key}");
        self.need_secret(
            name.to_string(),
            origin,
            self.secret_users(key),
            vec![entry],
            true,
        );
    }

    /// The secret environment of service `name` (variables `keys`), in the Secret `secret`
    /// that the pods reference and the output does not hold.
    pub(super) fn referenced_env_secret<'k>(
        &mut self,
        name: &str,
        secret: &str,
        keys: impl Iterator<Item = &'k String>,
    ) {
        let entries = keys
            .map(|k| SecretEntry {
                key: k.clone(),
                from_file: false,
                variable: variable_name(&format!("{name}_{k}")),
                what: format!("the value of {k} for service {name}"),
            })
            .collect();
        self.report.info(
            &svc_path(name, "environment"),
            format!("Secret {secret:?} (the secret-looking environment) is referenced, not written: create it before the pods start (secrets.sh has the command; --embed-secrets writes the values instead)"),
            None,
        );
        let origin = format!("the secret-looking environment of service {name}");
        self.need_secret(
            secret.to_string(),
            origin,
            vec![name.to_string()],
            entries,
            false,
        );
    }

    fn need_secret(
        &mut self,
        name: String,
        origin: String,
        services: Vec<String>,
        entries: Vec<SecretEntry>,
        external: bool,
    ) {
        self.externals.insert(("Secret".into(), name.clone()));
        self.to_create.push(SecretToCreate {
            name,
            origin,
            services,
            entries,
            external,
        });
    }

    /// The services that mount compose secret `key`, sorted.
    fn secret_users(&self, key: &str) -> Vec<String> {
        self.p
            .services
            .iter()
            .filter(|(_, svc)| svc.secrets.iter().any(|r| r.source.as_deref() == Some(key)))
            .map(|(n, _)| n.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{findings, load_yaml, names_of, pod_spec};
    use super::super::{convert, ConvertOptions};
    use crate::Sources;

    /// A key of a Secret to create: (key, from a file, variable).
    type Entry = (String, bool, String);

    const YAML: &str = "services:\n  app:\n    image: nginx:1.25\n    environment:\n      API_TOKEN: hunter2\n      DB_URL: postgres://u:pw@db/x\n      MODE: fast\n    secrets: [file_secret, env_secret, ext]\n\
        secrets:\n  file_secret:\n    file: ./s.txt\n  env_secret:\n    environment: S\n  ext:\n    external: true\n    name: vault-ext\n";

    #[test]
    fn secrets_are_referenced_and_their_values_never_read() {
        // Neither the file nor the variable exists: nothing needs them.
        let c = convert(
            &load_yaml(YAML, &[]),
            &Sources::default(),
            &ConvertOptions::default(),
        );
        assert!(
            !findings(&c).iter().any(|f| f.starts_with("Error")),
            "{:?}",
            findings(&c)
        );
        assert!(
            !names_of(&c).iter().any(|n| n.starts_with("Secret/")),
            "{:?}",
            names_of(&c)
        );
        let ps = pod_spec(&c, "app");
        assert_eq!(
            ps["containers"][0]["envFrom"][1],
            json!({"secretRef": {"name": "app-env"}})
        );
        let text = serde_json::to_string(&ps).unwrap();
        for value in ["hunter2", "pw@db"] {
            assert!(!text.contains(value), "{value} in {text}");
        }
        let made: Vec<(String, Vec<Entry>, bool)> = c
            .secrets
            .iter()
            .map(|s| {
                let e = s
                    .entries
                    .iter()
                    .map(|e| (e.key.clone(), e.from_file, e.variable.clone()))
                    .collect();
                (s.name.clone(), e, s.external)
            })
            .collect();
        let e = |k: &str, f: bool, v: &str| (k.to_string(), f, v.to_string());
        assert_eq!(
            made,
            [
                (
                    "app-env".to_string(),
                    vec![
                        e("API_TOKEN", false, "APP_API_TOKEN"),
                        e("DB_URL", false, "APP_DB_URL")
                    ],
                    false
                ),
                (
                    "env-secret".to_string(),
                    vec![e("env_secret", false, "S")],
                    false
                ),
                (
                    "file-secret".to_string(),
                    vec![e("file_secret", true, "FILE_SECRET_FILE")],
                    false
                ),
                (
                    "vault-ext".to_string(),
                    vec![e("ext", true, "EXT_FILE")],
                    true
                ),
            ]
        );
        assert_eq!(
            c.secrets[2].origin,
            "secrets.file_secret (file ./s.txt in compose)"
        );
        assert_eq!(c.secrets[2].services, ["app"]);
        assert!(c
            .externals
            .contains(&("Secret".to_string(), "file-secret".to_string())));
    }

    #[test]
    fn embed_secrets_writes_the_values_as_before() {
        let opts = ConvertOptions {
            embed_secrets: true,
            ..Default::default()
        };
        let mut files = Sources::default();
        files
            .files
            .insert("/proj/s.txt".into(), Ok(b"from-file".to_vec()));
        let c = convert(&load_yaml(YAML, &[("S", "from-env")]), &files, &opts);
        let names = names_of(&c);
        let secrets: Vec<&str> = names
            .iter()
            .filter(|n| n.starts_with("Secret/"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            secrets,
            ["Secret/app-env", "Secret/env-secret", "Secret/file-secret"]
        );
        // Only the external one is left to create.
        let left: Vec<&str> = c.secrets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(left, ["vault-ext"]);
    }
}
