//! `ports` and `expose`: `[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`, port ranges, IPv6.

use serde_json::{Map, Value};

use super::{err, SyntaxError};

const PORT_FORM: &str = "expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]";

/// Parses one short-syntax port entry into its long forms.
///
/// A range of container ports gives one entry per port. Like compose, the entries come out
/// sorted by the container port *as a string* (so `"98-101"` gives 100, 101, 98, 99). Each
/// entry is `{mode: "ingress", host_ip?, target, published?, protocol}`; `published` is a
/// string (a single port, or a `START-END` range when one container port is given a host range).
pub fn parse_port(spec: &str) -> Result<Vec<Value>, SyntaxError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let n = parts.len();
    let last = parts[n - 1];
    let (ip_raw, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };

    // CONTAINER_PORT[/PROTOCOL]; anything after a second '/' is ignored, as compose does.
    let (container, proto) = {
        let mut it = last.split('/');
        let first = it.next().unwrap_or("");
        let second = it.next();
        if first.is_empty() {
            ("", "")
        } else {
            match second {
                None | Some("") => (first, "tcp"),
                Some(p) => (first, p),
            }
        }
    };

    let host_ip = if ip_raw.is_empty() {
        String::new()
    } else {
        port_host_ip(spec, &ip_raw)?
    };

    if container.is_empty() {
        return err(format!(
            "{spec:?} is not a port mapping: no container port given ({PORT_FORM})"
        ));
    }
    let (start, end) = port_range(container).ok_or_else(|| SyntaxError {
        message: format!(
            "{spec:?} is not a port mapping: invalid container port {container:?} \
             (expected a port number 0-65535 or a range START-END)"
        ),
    })?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(port_range(host).ok_or_else(|| SyntaxError {
            message: format!(
                "{spec:?} is not a port mapping: invalid host port {host:?} \
                 (expected a port number 0-65535 or a range START-END)"
            ),
        })?)
    };
    if let Some((hs, he)) = host_range {
        if end - start != he - hs && start != end {
            return err(format!(
                "{spec:?} is not a port mapping: the host port range {host} and the container \
                 port range {container} have different lengths"
            ));
        }
    }
    let proto = proto.to_ascii_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return err(format!(
            "{spec:?} is not a port mapping: unknown protocol {proto:?} (expected tcp, udp or sctp)"
        ));
    }
    if start == 0 {
        return err(format!(
            "{spec:?} is not a port mapping: the container port must not be 0"
        ));
    }

    let mut entries: Vec<(String, Value)> = Vec::new();
    for i in 0..=(end - start) {
        let target = start + i;
        let published = host_range.map(|(hs, he)| {
            if start == end && hs != he {
                format!("{hs}-{he}")
            } else {
                (hs + i).to_string()
            }
        });
        let mut m = Map::new();
        m.insert("mode".into(), "ingress".into());
        if !host_ip.is_empty() {
            m.insert("host_ip".into(), host_ip.clone().into());
        }
        m.insert("target".into(), target.into());
        if let Some(p) = published {
            m.insert("published".into(), p.into());
        }
        m.insert("protocol".into(), proto.clone().into());
        entries.push((format!("{target}/{proto}"), Value::Object(m)));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries.into_iter().map(|(_, v)| v).collect())
}

/// A port entry written as a YAML integer (`ports: [80]`). Only whole numbers are accepted;
/// the result is the same as for the string form (`80` → one entry with target 80).
pub fn parse_port_number(v: &Value) -> Result<Vec<Value>, SyntaxError> {
    let text = match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::String(s) => return parse_port(s),
        other => {
            return err(format!(
                "{other} is not a port (expected a whole port number or a port mapping string)"
            ))
        }
    };
    parse_port(&text)
}

/// `START` or `START-END` (a third `-part` is ignored, as compose does); decimal digits only.
fn port_range(s: &str) -> Option<(u32, u32)> {
    let mut it = s.split('-');
    let a = port_number(it.next()?)?;
    match it.next() {
        None => Some((a, a)),
        Some(b) => {
            let b = port_number(b)?;
            (b >= a).then_some((a, b))
        }
    }
}

fn port_number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = s.trim_start_matches('0');
    if digits.len() > 5 {
        return None;
    }
    let n: u32 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    (n <= 65535).then_some(n)
}

/// The HOST_IP part: an IPv4 address, or any address in brackets; brackets are removed.
fn port_host_ip(spec: &str, ip: &str) -> Result<String, SyntaxError> {
    let bad = |why: &str| SyntaxError {
        message: format!(
            "{spec:?} is not a port mapping: host IP {ip:?} {why} ({PORT_FORM}; \
             write an IPv6 host IP in brackets, e.g. [::1]:80:80)"
        ),
    };
    let inner = if let Some(rest) = ip.strip_prefix('[') {
        match rest.strip_suffix(']') {
            Some(inner) if !inner.contains('[') && !inner.contains(']') => inner,
            _ => return Err(bad("has unbalanced brackets")),
        }
    } else if ip.contains(':') {
        return Err(bad("has too many colons"));
    } else if ip.contains('[') || ip.contains(']') {
        return Err(bad("has unbalanced brackets"));
    } else {
        ip
    };
    if !inner.is_empty() && inner.parse::<std::net::IpAddr>().is_err() {
        return Err(bad("is not an IP address"));
    }
    Ok(inner.to_string())
}

/// One `expose` entry. Compose keeps strings exactly as written (ranges are *not* expanded,
/// nothing is validated) and prints integers as strings.
pub fn normalize_expose(v: &Value) -> Result<String, SyntaxError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        other => err(format!(
            "{other} is not an exposed port (expected a port number or a string such as \"3000\" or \"3000-3005/udp\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::syntax::same;

    fn port(mode_ip: Option<&str>, target: u32, published: Option<&str>, proto: &str) -> Value {
        let mut m = Map::new();
        m.insert("mode".into(), "ingress".into());
        if let Some(ip) = mode_ip {
            m.insert("host_ip".into(), ip.into());
        }
        m.insert("target".into(), target.into());
        if let Some(p) = published {
            m.insert("published".into(), p.into());
        }
        m.insert("protocol".into(), proto.into());
        Value::Object(m)
    }

    /// Compares values *and* key order (serde_json's `==` ignores order).
    fn check_ports(spec: &str, want: Vec<Value>) {
        let got = parse_port(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert!(
            same(&Value::Array(got.clone()), &Value::Array(want.clone())),
            "{spec}:\n got  {}\n want {}",
            Value::Array(got),
            Value::Array(want)
        );
    }

    // Corpus p-ports-forms and cg-full-example-no-consistency.
    #[test]
    fn ports_corpus_forms() {
        check_ports("3000", vec![port(None, 3000, None, "tcp")]);
        check_ports(
            "3001-3003",
            (3001..=3003).map(|p| port(None, p, None, "tcp")).collect(),
        );
        check_ports(
            "3001-3005",
            (3001..=3005).map(|p| port(None, p, None, "tcp")).collect(),
        );
        check_ports("8000:8000", vec![port(None, 8000, Some("8000"), "tcp")]);
        check_ports("49100:22", vec![port(None, 22, Some("49100"), "tcp")]);
        check_ports(
            "9090-9091:8080-8081",
            vec![
                port(None, 8080, Some("9090"), "tcp"),
                port(None, 8081, Some("9091"), "tcp"),
            ],
        );
        check_ports(
            "127.0.0.1:8001:8001",
            vec![port(Some("127.0.0.1"), 8001, Some("8001"), "tcp")],
        );
        check_ports(
            "127.0.0.1:5000-5001:5000-5001",
            vec![
                port(Some("127.0.0.1"), 5000, Some("5000"), "tcp"),
                port(Some("127.0.0.1"), 5001, Some("5001"), "tcp"),
            ],
        );
        check_ports(
            "127.0.0.1:5000-5010:5000-5010",
            (5000..=5010)
                .map(|p| port(Some("127.0.0.1"), p, Some(&p.to_string()), "tcp"))
                .collect(),
        );
        check_ports("6060:6060/udp", vec![port(None, 6060, Some("6060"), "udp")]);
        check_ports(
            "[::1]:6001:6001",
            vec![port(Some("::1"), 6001, Some("6001"), "tcp")],
        );
        check_ports(
            "127.0.0.1::7000",
            vec![port(Some("127.0.0.1"), 7000, None, "tcp")],
        );
        // The exact JSON of one corpus entry, key order included.
        let got = parse_port("127.0.0.1:8001:8001").unwrap();
        assert_eq!(
            serde_json::to_string(&got[0]).unwrap(),
            r#"{"mode":"ingress","host_ip":"127.0.0.1","target":8001,"published":"8001","protocol":"tcp"}"#
        );
    }

    // Observed with compose-v2 2.26.1.
    #[test]
    fn ports_observed_edge_cases() {
        check_ports("80/sctp", vec![port(None, 80, None, "sctp")]);
        check_ports("80/TCP", vec![port(None, 80, None, "tcp")]);
        check_ports("80/Udp", vec![port(None, 80, None, "udp")]);
        check_ports("80/", vec![port(None, 80, None, "tcp")]);
        check_ports("80:80/udp/x", vec![port(None, 80, Some("80"), "udp")]);
        check_ports(
            "1.2.3.4:80:80/udp",
            vec![port(Some("1.2.3.4"), 80, Some("80"), "udp")],
        );
        check_ports("[::]:80:80", vec![port(Some("::"), 80, Some("80"), "tcp")]);
        check_ports(
            "[1.2.3.4]:80:80",
            vec![port(Some("1.2.3.4"), 80, Some("80"), "tcp")],
        );
        check_ports(
            "[0:0:0:0:0:0:0:1]:80:80",
            vec![port(Some("0:0:0:0:0:0:0:1"), 80, Some("80"), "tcp")],
        );
        check_ports(
            "[::ffff:1.2.3.4]:80:80",
            vec![port(Some("::ffff:1.2.3.4"), 80, Some("80"), "tcp")],
        );
        check_ports("[]:80:80", vec![port(None, 80, Some("80"), "tcp")]);
        check_ports("0.0.0.0::80", vec![port(Some("0.0.0.0"), 80, None, "tcp")]);
        check_ports(":80", vec![port(None, 80, None, "tcp")]);
        check_ports("0:80", vec![port(None, 80, Some("0"), "tcp")]);
        check_ports("080", vec![port(None, 80, None, "tcp")]);
        check_ports("080:080", vec![port(None, 80, Some("80"), "tcp")]);
        check_ports("65535:65535", vec![port(None, 65535, Some("65535"), "tcp")]);
        // One container port with a host range: the range is published as is.
        check_ports(
            "8000-8001:80",
            vec![port(None, 80, Some("8000-8001"), "tcp")],
        );
        check_ports(
            "08000-08001:80",
            vec![port(None, 80, Some("8000-8001"), "tcp")],
        );
        check_ports(
            "8000-8001:80/udp",
            vec![port(None, 80, Some("8000-8001"), "udp")],
        );
        check_ports("8000-8000:80", vec![port(None, 80, Some("8000"), "tcp")]);
        // Sorted as strings, like compose.
        check_ports(
            "98-101",
            [100, 101, 98, 99]
                .into_iter()
                .map(|p| port(None, p, None, "tcp"))
                .collect(),
        );
        check_ports(
            "9-10:9-10",
            vec![
                port(None, 10, Some("10"), "tcp"),
                port(None, 9, Some("9"), "tcp"),
            ],
        );
        // A third range part is ignored.
        check_ports(
            "1-2-3",
            vec![port(None, 1, None, "tcp"), port(None, 2, None, "tcp")],
        );
    }

    #[test]
    fn ports_errors() {
        // (spec, compose-v2's message, a phrase ours must contain)
        let cases = [
            (
                "80:80:80:80",
                "Invalid ip address 80:80: ... too many colons",
                "host IP \"80:80\"",
            ),
            (
                "::1:80:80",
                "Invalid ip address ::1: ... too many colons",
                "in brackets",
            ),
            (
                "foo:80:80",
                "Invalid ip address: foo",
                "is not an IP address",
            ),
            (
                "localhost:80:80",
                "Invalid ip address: localhost",
                "is not an IP address",
            ),
            (
                "01.2.3.4:80:80",
                "Invalid ip address: 01.2.3.4",
                "is not an IP address",
            ),
            (
                "[fe80::1%eth0]:80:80",
                "Invalid ip address: fe80::1%eth0",
                "is not an IP address",
            ),
            (
                "[::1]x:80:80",
                "Invalid ip address [::1]x: missing port",
                "brackets",
            ),
            ("1.2.3.4]:80:80", "unexpected ']' in address", "brackets"),
            ("[::1]:80", "Invalid ip address [:: missing ']'", "brackets"),
            ("a:b:c/udp", "Invalid ip address: a", "is not an IP address"),
            ("foo::", "Invalid ip address: foo", "is not an IP address"),
            (
                "abc",
                "Invalid containerPort: abc",
                "invalid container port \"abc\"",
            ),
            (
                " 80",
                "Invalid containerPort:  80",
                "invalid container port",
            ),
            (
                "0x50",
                "Invalid containerPort: 0x50",
                "invalid container port",
            ),
            (
                "+80",
                "Invalid containerPort: +80",
                "invalid container port",
            ),
            (
                "1_0",
                "Invalid containerPort: 1_0",
                "invalid container port",
            ),
            ("-1", "Invalid containerPort: -1", "invalid container port"),
            (
                "-80",
                "Invalid containerPort: -80",
                "invalid container port",
            ),
            (
                "80-",
                "Invalid containerPort: 80-",
                "invalid container port",
            ),
            (
                "80-70",
                "Invalid containerPort: 80-70",
                "invalid container port",
            ),
            (
                "65536",
                "Invalid containerPort: 65536",
                "invalid container port",
            ),
            (
                "1.2.3.4:80:x",
                "Invalid containerPort: x",
                "invalid container port",
            ),
            (
                "70000:80",
                "Invalid hostPort: 70000",
                "invalid host port \"70000\"",
            ),
            (
                "1.2.3.4:80",
                "Invalid hostPort: 1.2.3.4",
                "invalid host port",
            ),
            ("1.2.3.4:x:80", "Invalid hostPort: x", "invalid host port"),
            ("", "No port specified: <empty>", "no container port"),
            ("80:", "No port specified: 80:<empty>", "no container port"),
            (
                "/udp",
                "No port specified: /udp<empty>",
                "no container port",
            ),
            ("1.2.3.4::", "No port specified", "no container port"),
            (
                "8000-8002:80-81",
                "Invalid ranges specified",
                "different lengths",
            ),
            ("80/xyz", "Invalid proto: xyz", "unknown protocol \"xyz\""),
            ("0", "is missing a target port", "must not be 0"),
            ("80:0", "is missing a target port", "must not be 0"),
        ];
        for (spec, _compose, phrase) in cases {
            let e = parse_port(spec).expect_err(spec);
            assert!(e.message.contains(phrase), "{spec}: {}", e.message);
            assert!(e
                .message
                .starts_with(&format!("{spec:?} is not a port mapping")));
        }
    }

    #[test]
    fn port_numbers() {
        check_ports("3000", parse_port_number(&json!(3000)).unwrap());
        assert!(same(
            &Value::Array(parse_port_number(&json!(3000)).unwrap()),
            &json!([{"mode": "ingress", "target": 3000, "protocol": "tcp"}])
        ));
        for bad in [json!(70000), json!(-1), json!(0), json!(80.5), json!(true)] {
            assert!(parse_port_number(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expose_entries() {
        // Corpus p-ports-forms: ["3000", 4000, "5000-5002"] → strings, range kept.
        assert_eq!(normalize_expose(&json!("3000")).unwrap(), "3000");
        assert_eq!(normalize_expose(&json!(4000)).unwrap(), "4000");
        assert_eq!(normalize_expose(&json!("5000-5002")).unwrap(), "5000-5002");
        // Not validated by compose.
        for s in ["abc", " 80", "80/udp"] {
            assert_eq!(normalize_expose(&json!(s)).unwrap(), s);
        }
        assert_eq!(normalize_expose(&json!(-1)).unwrap(), "-1");
        assert_eq!(normalize_expose(&json!(70000)).unwrap(), "70000");
        assert!(normalize_expose(&json!(1.5)).is_err());
    }
}
