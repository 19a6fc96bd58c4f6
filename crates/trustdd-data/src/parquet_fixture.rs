//! The parquet writer behind [`crate::fixtures::write_image_parquet`].

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::path::Path;
use std::sync::Arc;
use trustdd_core::{Error, Result};

pub(crate) fn write(
    path: &Path,
    image_column: &str,
    images: &[Vec<u8>],
    labels: &[(&str, Vec<i64>)],
) -> Result<()> {
    let bad = |e: parquet::errors::ParquetError| Error::format(path, "parquet", e.to_string());
    let mut schema = format!(
        "message schema {{ optional group {image_column} {{ optional binary bytes; \
         optional binary path (STRING); }}"
    );
    for (name, _) in labels {
        schema.push_str(&format!(" optional int64 {name};"));
    }
    schema.push_str(" }");
    let schema = Arc::new(parse_message_type(&schema).map_err(bad)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, props).map_err(bad)?;
    let mut group = writer.next_row_group().map_err(bad)?;
    let n = images.len();
    // Leaves inside the optional struct are defined at level 2, top-level optionals at level 1.
    let bytes: Vec<ByteArray> = images.iter().map(|b| ByteArray::from(b.clone())).collect();
    let names: Vec<ByteArray> = (0..n)
        .map(|i| ByteArray::from(format!("{i}.png").as_str()))
        .collect();
    let mut column = 0;
    while let Some(mut col) = group.next_column().map_err(bad)? {
        match column {
            0 | 1 => {
                let values = if column == 0 { &bytes } else { &names };
                col.typed::<ByteArrayType>()
                    .write_batch(values, Some(&vec![2; n]), None)
                    .map_err(bad)?;
            }
            k => {
                let values = &labels[k - 2].1;
                col.typed::<Int64Type>()
                    .write_batch(values, Some(&vec![1; values.len()]), None)
                    .map_err(bad)?;
            }
        }
        col.close().map_err(bad)?;
        column += 1;
    }
    group.close().map_err(bad)?;
    let bytes = writer.into_inner().map_err(bad)?;
    crate::fixtures::write(path, &bytes)
}
