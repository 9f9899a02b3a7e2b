//! Durations: Go's `time.ParseDuration` and `Duration.String`, as Compose reads and prints them.

use std::time::Duration;

use super::{err, SyntaxError};

const DURATION_FORM: &str =
    "expected a Go duration such as \"90s\", \"1m30s\", \"1.5h\" or \"500ms\"; units are ns, us, ms, s, m, h";

/// Parses Go duration syntax (`"1m30s"`, `"1.5s"`, `"90us"`, `"-2h"`, `"0"`) into signed
/// nanoseconds, exactly as Go's `time.ParseDuration` does (including its truncation of
/// sub-nanosecond fractions and its range limit of about 292 years).
pub fn parse_duration_nanos(s: &str) -> Result<i64, SyntaxError> {
    let bad = || SyntaxError {
        message: format!("invalid duration {s:?} ({DURATION_FORM})"),
    };
    const LIMIT: u64 = 1 << 63;
    let mut rest = s;
    let mut neg = false;
    if let Some(r) = rest.strip_prefix('-') {
        neg = true;
        rest = r;
    } else if let Some(r) = rest.strip_prefix('+') {
        rest = r;
    }
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let b = rest.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(bad());
        }
        // Whole part.
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut whole: u64 = 0;
        for &c in &b[..int_len] {
            if whole > LIMIT / 10 {
                return Err(bad());
            }
            whole = whole * 10 + u64::from(c - b'0');
            if whole > LIMIT {
                return Err(bad());
            }
        }
        rest = &rest[int_len..];
        // Fraction: digits past the point where they would overflow are dropped.
        let mut frac: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut frac_len = 0;
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
            frac_len = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
            let mut overflow = false;
            for &c in &rest.as_bytes()[..frac_len] {
                if overflow {
                    continue;
                }
                if frac > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = frac * 10 + u64::from(c - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                frac = next;
                scale *= 10.0;
            }
            rest = &rest[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(bad());
        }
        // Unit: everything up to the next digit or '.'.
        let unit_len = rest
            .bytes()
            .take_while(|c| !(*c == b'.' || c.is_ascii_digit()))
            .count();
        if unit_len == 0 {
            return err(format!(
                "invalid duration {s:?}: a number has no unit ({DURATION_FORM})"
            ));
        }
        let unit_text = &rest[..unit_len];
        rest = &rest[unit_len..];
        let unit: u64 = match unit_text {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return err(format!(
                    "invalid duration {s:?}: unknown unit {unit_text:?} ({DURATION_FORM})"
                ))
            }
        };
        if whole > LIMIT / unit {
            return Err(bad());
        }
        let mut v = whole * unit;
        if frac > 0 {
            // Go does this step in float64; doing the same keeps the truncation identical.
            v += (frac as f64 * (unit as f64 / scale)) as u64;
            if v > LIMIT {
                return Err(bad());
            }
        }
        total += v;
        if total > LIMIT {
            return Err(bad());
        }
    }
    if neg {
        Ok(-(total as i128) as i64)
    } else if total > LIMIT - 1 {
        Err(bad())
    } else {
        Ok(total as i64)
    }
}

/// Parses Go duration syntax into a [`Duration`]. Go allows negative durations (and compose
/// prints them back, e.g. `stop_grace_period: -1s`); a `Duration` cannot hold one, so they are
/// an error here. Use [`parse_duration_nanos`] to keep them.
pub fn parse_duration(s: &str) -> Result<Duration, SyntaxError> {
    let n = parse_duration_nanos(s)?;
    if n < 0 {
        return err(format!(
            "invalid duration {s:?}: it must not be negative ({DURATION_FORM})"
        ));
    }
    Ok(Duration::from_nanos(n as u64))
}

/// Go's `Duration.String()` for signed nanoseconds: `"1m30s"`, `"1h0m0s"`, `"1.5s"`,
/// `"500ms"`, `"90µs"` (U+00B5), `"0s"`, `"-1s"`.
pub fn format_go_duration_nanos(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        if u < 1_000 {
            out = format!("{u}ns");
        } else if u < 1_000_000 {
            let (w, f) = split_fraction(u, 3);
            out = format!("{w}{f}\u{b5}s");
        } else {
            let (w, f) = split_fraction(u, 6);
            out = format!("{w}{f}ms");
        }
    } else {
        let (secs, f) = split_fraction(u, 9);
        u = secs;
        out.insert_str(0, &format!("{}{f}s", u % 60));
        u /= 60;
        if u > 0 {
            out.insert_str(0, &format!("{}m", u % 60));
            u /= 60;
            if u > 0 {
                out.insert_str(0, &format!("{u}h"));
            }
        }
    }
    if nanos < 0 {
        out.insert(0, '-');
    }
    out
}

/// Go's `Duration.String()`: `"1m30s"`, `"1m0s"`, `"500ms"`, `"0s"`, `"1h0m0s"`.
/// Durations beyond Go's range (about 292 years) are clamped to its maximum.
pub fn format_go_duration(d: Duration) -> String {
    let n = i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
    format_go_duration_nanos(n)
}

/// What compose prints for a duration field: parsed and printed back in Go's form
/// (`"90s"` → `"1m30s"`, `"1500ms"` → `"1.5s"`, `"0"` → `"0s"`).
pub fn normalize_duration(s: &str) -> Result<String, SyntaxError> {
    parse_duration_nanos(s).map(format_go_duration_nanos)
}

/// Splits `v` into `v / 10^prec` and the fractional digits as ".ddd" with trailing zeros
/// removed ("" when they are all zero).
fn split_fraction(v: u64, prec: u32) -> (u64, String) {
    let p = 10u64.pow(prec);
    let frac = v % p;
    if frac == 0 {
        return (v / p, String::new());
    }
    let digits = format!("{frac:0width$}", width = prec as usize);
    (v / p, format!(".{}", digits.trim_end_matches('0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_go() {
        let ok = [
            ("0", 0i64),
            ("-0", 0),
            ("+0", 0),
            ("0s", 0),
            ("0h0m", 0),
            ("1m30s", 90_000_000_000),
            ("90s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("90us", 90_000),
            ("1\u{b5}s", 1_000),
            ("1\u{3bc}s", 1_000),
            ("1ns", 1),
            ("500ms", 500_000_000),
            ("1500ms", 1_500_000_000),
            ("2h45m", 9_900_000_000_000),
            ("1h1h", 7_200_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-1s", -1_000_000_000),
            ("+5s", 5_000_000_000),
            ("0.0000000001s", 0),
            ("1.0000000009s", 1_000_000_000),
            ("3h2m1.000001s", 10_921_000_001_000),
            ("2562047h", 2_562_047 * 3_600_000_000_000),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
        ];
        for (s, want) in ok {
            assert_eq!(parse_duration_nanos(s), Ok(want), "{s}");
        }
        // compose-v2 (Go) messages: missing unit / unknown unit " s" / invalid duration.
        for (s, phrase) in [
            ("5", "has no unit"),
            ("", "invalid duration \"\""),
            ("-", "invalid duration"),
            (".", "invalid duration"),
            ("5 s", "unknown unit \" s\""),
            ("5 seconds", "unknown unit \" seconds\""),
            (" 5s", "invalid duration"),
            ("5S", "unknown unit \"S\""),
            ("1d", "unknown unit \"d\""),
            ("00", "has no unit"),
            ("2562048h", "invalid duration"),
            ("9223372036854775808ns", "invalid duration"),
            ("1s-1s", "unknown unit \"s-\""),
        ] {
            let e = parse_duration_nanos(s).expect_err(s);
            assert!(e.message.contains(phrase), "{s}: {}", e.message);
        }
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn durations_format_like_go() {
        let cases = [
            (0i64, "0s"),
            (1, "1ns"),
            (999, "999ns"),
            (1_000, "1\u{b5}s"),
            (1_500, "1.5\u{b5}s"),
            (90_000, "90\u{b5}s"),
            (1_000_000, "1ms"),
            (500_000_000, "500ms"),
            (1_500_000_000, "1.5s"),
            (60_000_000_000, "1m0s"),
            (90_000_000_000, "1m30s"),
            (60_500_000_000, "1m0.5s"),
            (3_600_000_000_000, "1h0m0s"),
            (10_921_000_001_000, "3h2m1.000001s"),
            (-1_000_000_000, "-1s"),
            (i64::MAX, "2562047h47m16.854775807s"),
            (i64::MIN, "-2562047h47m16.854775808s"),
        ];
        for (n, want) in cases {
            assert_eq!(format_go_duration_nanos(n), want, "{n}");
        }
        assert_eq!(format_go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(format_go_duration(Duration::ZERO), "0s");
    }

    // Corpus: healthcheck/stop_grace_period kept as given when already canonical; deploy
    // durations 60s → "1m0s", 120s → "2m0s". Observed: compose normalises all of them.
    #[test]
    fn durations_normalize_like_compose() {
        for (s, want) in [
            ("1m30s", "1m30s"),
            ("10s", "10s"),
            ("40s", "40s"),
            ("60s", "1m0s"),
            ("120s", "2m0s"),
            ("90s", "1m30s"),
            ("1.5s", "1.5s"),
            ("1h", "1h0m0s"),
            ("500ms", "500ms"),
            ("0.5s", "500ms"),
            ("0", "0s"),
            ("-0", "0s"),
            ("90us", "90\u{b5}s"),
            ("1h1h", "2h0m0s"),
            ("1m0.5s", "1m0.5s"),
            ("-1s", "-1s"),
        ] {
            assert_eq!(normalize_duration(s).unwrap(), want, "{s}");
        }
    }
}
