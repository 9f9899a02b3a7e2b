//! Units: Go durations to whole seconds, byte counts and CPU counts to canonical Kubernetes
//! quantities (`512Mi`, `500m`), and a check for quantities written by hand.

use berth_compose::syntax::parse_duration_nanos;

/// A Go duration (`1m30s`, `500ms`, `1h`, `0`, as Go's `time.ParseDuration` reads them;
/// surrounding blanks ignored, as label values may carry them) in whole seconds, rounded up,
/// and whether rounding changed it. `None` for text that is not a duration, and for a negative
/// one: no Kubernetes field berth fills takes one.
pub fn duration_secs(s: &str) -> Option<(i64, bool)> {
    let ns = u64::try_from(parse_duration_nanos(s.trim()).ok()?).ok()?;
    let secs = ns.div_ceil(1_000_000_000);
    let exact = ns % 1_000_000_000 == 0;
    Some((i64::try_from(secs).ok()?, !exact))
}

/// A byte count as the shortest exact binary quantity: `536870912` → `512Mi`, `1000` → `1000`.
pub fn bytes_quantity(b: i64) -> String {
    if b <= 0 {
        return "0".into();
    }
    for (suffix, unit) in [
        ("Ei", 1i64 << 60),
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if b >= unit && b % unit == 0 {
            return format!("{}{suffix}", b / unit);
        }
    }
    b.to_string()
}

/// A CPU count as a quantity: `0.5` → `500m`, `2` → `2`, `0.0001` → `1m` (rounded up).
pub fn cpu_quantity(cpus: f64) -> String {
    let milli = (cpus * 1000.0).round().max(1.0) as i64;
    if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

/// Whether `s` is a Kubernetes quantity (`1Gi`, `500m`, `1.5`, `2e3`).
pub fn is_quantity(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let num_len = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(num_len);
    if num.is_empty() || num == "." || num.matches('.').count() > 1 {
        return false;
    }
    match suffix {
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T"
        | "P" | "E" => true,
        e if e.starts_with(['e', 'E']) => {
            let exp = &e[1..];
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// Parses a size as compose writes them (`10g`, `512m`, `1gb`, bytes) or a Kubernetes quantity
/// (`10Gi`) into the quantity berth emits. Compose's units are binary, so `10g` is `10Gi`.
pub fn size_quantity(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<i64>() {
        return Some(bytes_quantity(n));
    }
    let lower = t.to_ascii_lowercase();
    let num_len = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (num, unit) = lower.split_at(num_len);
    let compose_unit = match unit {
        "b" => Some(1i64),
        "k" | "kb" => Some(1 << 10),
        "m" | "mb" => Some(1 << 20),
        "g" | "gb" => Some(1 << 30),
        "t" | "tb" => Some(1 << 40),
        _ => None,
    };
    // Kubernetes suffixes are case-sensitive: try them on the original text first.
    if is_quantity(t) && !(compose_unit.is_some() && t.ends_with(['k', 'm', 'g', 't', 'b'])) {
        return Some(t.to_string());
    }
    let n: f64 = num.parse().ok()?;
    let unit = compose_unit?;
    Some(bytes_quantity((n * unit as f64).round() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_secs("1m30s"), Some((90, false)));
        assert_eq!(duration_secs("500ms"), Some((1, true)));
        assert_eq!(duration_secs("10s"), Some((10, false)));
        assert_eq!(duration_secs("1h"), Some((3600, false)));
        assert_eq!(duration_secs("0"), Some((0, false)));
        assert_eq!(duration_secs("1.5s"), Some((2, true)));
        assert_eq!(duration_secs("bogus"), None);
        assert_eq!(duration_secs("90us"), Some((1, true)));
        assert_eq!(duration_secs(" 10s "), Some((10, false)));
        assert_eq!(duration_secs("-1s"), None);
        assert_eq!(duration_secs("10"), None);
        // Go drops digits beyond the nanosecond: this is exactly one second.
        assert_eq!(duration_secs("1.0000000009s"), Some((1, false)));
    }

    #[test]
    fn quantities() {
        assert_eq!(bytes_quantity(52428800), "50Mi");
        assert_eq!(bytes_quantity(10000), "10000");
        assert_eq!(bytes_quantity(10 << 30), "10Gi");
        assert_eq!(cpu_quantity(0.5), "500m");
        assert_eq!(cpu_quantity(2.0), "2");
        assert_eq!(cpu_quantity(1.25), "1250m");
        assert!(is_quantity("1Gi"));
        assert!(is_quantity("500m"));
        assert!(is_quantity("1e3"));
        assert!(!is_quantity("1GB"));
        assert!(!is_quantity("abc"));
        assert_eq!(size_quantity("10g").as_deref(), Some("10Gi"));
        assert_eq!(size_quantity("10Gi").as_deref(), Some("10Gi"));
        assert_eq!(size_quantity("512mb").as_deref(), Some("512Mi"));
        assert_eq!(size_quantity("1048576").as_deref(), Some("1Mi"));
        assert_eq!(size_quantity("nope"), None);
    }
}
