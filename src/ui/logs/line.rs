//! A log line, and the assembly of a container's timestamped chunks into whole lines.

use std::sync::Arc;

/// A log line: its engine timestamp (RFC 3339, nanoseconds), source and bytes (with `\n`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub ts: String,
    pub seq: u64,
    pub name: Arc<str>,
    pub service: Arc<str>,
    pub bytes: Vec<u8>,
    /// A message of berth's (`web-1 exited with code 0`), printed without a prefix.
    pub note: bool,
}

/// Is `s` a Docker log timestamp (`2024-01-02T03:04:05.123456789Z`)?
fn is_ts(s: &[u8]) -> bool {
    s.len() >= 20
        && s[4] == b'-'
        && s[7] == b'-'
        && s[10] == b'T'
        && s[13] == b':'
        && s[16] == b':'
        && s[..4].iter().all(u8::is_ascii_digit)
        && (s.ends_with(b"Z") || s.contains(&b'+'))
}

/// Pads the fraction to nanoseconds so that timestamps compare as strings.
pub fn normalize_ts(ts: &str) -> String {
    let body = ts.trim_end_matches('Z');
    let (main, frac) = body.split_once('.').unwrap_or((body, ""));
    format!("{main}.{frac:0<9}Z")
}

/// Joins a container's timestamped chunks into whole lines.
#[derive(Default)]
pub struct Assembler {
    pending: Vec<u8>,
    pending_ts: String,
}

impl Assembler {
    /// Feeds one chunk (`<ts> <bytes>`); returns the lines it completes, with their timestamps.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut data = chunk;
        let mut ts = None;
        if let Some(sp) = data.iter().take(40).position(|b| *b == b' ') {
            if is_ts(&data[..sp]) {
                ts = Some(normalize_ts(&String::from_utf8_lossy(&data[..sp])));
                data = &data[sp + 1..];
            }
        }
        let mut out = Vec::new();
        for piece in data.split_inclusive(|b| *b == b'\n') {
            if self.pending.is_empty() {
                self.pending_ts = ts.clone().unwrap_or_else(|| self.pending_ts.clone());
            }
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                out.push((self.pending_ts.clone(), std::mem::take(&mut self.pending)));
            }
        }
        out
    }
    /// The unfinished last line, if any.
    pub fn finish(&mut self) -> Option<(String, Vec<u8>)> {
        if self.pending.is_empty() {
            return None;
        }
        let mut l = std::mem::take(&mut self.pending);
        l.push(b'\n');
        Some((self.pending_ts.clone(), l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_lines_across_chunks_and_strips_timestamps() {
        let mut a = Assembler::default();
        assert!(a.push(b"2024-01-02T03:04:05.1Z hel").is_empty());
        let l = a.push(b"lo\nwor");
        assert_eq!(
            l,
            vec![("2024-01-02T03:04:05.100000000Z".into(), b"hello\n".to_vec())]
        );
        let l = a.push(b"2024-01-02T03:04:06.000000001Z \xffld\n");
        assert_eq!(l[0].1, b"wor\xffld\n".to_vec());
        assert!(a.finish().is_none());
    }
}
