//! Time as the engine writes it: RFC 3339 timestamps (log lines, events, container states)
//! to and from Unix time, how precisely each engine stamps its log lines, and how far its
//! clock is from ours.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Engine, EngineKind};

impl Engine {
    /// A moment as a log timestamp as precise as this engine stamps its log lines: Podman
    /// 4.3's API stamps them in whole seconds, so there a moment is the start of its second (a
    /// line logged later in that second must not compare as older).
    pub fn log_moment(&self, t: SystemTime) -> String {
        let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
        let nanos = if self.kind == EngineKind::Podman {
            0
        } else {
            d.subsec_nanos()
        };
        format_unix(d.as_secs() as i64, nanos)
    }

    /// How far the engine's clock runs ahead of this machine's, in nanoseconds (negative:
    /// behind), from its `/info` time halfway through the round trip. `None` when the engine
    /// does not say, or when the difference is within the round trip: a local engine shares
    /// this clock. A remote engine or one in a VM (Docker Desktop, `podman machine`) can drift;
    /// the log timestamps compared with "now" are the engine's.
    pub async fn clock_offset(&self) -> Option<i128> {
        let t0 = SystemTime::now();
        let info = self.docker.info().await.ok()?;
        let t1 = SystemTime::now();
        let theirs = parse_unix_nanos(info.system_time.as_deref()?)?;
        let ns = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as i128)
                .unwrap_or(0)
        };
        let rtt = ns(t1) - ns(t0);
        let offset = theirs - (ns(t0) + rtt / 2);
        (offset.abs() > rtt.max(1_000_000)).then_some(offset)
    }
}

/// Unix time as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC).
pub fn format_unix(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Unix seconds of a timestamp (`2024-01-02T03:04:05[.n](Z|±hh:mm)` or a date).
pub fn parse_unix(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (mut hh, mut mm, mut ss, mut off) = (0, 0, 0, 0i64);
    if b.len() > 10 {
        if b[10] != b'T' && b[10] != b' ' {
            return None;
        }
        hh = num(11..13)?;
        mm = num(14..16)?;
        if b.len() >= 19 && b[16] == b':' {
            ss = num(17..19)?;
        }
        let tail = &s[16.min(s.len())..];
        if let Some(p) = tail.rfind(['+', '-']) {
            let z = &tail[p..];
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() == 4 {
                let h: i64 = digits[..2].parse().ok()?;
                let mi: i64 = digits[2..].parse().ok()?;
                off = sign * (h * 3600 + mi * 60);
            }
        }
    }
    // days_from_civil.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss - off)
}

/// Unix nanoseconds of an RFC 3339 timestamp (`2024-01-02T03:04:05.123456789Z`, any offset).
pub fn parse_unix_nanos(s: &str) -> Option<i128> {
    let secs = parse_unix(s)? as i128;
    let frac = s
        .get(19..)
        .and_then(|t| t.strip_prefix('.'))
        .map(|t| {
            t.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .unwrap_or_default();
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
    Some(secs * 1_000_000_000 + frac.parse::<i128>().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trip() {
        let t = parse_unix("2024-02-29T12:34:56Z").unwrap_or(0);
        assert_eq!(format_unix(t, 5), "2024-02-29T12:34:56.000000005Z");
        assert_eq!(parse_unix("1970-01-01T01:00:00+01:00"), Some(0));
        // Docker's /info SystemTime, and one with a zone offset.
        assert_eq!(
            parse_unix_nanos("2026-12-02T11:09:23.261261348Z"),
            Some(1_796_209_763_261_261_348)
        );
        assert_eq!(
            parse_unix_nanos("2026-12-02T12:09:23.5+01:00"),
            Some(1_796_209_763_500_000_000)
        );
        assert_eq!(
            parse_unix_nanos("1970-01-01T00:00:01Z"),
            Some(1_000_000_000)
        );
    }
}
