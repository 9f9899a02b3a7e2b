//! The Secrets the output references and does not hold, and `secrets.sh`, the script of
//! `kubectl create secret generic` commands that creates them.
//!
//! Unless `--embed-secrets` is given, no secret value reaches the manifests or the chart: each
//! compose `secrets:` entry and each service's secret-looking environment becomes a Secret
//! that the pods reference by name and that is created outside the output. The script names
//! every key with a placeholder (a shell variable to set, or a path for `--from-file`), never a
//! value, so it can be kept next to the manifests and reviewed.

use std::collections::BTreeMap;
use std::path::Path;

/// The script's file name, next to the output.
pub const SCRIPT: &str = "secrets.sh";

/// The script's second line: how berth recognises a script it wrote (and may replace).
const MARK: &str = "# Written by `berth convert`";

/// A Secret the objects reference and the output does not hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretToCreate {
    /// `metadata.name` the pods reference.
    pub name: String,
    /// What it holds, for people: `secrets.db_password (file ./db_password.txt)`.
    pub origin: String,
    /// The compose services whose pods read it, sorted.
    pub services: Vec<String>,
    /// Its keys, sorted.
    pub entries: Vec<SecretEntry>,
    /// Declared `external: true` in compose (it may exist already).
    pub external: bool,
}

/// One key of a [`SecretToCreate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretEntry {
    /// The data key.
    pub key: String,
    /// Whether the value comes from a file (`--from-file`) rather than text (`--from-literal`).
    pub from_file: bool,
    /// The shell variable the script reads it from (a suggestion: the script keeps variables
    /// that mean different things apart).
    pub variable: String,
    /// What the variable holds, for the message when it is not set.
    pub what: String,
}

/// A valid shell variable name made of `s`: upper case, `_` for anything else.
pub fn variable_name(s: &str) -> String {
    let mut v: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if v.is_empty() || v.starts_with(|c: char| c.is_ascii_digit()) {
        v.insert(0, '_');
    }
    v
}

/// Text that may stand in `"${VAR:?text}"`: no quote, `$`, `}`, backquote or backslash.
fn shell_word(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-/,:()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The text of `secrets.sh` for `secrets` of compose project `project`; `namespace` is the
/// default of `NAMESPACE` (the objects' namespace, when they have one).
pub fn script(project: &str, namespace: Option<&str>, secrets: &[SecretToCreate]) -> String {
    let mut s = format!(
        "#!/bin/sh\n\
         {MARK} for the compose project {project:?}: the Secrets its Kubernetes objects\n\
         # reference. The objects hold none of their values: create these Secrets in the\n\
         # namespace before the pods start. Each command reads its value from the shell variable\n\
         # it names (for --from-file, the path of a file that holds the value); set them, then run\n\
         #   NAMESPACE=<namespace> sh {SCRIPT}\n\
         # A chart written by berth can name Secrets made another way (Vault, sealed secrets):\n\
         # values secrets.<secret>.existingSecret and services.<service>.existingSecret.\n\
         set -eu\n\
         ns=${{NAMESPACE:-{}}}\n",
        namespace.unwrap_or("")
    );
    // Variable → what it holds: one meaning per variable.
    let mut meaning: BTreeMap<String, String> = BTreeMap::new();
    for sec in secrets {
        s.push('\n');
        let external = if sec.external {
            ", external in compose: skip this if it exists"
        } else {
            ""
        };
        s.push_str(&format!("# {}{external}\n", sec.origin));
        if !sec.services.is_empty() {
            s.push_str(&format!("# read by: {}\n", sec.services.join(", ")));
        }
        s.push_str(&format!(
            "kubectl create secret generic {} ${{ns:+--namespace=\"$ns\"}}",
            sec.name
        ));
        for e in &sec.entries {
            let mut var = e.variable.clone();
            let mut n = 1;
            while meaning.get(&var).is_some_and(|w| *w != e.what) {
                n += 1;
                var = format!("{}_{n}", e.variable);
            }
            meaning.insert(var.clone(), e.what.clone());
            let flag = if e.from_file {
                "from-file"
            } else {
                "from-literal"
            };
            s.push_str(&format!(
                " \\\n  --{flag}={}=\"${{{var}:?set {var} to {}}}\"",
                e.key,
                shell_word(&e.what)
            ));
        }
        s.push('\n');
    }
    s
}

/// Whether `path` can take the script: nothing there, or a script berth wrote.
pub fn check_script_path(path: &Path) -> Result<(), String> {
    match std::fs::read_to_string(path) {
        Ok(text) if text.lines().nth(1).is_some_and(|l| l.starts_with(MARK)) => Ok(()),
        Ok(_) | Err(_) if path.exists() => Err(format!(
            "{} exists and was not written by berth: choose another file with --secrets-script FILE",
            path.display()
        )),
        _ => Ok(()),
    }
}

/// Writes `text` to `path` (a script berth wrote there before is replaced), or with `None`
/// removes an earlier script berth wrote there, so no stale commands stay next to the output.
pub fn write_script(path: &Path, text: Option<&str>) -> Result<(), String> {
    check_script_path(path)?;
    match text {
        Some(t) => {
            std::fs::write(path, t).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None if path.exists() => {
            std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, from_file: bool, variable: &str, what: &str) -> SecretEntry {
        SecretEntry {
            key: key.into(),
            from_file,
            variable: variable.into(),
            what: what.into(),
        }
    }

    #[test]
    fn commands_with_placeholders_and_one_meaning_per_variable() {
        let secrets = [
            SecretToCreate {
                name: "api-env".into(),
                origin: "the secret-looking environment of service api".into(),
                services: vec!["api".into()],
                entries: vec![
                    entry(
                        "TOKEN",
                        false,
                        "API_TOKEN",
                        "the value of TOKEN for service api",
                    ),
                    entry("X", false, "PW", "the value compose reads from $PW}\"`"),
                ],
                external: false,
            },
            SecretToCreate {
                name: "db-password".into(),
                origin: "secrets.db_password (file ./db.txt)".into(),
                services: vec!["db".into(), "web".into()],
                entries: vec![entry(
                    "db_password",
                    true,
                    "API_TOKEN",
                    "the path of a file",
                )],
                external: true,
            },
        ];
        let s = script("shop", Some("team-a"), &secrets);
        assert!(
            s.starts_with("#!/bin/sh\n# Written by `berth convert`"),
            "{s}"
        );
        assert!(s.contains("ns=${NAMESPACE:-team-a}\n"), "{s}");
        assert!(s.contains(
            "kubectl create secret generic api-env ${ns:+--namespace=\"$ns\"} \\\n  --from-literal=TOKEN=\"${API_TOKEN:?set API_TOKEN to the value of TOKEN for service api}\" \\\n  --from-literal=X=\"${PW:?set PW to the value compose reads from _PW___}\"\n"
        ), "{s}");
        // The same variable name for something else gets a suffix.
        assert!(s.contains(
            "# secrets.db_password (file ./db.txt), external in compose: skip this if it exists\n# read by: db, web\nkubectl create secret generic db-password ${ns:+--namespace=\"$ns\"} \\\n  --from-file=db_password=\"${API_TOKEN_2:?set API_TOKEN_2 to the path of a file}\"\n"
        ), "{s}");
        assert!(script("shop", None, &[]).contains("ns=${NAMESPACE:-}\n"));
    }

    #[test]
    fn variable_names_are_shell_names() {
        assert_eq!(variable_name("db_password"), "DB_PASSWORD");
        assert_eq!(variable_name("web-app.key"), "WEB_APP_KEY");
        assert_eq!(variable_name("1x"), "_1X");
    }

    #[test]
    fn only_a_script_berth_wrote_is_replaced_or_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join(SCRIPT);
        write_script(&p, Some(&script("p", None, &[]))).expect("new file");
        write_script(&p, Some(&script("p", None, &[]))).expect("ours, replaced");
        write_script(&p, None).expect("ours, removed");
        assert!(!p.exists());
        std::fs::write(&p, "#!/bin/sh\necho mine\n").expect("write");
        let e = write_script(&p, None).expect_err("not ours");
        assert!(e.contains("was not written by berth"), "{e}");
        assert!(write_script(&p, Some("x")).is_err());
        assert_eq!(
            std::fs::read_to_string(&p).expect("kept"),
            "#!/bin/sh\necho mine\n"
        );
    }
}
