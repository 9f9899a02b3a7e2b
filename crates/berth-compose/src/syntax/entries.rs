//! Small entries: `extra_hosts`, `devices`, `environment` lines, `ulimits`, device counts,
//! short secrets and configs, Go integers.

use serde_json::{Map, Value};

use super::{err, SyntaxError};

/// One list-form `extra_hosts` entry: `host=ip` or `host:ip` (split at the first `=` if there
/// is one, else at the first `:`, so `host:::1` gives `::1`). Brackets around the IP are
/// removed (`[::1]` → `::1`). The IP is not validated (`host-gateway`, even empty, pass).
/// Compose prints each as `host=ip`, and sorts the whole list.
pub fn parse_extra_host(s: &str) -> Result<(String, String), SyntaxError> {
    let (host, ip) = s
        .split_once('=')
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| SyntaxError {
            message: format!(
                "invalid extra host {s:?}: no IP address (expected HOST=IP or HOST:IP)"
            ),
        })?;
    extra_host_pair(host, ip)
}

/// One map-form `extra_hosts` entry (`host: ip`): checks the host name and removes brackets
/// around the IP, like [`parse_extra_host`].
pub fn extra_host_pair(host: &str, ip: &str) -> Result<(String, String), SyntaxError> {
    if host.is_empty() || host.contains([':', '=']) {
        return err(format!(
            "invalid extra host name {host:?} (expected a host name without ':' or '=', as in HOST=IP)"
        ));
    }
    let ip = if ip.len() > 2 && ip.starts_with('[') && ip.ends_with(']') {
        &ip[1..ip.len() - 1]
    } else {
        ip
    };
    Ok((host.to_string(), ip.to_string()))
}

/// A short-syntax device `SOURCE[:TARGET[:PERMISSIONS]]` → `{source, target, permissions}`.
/// Compose validates none of the parts: an empty or missing target is the source, missing
/// permissions are `rwm`, an empty one is left out, and `"/dev/a:rwm"` means *target* `rwm`.
/// Empty strings are left out of the object.
pub fn parse_device(s: &str) -> Result<Value, SyntaxError> {
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() > 3 {
        return err(format!(
            "invalid device {s:?}: too many colons (expected SOURCE[:TARGET[:PERMISSIONS]], or use the long syntax)"
        ));
    }
    let source = parts[0];
    let target = match parts.get(1) {
        Some(t) if !t.is_empty() => t,
        _ => source,
    };
    let permissions = parts.get(2).copied().unwrap_or("rwm");
    let mut m = Map::new();
    for (k, v) in [
        ("source", source),
        ("target", target),
        ("permissions", permissions),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), v.into());
        }
    }
    Ok(Value::Object(m))
}

/// A list-form `environment`/`labels`/`args` entry: `"K=V"` → `(K, Some(V))` split at the
/// first `=`, `"K"` → `(K, None)`. Nothing is trimmed.
pub fn split_env_entry(s: &str) -> (String, Option<String>) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (s.to_string(), None),
    }
}

// ---------------------------------------------------------------------------------------------
// ulimits, device counts, secrets/configs
// ---------------------------------------------------------------------------------------------

/// Go's `strconv.Atoi`: optional sign, decimal digits, nothing else. Compose uses it when a
/// string stands where an integer is expected (after interpolation).
pub fn parse_go_int(s: &str) -> Result<i64, SyntaxError> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return err(format!("{s:?} is not a whole number"));
    }
    s.parse::<i64>().map_err(|_| SyntaxError {
        message: format!("{s:?} is out of range for a whole number"),
    })
}

fn int_of(v: &Value, what: &str) -> Result<i64, SyntaxError> {
    match v {
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        Value::String(s) => parse_go_int(s).map_err(|e| SyntaxError {
            message: format!("{what}: {}", e.message),
        }),
        other => err(format!("{what}: {other} is not a whole number")),
    }
}

/// One `ulimits` entry: a single number (`nproc: 65535`) stays a number, `{soft, hard}` stays
/// an object; numeric strings become numbers; zeros are left out (`nproc: 0` → `{}`).
pub fn normalize_ulimit(v: &Value) -> Result<Value, SyntaxError> {
    match v {
        Value::Object(o) => {
            let mut m = Map::new();
            for key in ["soft", "hard"] {
                let n = match o.get(key) {
                    Some(x) => int_of(x, &format!("ulimit {key}"))?,
                    None => {
                        return err(format!(
                            "a ulimit given as a mapping needs both soft and hard (missing {key})"
                        ))
                    }
                };
                if n != 0 {
                    m.insert(key.into(), n.into());
                }
            }
            Ok(Value::Object(m))
        }
        other => {
            let n = int_of(other, "ulimit")?;
            Ok(if n == 0 {
                Value::Object(Map::new())
            } else {
                n.into()
            })
        }
    }
}

/// The `count` of a device request (`deploy.resources.reservations.devices[].count`,
/// `gpus[].count`): `"all"` is -1, numbers and numeric strings are themselves.
pub fn parse_device_count(v: &Value) -> Result<i64, SyntaxError> {
    match v {
        Value::String(s) if s == "all" => Ok(-1),
        Value::String(s) => parse_go_int(s).map_err(|_| SyntaxError {
            message: format!("invalid device count {s:?} (expected \"all\" or a number)"),
        }),
        Value::Number(n) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        other => err(format!(
            "invalid device count {other} (expected \"all\" or a number)"
        )),
    }
}

/// `gpus: all` → `[{count: -1}]`.
pub fn gpus_all() -> Value {
    serde_json::json!([{ "count": -1 }])
}

/// A short-syntax service secret (`- name`): `{source, target: /run/secrets/<name>}`.
/// (Compose fills the same default target into long-form service secrets without one; build
/// secrets get no default.)
pub fn short_secret(name: &str) -> Value {
    serde_json::json!({ "source": name, "target": format!("/run/secrets/{name}") })
}

/// A short-syntax config or build secret (`- name`): `{source}` with no default target.
pub fn short_config(name: &str) -> Value {
    serde_json::json!({ "source": name })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::syntax::same;

    #[test]
    fn extra_hosts_like_compose() {
        let pair = |h: &str, ip: &str| Ok((h.to_string(), ip.to_string()));
        // corpus cg-full-example
        assert_eq!(
            parse_extra_host("otherhost:50.31.209.229"),
            pair("otherhost", "50.31.209.229")
        );
        // observed
        assert_eq!(parse_extra_host("h:1.2.3.4"), pair("h", "1.2.3.4"));
        assert_eq!(parse_extra_host("h=1.2.3.4"), pair("h", "1.2.3.4"));
        assert_eq!(parse_extra_host("h:::1"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h::1"), pair("h", ":1"));
        assert_eq!(parse_extra_host("h=::1"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h:[::1]"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h=[::1]"), pair("h", "::1"));
        assert_eq!(parse_extra_host("h:"), pair("h", ""));
        assert_eq!(parse_extra_host("h= 1.2.3.4"), pair("h", " 1.2.3.4"));
        assert_eq!(parse_extra_host("h :1.2.3.4"), pair("h ", "1.2.3.4"));
        assert_eq!(parse_extra_host("h:notanip"), pair("h", "notanip"));
        assert_eq!(
            parse_extra_host("h:host-gateway"),
            pair("h", "host-gateway")
        );
        assert_eq!(parse_extra_host("a=b=c"), pair("a", "b=c"));
        assert_eq!(parse_extra_host("a=b:c"), pair("a", "b:c"));
        assert_eq!(extra_host_pair("g", "[::1]"), pair("g", "::1"));
        assert_eq!(extra_host_pair("g", "[]"), pair("g", "[]"));
        // compose: "invalid additional host, missing IP: h", "bad host name 'a:b'"
        assert!(parse_extra_host("h").unwrap_err().message.contains("no IP"));
        assert!(parse_extra_host("a:b=c")
            .unwrap_err()
            .message
            .contains("host name \"a:b\""));
        assert!(parse_extra_host("=1.2.3.4").is_err());
        assert!(parse_extra_host(":1.2.3.4").is_err());
    }

    #[test]
    fn devices_like_compose() {
        let cases = [
            // corpus cg-full-example
            (
                "/dev/ttyUSB0:/dev/ttyUSB0",
                json!({"source": "/dev/ttyUSB0", "target": "/dev/ttyUSB0", "permissions": "rwm"}),
            ),
            // observed
            (
                "/dev/a",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"}),
            ),
            (
                "/dev/a:/dev/b",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "rwm"}),
            ),
            (
                "/dev/a:/dev/b:r",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "r"}),
            ),
            (
                "/dev/a:/dev/b:rwx",
                json!({"source": "/dev/a", "target": "/dev/b", "permissions": "rwx"}),
            ),
            (
                "/dev/a:rwm",
                json!({"source": "/dev/a", "target": "rwm", "permissions": "rwm"}),
            ),
            (
                "/dev/a:",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "rwm"}),
            ),
            (
                "/dev/a::r",
                json!({"source": "/dev/a", "target": "/dev/a", "permissions": "r"}),
            ),
            (
                "/dev/a:/dev/b:",
                json!({"source": "/dev/a", "target": "/dev/b"}),
            ),
            (":/dev/b", json!({"target": "/dev/b", "permissions": "rwm"})),
            ("", json!({"permissions": "rwm"})),
            (
                r"C:\dev",
                json!({"source": "C", "target": r"\dev", "permissions": "rwm"}),
            ),
            (
                "vendor.com/gpu=all",
                json!({"source": "vendor.com/gpu=all", "target": "vendor.com/gpu=all", "permissions": "rwm"}),
            ),
        ];
        for (s, want) in cases {
            let got = parse_device(s).unwrap();
            assert!(same(&got, &want), "{s}: {got}");
        }
        // compose: "confusing device mapping, please use long syntax: ..."
        assert!(parse_device("/dev/a:/dev/b:rw:x")
            .unwrap_err()
            .message
            .contains("too many colons"));
    }

    #[test]
    fn env_entries() {
        let s = |k: &str, v: Option<&str>| (k.to_string(), v.map(str::to_string));
        assert_eq!(split_env_entry("K=V"), s("K", Some("V")));
        assert_eq!(split_env_entry("K="), s("K", Some("")));
        assert_eq!(split_env_entry("K"), s("K", None));
        assert_eq!(split_env_entry("K=a=b"), s("K", Some("a=b")));
        assert_eq!(split_env_entry(" K = V "), s(" K ", Some(" V ")));
        assert_eq!(split_env_entry("=V"), s("", Some("V")));
        assert_eq!(split_env_entry("FOO=BAR"), s("FOO", Some("BAR")));
    }

    #[test]
    fn ulimits_like_compose() {
        let cases = [
            // corpus p-units-and-sizes / cg-full-example
            (json!(65535), json!(65535)),
            (
                json!({"soft": 20000, "hard": 40000}),
                json!({"soft": 20000, "hard": 40000}),
            ),
            // observed
            (json!("65535"), json!(65535)),
            (json!("+5"), json!(5)),
            (json!(-1), json!(-1)),
            (json!(0), json!({})),
            (json!({"soft": 0, "hard": 0}), json!({})),
            (
                json!({"soft": "5", "hard": "6"}),
                json!({"soft": 5, "hard": 6}),
            ),
            (json!({"hard": 5, "soft": 9}), json!({"soft": 9, "hard": 5})),
        ];
        for (v, want) in cases {
            let got = normalize_ulimit(&v).unwrap();
            assert!(same(&got, &want), "{v}: {got}");
        }
        for bad in [
            json!("abc"),
            json!(" 5"),
            json!(1.5),
            json!({"soft": 5}),
            json!({"hard": 5}),
        ] {
            assert!(normalize_ulimit(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_counts_and_gpus() {
        assert_eq!(parse_device_count(&json!("all")), Ok(-1));
        assert_eq!(parse_device_count(&json!(2)), Ok(2));
        assert_eq!(parse_device_count(&json!("3")), Ok(3));
        assert!(parse_device_count(&json!("alls"))
            .unwrap_err()
            .message
            .contains("expected \"all\" or a number"));
        assert_eq!(gpus_all(), json!([{"count": -1}]));
    }

    #[test]
    fn short_secrets_and_configs() {
        // corpus p-secrets-configs-forms
        assert!(same(
            &short_secret("s1"),
            &json!({"source": "s1", "target": "/run/secrets/s1"})
        ));
        assert!(same(&short_config("c1"), &json!({"source": "c1"})));
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("0440"), Ok(440));
        assert_eq!(parse_go_int("-1"), Ok(-1));
        assert_eq!(parse_go_int("+5"), Ok(5));
        for s in [
            "",
            "+",
            "0o440",
            "abc",
            " 5",
            "5 ",
            "1_0",
            "99999999999999999999",
        ] {
            assert!(parse_go_int(s).is_err(), "{s}");
        }
    }
}
