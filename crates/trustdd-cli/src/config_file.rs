//! Reading a TOML settings file (`--config`), with errors on one line.

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Reads and parses `path`. A parse error names the file, the line and column, and what was
/// wrong, on one line (the toml crate's own report draws a multi-line snippet of the file).
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
                // The offending line names the key, which type errors do not.
                let source: String = text
                    .lines()
                    .nth(line - 1)
                    .unwrap_or("")
                    .trim()
                    .chars()
                    .take(60)
                    .collect();
                format!("line {line}, column {column} ({source:?}): ")
            })
            .unwrap_or_default();
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        anyhow::anyhow!("parsing {}: {at}{message}", path.display())
    })
}

/// A value of a config enum from its name, as a config file spells it (the enum's own serde
/// names, or its `kind` tag; no name is matched here).
pub fn named<T: DeserializeOwned>(what: &str, name: &str) -> Result<T> {
    serde_json::from_value(serde_json::json!(name))
        .or_else(|_| serde_json::from_value(serde_json::json!({ "kind": name })))
        .map_err(|e| anyhow::anyhow!("invalid {what} {name:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Settings {
        ipc: Option<usize>,
    }

    fn error_of(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.toml");
        std::fs::write(&path, text).unwrap();
        let e = read_toml::<Settings>(&path).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        e.replace(&path.display().to_string(), "run.toml")
    }

    #[test]
    fn errors_name_file_line_column_and_problem_on_one_line() {
        assert_eq!(
            error_of("\n# comment\nipc = \"ten\"\n"),
            "parsing run.toml: line 3, column 7 (\"ipc = \\\"ten\\\"\"): invalid type: string \"ten\", \
             expected usize"
        );
        let typo = error_of("objektive = 1\n");
        assert!(
            typo.starts_with(
                "parsing run.toml: line 1, column 1 (\"objektive = 1\"): unknown field"
            ),
            "{typo}"
        );
        assert!(error_of("ipc = = 3")
            .starts_with("parsing run.toml: line 1, column 7 (\"ipc = = 3\"): "));
    }
}
