//! Reading the files a project names (compose files, `.env` and `env_file`s, label files),
//! bounded: only regular files (a FIFO would block, `/dev/zero` never ends), and no more than
//! a size no real file of the kind reaches. One rule for every reader.

use std::io::Read;
use std::path::Path;

/// The most a compose file may hold (the largest real ones are well under a megabyte).
pub const MAX_COMPOSE_FILE: u64 = 16 * 1024 * 1024;
/// The most an `.env`, `env_file` or label file may hold.
pub const MAX_ENV_FILE: u64 = 4 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Missing, unreadable, not UTF-8: the I/O error says which.
    Io(std::io::Error),
    /// A directory, FIFO, socket or device.
    NotRegular(&'static str),
    TooBig {
        limit: u64,
    },
    /// Not UTF-8 (nor UTF-16 with a byte-order mark): where the first bad byte is.
    NotText {
        line: u32,
        col: u32,
    },
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(kind) => {
                write!(f, "it is a {kind}, not a regular file: berth reads files only")
            }
            ReadError::NotText { line, col } => write!(
                f,
                "line {line}, column {col}: the file is not UTF-8 text (nor UTF-16 with a byte-order mark)"
            ),
            ReadError::TooBig { limit } => write!(
                f,
                "it is larger than {} MiB, more than any real file of its kind: is it the right file?",
                limit / (1024 * 1024)
            ),
        }
    }
}

/// The text of the regular file at `path`, if it holds at most `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    // Looked at before opening: opening a FIFO for reading blocks until someone writes.
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        use std::os::unix::fs::FileTypeExt;
        let kind = if ft.is_dir() {
            "directory"
        } else if ft.is_fifo() {
            "named pipe (FIFO)"
        } else if ft.is_socket() {
            "socket"
        } else if ft.is_char_device() || ft.is_block_device() {
            "device"
        } else {
            "special file"
        };
        return Err(ReadError::NotRegular(kind));
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig { limit });
    }
    decode(bytes)
}

/// UTF-8 (a byte-order mark dropped), or UTF-16 when a byte-order mark says so, as Compose
/// reads them.
pub fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    let utf16 = |rest: &[u8], big_endian: bool| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| ReadError::NotText { line: 1, col: 1 })
    };
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, rest @ ..] => decode(rest.to_vec()),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, false),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, true),
        _ => String::from_utf8(bytes).map_err(|e| {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let col = String::from_utf8_lossy(&good[line_start..]).chars().count() as u32 + 1;
            ReadError::NotText { line, col }
        }),
    }
}

/// Standard input (`-f -`), with the compose file's limit.
pub fn read_stdin(limit: u64) -> Result<String, ReadError> {
    let mut text = String::new();
    std::io::stdin()
        .take(limit + 1)
        .read_to_string(&mut text)
        .map_err(ReadError::Io)?;
    if text.len() as u64 > limit {
        return Err(ReadError::TooBig { limit });
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_fifos_and_directories_are_refused_without_reading() {
        let e = read_text(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.to_string().contains("device"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        assert!(read_text(dir.path(), 1024)
            .unwrap_err()
            .to_string()
            .contains("directory"));
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        // Returns at once (opening it would block forever).
        assert!(read_text(&fifo, 1024)
            .unwrap_err()
            .to_string()
            .contains("FIFO"));
    }

    #[test]
    fn utf8_with_a_bom_utf16_and_where_bad_bytes_are() {
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1".to_vec()).unwrap(), "a: 1");
        let mut le = vec![0xFF, 0xFE];
        le.extend("a: é".encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(decode(le).unwrap(), "a: é");
        let mut be = vec![0xFE, 0xFF];
        be.extend("b: 2".encode_utf16().flat_map(|u| u.to_be_bytes()));
        assert_eq!(decode(be).unwrap(), "b: 2");
        assert!(matches!(
            decode(b"a: 1\nbb: \xFF\n".to_vec()),
            Err(ReadError::NotText { line: 2, col: 5 })
        ));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_at_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "x".repeat(100)).unwrap();
        assert_eq!(read_text(&p, 100).unwrap().len(), 100);
        assert!(matches!(
            read_text(&p, 99),
            Err(ReadError::TooBig { limit: 99 })
        ));
        assert!(read_text(&dir.path().join("missing"), 1)
            .unwrap_err()
            .is_not_found());
    }
}
