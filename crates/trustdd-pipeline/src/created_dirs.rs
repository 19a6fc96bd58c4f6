//! Output folders made by a run, taken back if the run fails before filling them.

use std::path::{Path, PathBuf};
use trustdd_core::{Error, Result};

/// The folders a run created, shallowest first. A run that fails removes those still empty, so a
/// rejected setting leaves nothing behind, while any file already written (and every folder that
/// existed before) stays.
#[derive(Debug, Default)]
pub struct CreatedDirs(Vec<PathBuf>);

impl CreatedDirs {
    /// Creates `dir` and its missing parents, remembering which were missing.
    pub fn create(&mut self, dir: &Path) -> Result<()> {
        let missing: Vec<PathBuf> = dir
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| !a.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        self.0.extend(missing.into_iter().rev());
        Ok(())
    }

    /// Removes the created folders that are empty, deepest first.
    pub fn remove_empty(&self) {
        for dir in self.0.iter().rev() {
            // Fails, as it should, on a folder that holds anything.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_what_it_made_and_only_when_empty() -> std::io::Result<()> {
        let root = tempfile::tempdir()?;
        let existing = root.path().join("runs");
        std::fs::create_dir(&existing)?;
        let mut made = CreatedDirs::default();
        made.create(&existing.join("a/clean")).unwrap();
        made.create(&existing.join("a/noisy")).unwrap();
        made.create(&existing.join("b")).unwrap();
        std::fs::write(existing.join("b/report.json"), "{}")?;
        made.remove_empty();
        assert!(existing.is_dir(), "existed before: kept");
        assert!(!existing.join("a").exists(), "created and empty: removed");
        assert!(
            existing.join("b/report.json").is_file(),
            "holds output: kept"
        );
        Ok(())
    }
}
