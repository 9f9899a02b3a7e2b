//! Byte sizes (`mem_limit: 512m`, `shm_size`), as Compose's `units.RAMInBytes` reads them.

use serde_json::Value;

use super::{err, SyntaxError};

const BYTES_FORM: &str =
    "expected a number of bytes with an optional unit b, k, m, g, t or p (binary, e.g. \"512m\", \"1.5gb\", \"1GiB\")";

/// Parses a compose byte size (docker's `RAMInBytes`): digits with an optional fraction, an
/// optional single space, then an optional unit `k|m|g|t|p` (any case, powers of 1024), an
/// optional `i` and an optional `b`. `"1g"`, `"1.5gb"`, `"1GiB"`, `"100 k"`, `"1024"`.
/// Fractions are truncated to whole bytes (`"1.5"` → 1). Like compose on amd64, a size too
/// large for i64 becomes `i64::MIN`.
pub fn parse_bytes(s: &str) -> Result<i64, SyntaxError> {
    let bad = || SyntaxError {
        message: format!("invalid size {s:?} ({BYTES_FORM})"),
    };
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if digits(&mut i) == 0 {
        return Err(bad());
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return Err(bad());
        }
    }
    let number = &s[..i];
    if i < b.len() && b[i] == b' ' {
        i += 1;
    }
    let mut multiplier: f64 = 1.0;
    if i < b.len() {
        let power = match b[i].to_ascii_lowercase() {
            b'k' => Some(1),
            b'm' => Some(2),
            b'g' => Some(3),
            b't' => Some(4),
            b'p' => Some(5),
            _ => None,
        };
        if let Some(p) = power {
            multiplier = 1024f64.powi(p);
            i += 1;
        }
    }
    if i < b.len() && b[i].eq_ignore_ascii_case(&b'i') {
        i += 1;
    }
    if i < b.len() && b[i].eq_ignore_ascii_case(&b'b') {
        i += 1;
    }
    if i != b.len() {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| SyntaxError {
        message: format!("invalid size {s:?}: {number:?} is not a number ({BYTES_FORM})"),
    })?;
    if !value.is_finite() {
        return Err(bad());
    }
    Ok(go_f64_to_i64(value * multiplier))
}

/// Go's float64 → int64 conversion as it behaves on amd64: truncation, and `i64::MIN` for
/// anything out of range.
fn go_f64_to_i64(f: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_63..TWO_63).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// A byte-size field as it appears in the file (`mem_limit`, `shm_size`, `tmpfs.size`, ...).
/// Integers are taken as bytes unchanged (even negative ones), strings go through
/// [`parse_bytes`]. Compose silently turns a YAML float (`mem_limit: 1.5`) into 0, which it
/// then omits; this returns `Ok(0)` for a float to match. `config` prints a non-zero result
/// as a string of digits and omits 0.
pub fn parse_bytes_value(v: &Value) -> Result<i64, SyntaxError> {
    match v {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Ok(i64::MIN)
            } else {
                Ok(0)
            }
        }
        Value::String(s) => parse_bytes(s),
        other => err(format!("{other} is not a size ({BYTES_FORM})")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bytes_like_compose() {
        let ok = [
            // corpus p-units-and-sizes, p-volumes-forms, cg-full-example
            ("512m", 536_870_912i64),
            ("1g", 1_073_741_824),
            ("64M", 67_108_864),
            ("10m", 10_485_760),
            ("50M", 52_428_800),
            ("20M", 20_971_520),
            // observed
            ("1.5gb", 1_610_612_736),
            ("100k", 102_400),
            ("1024", 1024),
            ("1GiB", 1_073_741_824),
            ("1 g", 1_073_741_824),
            ("1G", 1_073_741_824),
            ("1b", 1),
            ("1B", 1),
            ("1kib", 1024),
            ("1ki", 1024),
            ("1KB", 1024),
            ("1i", 1),
            ("1ib", 1),
            ("0", 0),
            ("1.5", 1),
            ("1.999", 1),
            ("0.3k", 307),
            ("0.1b", 0),
            ("1t", 1_099_511_627_776),
            ("1p", 1_125_899_906_842_624),
            ("1 ", 1),
            ("01m", 1_048_576),
            ("9223372036854775807", i64::MIN),
            ("9223372036854775808", i64::MIN),
            ("8388608t", i64::MIN),
            ("99999999999999999999", i64::MIN),
        ];
        for (s, want) in ok {
            assert_eq!(parse_bytes(s), Ok(want), "{s}");
        }
        // compose: "invalid size: '<s>'"; "1.5.5m" gives a ParseFloat error.
        for s in [
            "1  g", "-1", "1e3", "1e", "1eb", "lots", "", " 1g", "1g ", "1.g", ".5g", "1kbb",
            "1.5.5m", "1gg",
        ] {
            let e = parse_bytes(s).expect_err(s);
            assert!(e.message.starts_with("invalid size"), "{s}: {}", e.message);
        }
        assert!(parse_bytes("1.5.5m")
            .unwrap_err()
            .message
            .contains("\"1.5.5\" is not a number"));
    }

    #[test]
    fn bytes_values() {
        assert_eq!(parse_bytes_value(&json!(1024)), Ok(1024));
        assert_eq!(parse_bytes_value(&json!(10000)), Ok(10000)); // cg-full-example tmpfs.size
        assert_eq!(parse_bytes_value(&json!(-5)), Ok(-5));
        assert_eq!(parse_bytes_value(&json!(0)), Ok(0));
        // compose turns floats into 0 without a word
        assert_eq!(parse_bytes_value(&json!(1.5)), Ok(0));
        assert_eq!(parse_bytes_value(&json!(1024.0)), Ok(0));
        assert_eq!(parse_bytes_value(&json!("1g")), Ok(1_073_741_824));
        assert!(parse_bytes_value(&json!(true)).is_err());
        assert!(parse_bytes_value(&json!("bad")).is_err());
    }
}
