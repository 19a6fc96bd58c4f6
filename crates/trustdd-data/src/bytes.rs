//! Reading files whole, transparently un-gzipping them.

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;
use trustdd_core::{Error, Result};

/// The two magic bytes every gzip stream starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads `path` whole; gzip data (recognised by its magic bytes, not by the extension) is
/// decompressed.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read, [`Error::Format`] for a corrupt gzip stream.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_maybe_gzip(raw, path)
}

/// Decompresses `raw` when it is gzip data, else returns it unchanged; `path` names the source in
/// errors.
///
/// # Errors
/// [`Error::Format`] for a corrupt or truncated gzip stream.
pub fn decode_maybe_gzip(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    GzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::format(path, "gzip", e.to_string()))?;
    Ok(out)
}

/// Reads a UTF-8 text file.
///
/// # Errors
/// [`Error::Io`] when it cannot be read, [`Error::Format`] when it is not UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(raw).map_err(|e| Error::format(path, "UTF-8 text", e.to_string()))
}

/// Non-empty trimmed lines of a text file (class-name lists).
pub fn read_lines(path: &Path) -> Result<Vec<String>> {
    Ok(read_text(path)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    #[test]
    fn gzip_is_detected_by_magic_not_extension() {
        let dir = tempfile::tempdir().unwrap();
        let payload = b"hello idx".to_vec();
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&payload).unwrap();
        let gz = enc.finish().unwrap();
        // A gzip stream under a plain name and plain bytes under a .gz name.
        let a = dir.path().join("plain-name");
        std::fs::write(&a, &gz).unwrap();
        let b = dir.path().join("looks.gz");
        std::fs::write(&b, &payload).unwrap();
        assert_eq!(read_maybe_gzip(&a).unwrap(), payload);
        assert_eq!(read_maybe_gzip(&b).unwrap(), payload);
        let c = dir.path().join("broken");
        std::fs::write(&c, &gz[..gz.len() / 2]).unwrap();
        assert!(matches!(read_maybe_gzip(&c), Err(Error::Format { .. })));
    }
}
