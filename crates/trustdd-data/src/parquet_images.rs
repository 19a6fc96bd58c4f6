//! Reading image-classification parquet files as the Hugging Face hub stores them.
//!
//! The `datasets` library writes an image feature as a struct column `{bytes: binary (the encoded
//! PNG/JPEG), path: string}` and a `ClassLabel` as an integer column.

use crate::decode::decode_image_bytes;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use std::panic::AssertUnwindSafe;
use std::path::Path;
use trustdd_core::{Error, ImageShape, Result};

const FORMAT: &str = "parquet";

/// Pixels and label columns read from one parquet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetImages {
    /// Decoded pixels, `N×C×H×W`.
    pub pixels: Vec<u8>,
    /// One vector per requested label column, each of length `N`.
    pub labels: Vec<Vec<u32>>,
}

/// Reads every row of `path`: the image in `image_column` is decoded to `shape` (no resizing:
/// another size is an error) and each of `label_columns` is read as a non-negative integer.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened, [`Error::Format`] naming the file for an
/// invalid parquet file, a missing or mistyped column, a negative label or an undecodable image,
/// [`Error::ShapeMismatch`] for an image of another size.
pub fn read_image_parquet(
    path: &Path,
    image_column: &str,
    label_columns: &[&str],
    shape: ImageShape,
) -> Result<ParquetImages> {
    // The parquet crate still panics on some malformed pages (seen by our fuzzer: "Decoder for
    // dict should have been set"); nothing it holds outlives the call, so a panic is caught and
    // reported like any other malformed file.
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        read_rows(path, image_column, label_columns, shape)
    }))
    .unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown reason".into());
        Err(Error::format(
            path,
            FORMAT,
            format!("the parquet reader failed: {why}"),
        ))
    })
}

/// Whether a panic comes from inside the parquet crate, which [`read_image_parquet`] catches and
/// reports as an error. A program's panic hook can stay silent for these, so that a malformed
/// file gives one error message rather than a panic report followed by the error.
pub fn panic_is_caught_parquet_error(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|l| {
        let file = l.file().replace('\\', "/");
        file.contains("/parquet-") && file.contains("/src/")
    })
}

fn read_rows(
    path: &Path,
    image_column: &str,
    label_columns: &[&str],
    shape: ImageShape,
) -> Result<ParquetImages> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let bad = |e: parquet::errors::ParquetError| Error::format(path, FORMAT, e.to_string());
    let reader = SerializedFileReader::new(file).map_err(bad)?;
    // The row count is the file's claim: every row takes at least a byte, so the file's length
    // bounds what is reserved up front.
    let claimed = reader.metadata().file_metadata().num_rows().max(0) as u64;
    let rows = claimed.min(file_len) as usize;
    let mut pixels = Vec::with_capacity(rows.saturating_mul(shape.numel()).min(1 << 30));
    let mut labels = vec![Vec::with_capacity(rows); label_columns.len()];
    for (i, row) in reader.get_row_iter(None).map_err(bad)?.enumerate() {
        let row = row.map_err(bad)?;
        let png = image_bytes(&row, image_column, path, i)?;
        let source = path.join(format!("row {i}"));
        pixels.extend(decode_image_bytes(png, &source, shape, false)?);
        for (out, col) in labels.iter_mut().zip(label_columns) {
            out.push(label(&row, col, path, i)?);
        }
    }
    Ok(ParquetImages { pixels, labels })
}

fn column<'r>(row: &'r Row, name: &str, path: &Path, i: usize) -> Result<&'r Field> {
    row.get_column_iter()
        .find(|(n, _)| n.as_str() == name)
        .map(|(_, f)| f)
        .ok_or_else(|| Error::format(path, FORMAT, format!("row {i}: no column `{name}`")))
}

/// The encoded image of an `{bytes, path}` struct column (or a plain binary column).
fn image_bytes<'r>(row: &'r Row, name: &str, path: &Path, i: usize) -> Result<&'r [u8]> {
    let inner = match column(row, name, path, i)? {
        Field::Group(g) => column(g, "bytes", path, i)?,
        other => other,
    };
    match inner {
        Field::Bytes(b) => Ok(b.data()),
        other => Err(Error::format(
            path,
            FORMAT,
            format!("row {i}: column `{name}` holds {other:?}, expected image bytes"),
        )),
    }
}

fn label(row: &Row, name: &str, path: &Path, i: usize) -> Result<u32> {
    let v: i64 = match column(row, name, path, i)? {
        Field::Byte(v) => (*v).into(),
        Field::Short(v) => (*v).into(),
        Field::Int(v) => (*v).into(),
        Field::Long(v) => *v,
        Field::UByte(v) => (*v).into(),
        Field::UShort(v) => (*v).into(),
        Field::UInt(v) => (*v).into(),
        other => {
            let why = format!("row {i}: column `{name}` holds {other:?}, expected an integer");
            return Err(Error::format(path, FORMAT, why));
        }
    };
    u32::try_from(v).map_err(|_| {
        Error::format(
            path,
            FORMAT,
            format!("row {i}: column `{name}` = {v}, expected ≥ 0"),
        )
    })
}
