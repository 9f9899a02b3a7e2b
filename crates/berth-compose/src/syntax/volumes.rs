//! `volumes`: `[SOURCE:]TARGET[:MODE]`, binds and named volumes, SELinux and propagation modes.

use serde_json::{Map, Value};

use super::{err, SyntaxError};

const VOLUME_FORM: &str = "expected [SOURCE:]TARGET[:MODE]";

/// Parses a short-syntax service volume `[SOURCE:]TARGET[:MODE]` into the long form
/// `{type, source?, target, read_only?, bind?, volume?}`.
///
/// * `SOURCE` starting with `.`, `/`, `~`, `\\` or a Windows drive (`C:`) is a bind (with
///   `bind.create_host_path: true`); other sources are named volumes; no source is an anonymous
///   volume. Paths are left as written.
/// * A single letter followed by `:` is a Windows drive, not a separator (`C:\x:/data`).
/// * `MODE` is a comma list: `ro`/`rw` (last wins), `nocopy` (sets `volume.nocopy` even on a
///   bind), `z`/`Z` (`bind.selinux`), `rprivate`/`private`/`rshared`/`shared`/`rslave`/`slave`
///   (`bind.propagation`, also on a named volume); unknown options are ignored.
/// * Specs of one or two characters are taken whole as an anonymous volume's target and get no
///   `volume: {}` (a compose quirk).
pub fn parse_volume(spec: &str) -> Result<Value, SyntaxError> {
    if spec.is_empty() {
        return err(format!("empty volume ({VOLUME_FORM})"));
    }
    if spec.len() <= 2 {
        let mut m = Map::new();
        m.insert("type".into(), "volume".into());
        m.insert("target".into(), spec.into());
        return Ok(Value::Object(m));
    }

    let mut source: Option<String> = None;
    let mut target: Option<String> = None;
    let mut read_only = false;
    let mut nocopy = false;
    let mut selinux: Option<String> = None;
    let mut propagation: Option<String> = None;

    // Split on ':' except right after a lone letter (a Windows drive).
    let mut sections: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut buf_chars = 0usize;
    for c in spec.chars() {
        if c == ':' && !(buf_chars == 1 && buf.chars().all(char::is_alphabetic)) {
            sections.push(std::mem::take(&mut buf));
            buf_chars = 0;
        } else {
            buf.push(c);
            buf_chars += 1;
        }
    }
    sections.push(buf);
    let count = sections.len();
    for (i, section) in sections.into_iter().enumerate() {
        let is_last = i + 1 == count;
        if section.is_empty() {
            return err(format!(
                "invalid volume {spec:?}: empty section between colons ({VOLUME_FORM})"
            ));
        }
        if source.is_none() && is_last {
            target = Some(section);
        } else if source.is_none() {
            source = Some(section);
        } else if target.is_none() {
            target = Some(section);
        } else if !is_last {
            return err(format!(
                "invalid volume {spec:?}: too many colons ({VOLUME_FORM})"
            ));
        } else {
            for option in section.split(',') {
                match option {
                    "ro" => read_only = true,
                    "rw" => read_only = false,
                    "nocopy" => nocopy = true,
                    "z" | "Z" => selinux = Some(option.to_string()),
                    "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                        propagation = Some(option.to_string())
                    }
                    _ => {}
                }
            }
        }
    }

    let is_bind = source.as_deref().is_some_and(is_file_path);
    let mut m = Map::new();
    m.insert(
        "type".into(),
        if is_bind { "bind" } else { "volume" }.into(),
    );
    if let Some(s) = source {
        m.insert("source".into(), s.into());
    }
    m.insert("target".into(), target.unwrap_or_default().into());
    if read_only {
        m.insert("read_only".into(), true.into());
    }
    if is_bind || selinux.is_some() || propagation.is_some() {
        let mut b = Map::new();
        if let Some(s) = selinux {
            b.insert("selinux".into(), s.into());
        }
        if let Some(p) = propagation {
            b.insert("propagation".into(), p.into());
        }
        if is_bind {
            b.insert("create_host_path".into(), true.into());
        }
        m.insert("bind".into(), Value::Object(b));
    }
    if !is_bind || nocopy {
        let mut v = Map::new();
        if nocopy {
            v.insert("nocopy".into(), true.into());
        }
        m.insert("volume".into(), Value::Object(v));
    }
    Ok(Value::Object(m))
}

/// Whether a short-syntax volume source is a host path (bind) rather than a volume name.
pub fn is_file_path(source: &str) -> bool {
    if source.starts_with(['.', '/', '~']) || source.starts_with("\\\\") {
        return true;
    }
    let mut chars = source.chars();
    match chars.next() {
        Some(first) => first.is_alphabetic() && source[first.len_utf8()..].starts_with(':'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::syntax::same;

    fn check_volume(spec: &str, want: Value) {
        let got = parse_volume(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(same(&got, &want), "{spec}:\n got  {got}\n want {want}");
    }

    // Corpus p-volumes-forms and cg-full-example-no-consistency (paths left unresolved).
    #[test]
    fn volumes_corpus_forms() {
        check_volume(
            "data:/data",
            json!({"type": "volume", "source": "data", "target": "/data", "volume": {}}),
        );
        check_volume(
            "./rel:/rel:ro",
            json!({"type": "bind", "source": "./rel", "target": "/rel", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "/abs:/abs:rw,z",
            json!({"type": "bind", "source": "/abs", "target": "/abs",
                   "bind": {"selinux": "z", "create_host_path": true}}),
        );
        check_volume(
            "~/home:/home",
            json!({"type": "bind", "source": "~/home", "target": "/home",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "/anon",
            json!({"type": "volume", "target": "/anon", "volume": {}}),
        );
        check_volume(
            "../up:/up",
            json!({"type": "bind", "source": "../up", "target": "/up",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "data:/nocopy:nocopy",
            json!({"type": "volume", "source": "data", "target": "/nocopy",
                   "volume": {"nocopy": true}}),
        );
        check_volume(
            "/var/lib/anonymous",
            json!({"type": "volume", "target": "/var/lib/anonymous", "volume": {}}),
        );
        check_volume(
            "/opt/data:/var/lib/data",
            json!({"type": "bind", "source": "/opt/data", "target": "/var/lib/data",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            ".:/code",
            json!({"type": "bind", "source": ".", "target": "/code",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "./static:/var/www/html",
            json!({"type": "bind", "source": "./static", "target": "/var/www/html",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "~/configs:/etc/configs:ro",
            json!({"type": "bind", "source": "~/configs", "target": "/etc/configs",
                   "read_only": true, "bind": {"create_host_path": true}}),
        );
        check_volume(
            "datavolume:/var/lib/volume",
            json!({"type": "volume", "source": "datavolume", "target": "/var/lib/volume",
                   "volume": {}}),
        );
    }

    // Observed with compose-v2 2.26.1.
    #[test]
    fn volumes_observed_edge_cases() {
        // One or two characters: a target only, and no `volume: {}`.
        check_volume("/a", json!({"type": "volume", "target": "/a"}));
        check_volume("ab", json!({"type": "volume", "target": "ab"}));
        check_volume("::", json!({"type": "volume", "target": "::"}));
        check_volume(
            "abc",
            json!({"type": "volume", "target": "abc", "volume": {}}),
        );
        check_volume(
            "data",
            json!({"type": "volume", "target": "data", "volume": {}}),
        );
        // nocopy on a bind, bind options on a volume: both objects appear.
        check_volume(
            "./x:/y:nocopy",
            json!({"type": "bind", "source": "./x", "target": "/y",
                   "bind": {"create_host_path": true}, "volume": {"nocopy": true}}),
        );
        check_volume(
            "data:/y:z",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"selinux": "z"}, "volume": {}}),
        );
        check_volume(
            "data:/y:nocopy,rshared",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"propagation": "rshared"}, "volume": {"nocopy": true}}),
        );
        check_volume(
            "data:/y:z,nocopy",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "bind": {"selinux": "z"}, "volume": {"nocopy": true}}),
        );
        // Last of ro/rw wins; unknown or differently-cased options are ignored.
        check_volume(
            "data:/y:ro,rw",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:rw,ro",
            json!({"type": "volume", "source": "data", "target": "/y", "read_only": true,
                   "volume": {}}),
        );
        check_volume(
            "data:/y:bogus",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:Ro",
            json!({"type": "volume", "source": "data", "target": "/y", "volume": {}}),
        );
        check_volume(
            "data:/y:nocopy,rw",
            json!({"type": "volume", "source": "data", "target": "/y",
                   "volume": {"nocopy": true}}),
        );
        check_volume(
            "/x:/y:shared,Z,ro",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"selinux": "Z", "propagation": "shared", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:rprivate,private",
            json!({"type": "bind", "source": "/x", "target": "/y",
                   "bind": {"propagation": "private", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:rslave,slave,rshared",
            json!({"type": "bind", "source": "/x", "target": "/y",
                   "bind": {"propagation": "rshared", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:ro,,Z",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"selinux": "Z", "create_host_path": true}}),
        );
        check_volume(
            "/x:/y:ro,",
            json!({"type": "bind", "source": "/x", "target": "/y", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        // Relative targets are not rejected here.
        check_volume(
            "data:rel",
            json!({"type": "volume", "source": "data", "target": "rel", "volume": {}}),
        );
        check_volume(
            "/x:rel",
            json!({"type": "bind", "source": "/x", "target": "rel",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "~:/h",
            json!({"type": "bind", "source": "~", "target": "/h",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "..:/h",
            json!({"type": "bind", "source": "..", "target": "/h",
                   "bind": {"create_host_path": true}}),
        );
        // Windows drives and named pipes.
        check_volume(
            r"C:\foo:/data",
            json!({"type": "bind", "source": r"C:\foo", "target": "/data",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            "C:/foo:/data:ro",
            json!({"type": "bind", "source": "C:/foo", "target": "/data", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"c:\x:d:\y:ro",
            json!({"type": "bind", "source": r"c:\x", "target": r"d:\y", "read_only": true,
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"\\.\pipe\x:\\.\pipe\x",
            json!({"type": "bind", "source": r"\\.\pipe\x", "target": r"\\.\pipe\x",
                   "bind": {"create_host_path": true}}),
        );
        check_volume(
            r"data:C:\x",
            json!({"type": "volume", "source": "data", "target": r"C:\x", "volume": {}}),
        );
        // A drive letter swallows the colon: "a:/y" is one anonymous target.
        check_volume(
            "a:/y",
            json!({"type": "volume", "target": "a:/y", "volume": {}}),
        );
        check_volume(
            "é:/y",
            json!({"type": "volume", "target": "é:/y", "volume": {}}),
        );
        check_volume(
            "a:b:c:d",
            json!({"type": "bind", "source": "a:b", "target": "c:d",
                   "bind": {"create_host_path": true}}),
        );
    }

    #[test]
    fn volumes_errors() {
        // compose: "invalid empty volume spec", "invalid spec: X: empty section between
        // colons", "invalid spec: X: too many colons".
        for (spec, phrase) in [
            ("", "empty volume"),
            ("data::ro", "empty section between colons"),
            ("data:/y:", "empty section between colons"),
            (":/y", "empty section between colons"),
            (":/text_file.txt", "empty section between colons"),
            ("data:/y:ro:x", "too many colons"),
        ] {
            let e = parse_volume(spec).expect_err(spec);
            assert!(e.message.contains(phrase), "{spec}: {}", e.message);
        }
    }

    #[test]
    fn file_paths() {
        for s in [
            ".",
            "./a",
            "../a",
            "/a",
            "~",
            "~/a",
            r"\\host\share",
            "C:",
            r"C:\x",
            "é:x",
        ] {
            assert!(is_file_path(s), "{s}");
        }
        for s in ["", "data", "a", "ab:c", "C", "1:x"] {
            assert!(!is_file_path(s), "{s}");
        }
    }
}
