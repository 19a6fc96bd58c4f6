//! Writing output files so that a reader never sees half of one.

use crate::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
/// `path`. An interrupted run leaves either the old file or the new one, never a torn file.
///
/// # Errors
/// [`Error::InvalidParameter`] when `path` names no file; [`Error::Io`] naming the file that
/// could not be written or renamed (the temporary file is removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().ok_or_else(|| {
        Error::invalid(
            "output path",
            path.display(),
            "a path ending in a file name",
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The process id keeps two concurrent writers of the same file from sharing a temporary.
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary() {
        let dir = std::env::temp_dir().join(format!("trustdd-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("report.json");
        std::fs::write(&path, b"old").unwrap();
        write_atomic(&path, b"{\"rate\": 0.4}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"rate\": 0.4}");
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.json")]);
        let err = write_atomic(&dir.join("missing/r.json"), b"x").unwrap_err();
        assert!(
            matches!(&err, Error::Io { path, .. } if path.to_string_lossy().contains("missing")),
            "{err}"
        );
        assert!(matches!(
            write_atomic(Path::new("/"), b"x"),
            Err(Error::InvalidParameter { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
