//! Labels from a `.npy` file (numpy's `np.save` of a 1-D integer array).
//!
//! ndarray-npy reads the file: magic string, version, the header dictionary (dtype, order,
//! shape) and the length checks. The element type here, [`NpyLabel`], is its extension point for
//! the data: it takes every integer dtype numpy writes, little- or big-endian, in one pass, and
//! sizes its buffer by the bytes actually present, so a header claiming a huge shape is an error
//! rather than an allocation. [`check_header`] bounds the two things ndarray-npy trusts before
//! its own checks run (the header length, the header's nesting), so no file makes it allocate
//! gigabytes or run for minutes.

use ndarray::Array1;
use ndarray_npy::{ReadDataError, ReadNpyError, ReadNpyExt, ReadableElement};
use py_literal::Value as PyValue;
use std::io::Read;
use std::path::Path;
use trustdd_core::{Error, Result};

const FORMAT: &str = "npy labels";

/// Reads the labels of the `.npy` file `path`, whose contents are `bytes`.
///
/// # Errors
/// [`Error::Format`] naming the file for a malformed or truncated file, a dtype other than an
/// integer one, a rank other than 1, or a value outside `0..2^32`.
pub(crate) fn npy_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u32>> {
    check_header(path, bytes)?;
    let array =
        Array1::<NpyLabel>::read_npy(bytes).map_err(|e| Error::format(path, FORMAT, reason(e)))?;
    array
        .iter()
        .enumerate()
        .map(|(i, &NpyLabel(v))| {
            u32::try_from(v).map_err(|_| {
                let why = if v < 0 {
                    "is negative (labels are class indices)"
                } else {
                    "is not a label (0..2^32)"
                };
                Error::format(path, FORMAT, format!("entry {i} = {v} {why}"))
            })
        })
        .collect()
}

/// Brackets a header may nest: numpy's header for an integer vector nests 2 (the dictionary and
/// the shape tuple), a structured dtype one or two more.
const MAX_NESTING: usize = 8;

/// Checks what ndarray-npy would otherwise trust. The header-length field must fit in the file:
/// ndarray-npy allocates the header buffer from it before reading (up to 4 GiB in versions 2.0
/// and 3.0). The header must not nest brackets deeper than [`MAX_NESTING`]: its Python-literal
/// parser backtracks, in time exponential in the depth (a 60-byte header of nested lists runs for
/// minutes).
fn check_header(path: &Path, bytes: &[u8]) -> Result<()> {
    // Magic string (6 bytes), version (2), header length: u16 LE in 1.0, u32 LE in 2.0 and 3.0.
    let (start, len): (usize, usize) = match (bytes.get(6), bytes.get(8..10), bytes.get(8..12)) {
        (Some(1), Some(&[a, b]), _) => (10, usize::from(u16::from_le_bytes([a, b]))),
        (Some(2 | 3), _, Some(&[a, b, c, d])) => (
            12,
            usize::try_from(u32::from_le_bytes([a, b, c, d])).unwrap_or(usize::MAX),
        ),
        // ndarray-npy reports the short file, the bad magic string or the unknown version.
        _ => return Ok(()),
    };
    let end = start.saturating_add(len);
    let Some(header) = bytes.get(start..end) else {
        return Err(Error::format(
            path,
            FORMAT,
            format!(
                "truncated: the header ends at byte {end}, the file holds {}",
                bytes.len()
            ),
        ));
    };
    let mut depth = 0usize;
    for &b in header {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(Error::format(
                path,
                FORMAT,
                format!("the header nests brackets more than {MAX_NESTING} deep"),
            ));
        }
    }
    Ok(())
}

/// What went wrong, in words.
fn reason(e: ReadNpyError) -> String {
    match e {
        ReadNpyError::Io(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "truncated: the file ends inside the header".into()
        }
        ReadNpyError::MissingData => "truncated: fewer data bytes than the shape needs".into(),
        ReadNpyError::ExtraBytes(n) => format!("{n} bytes after the data the shape describes"),
        ReadNpyError::WrongDescriptor(d) => {
            format!("dtype {d} is not an integer dtype (labels are class indices)")
        }
        ReadNpyError::WrongNdim(_, got) => {
            format!("the array has {got} dimensions, expected 1 (one label per sample)")
        }
        other => other.to_string(),
    }
}

/// One label of any integer dtype, widened.
#[derive(Debug, Clone, Copy)]
struct NpyLabel(i128);

impl ReadableElement for NpyLabel {
    fn read_to_end_exact_vec<R: Read>(
        mut reader: R,
        type_desc: &PyValue,
        len: usize,
    ) -> Result<Vec<Self>, ReadDataError> {
        let dtype = IntDtype::parse(type_desc)
            .ok_or_else(|| ReadDataError::WrongDescriptor(type_desc.clone()))?;
        let mut data = Vec::new();
        reader.read_to_end(&mut data)?;
        let needed = len
            .checked_mul(dtype.size)
            .ok_or(ReadDataError::MissingData)?;
        match data.len().checked_sub(needed) {
            None => Err(ReadDataError::MissingData),
            Some(0) => Ok(data
                .chunks_exact(dtype.size)
                .map(|b| NpyLabel(dtype.decode(b)))
                .collect()),
            Some(extra) => Err(ReadDataError::ExtraBytes(extra)),
        }
    }
}

/// An integer dtype as numpy writes its descriptor: `|u1`, `|i1`, `<i8`, `>u4`, ...
struct IntDtype {
    size: usize,
    big_endian: bool,
    signed: bool,
}

impl IntDtype {
    fn parse(desc: &PyValue) -> Option<Self> {
        let PyValue::String(desc) = desc else {
            return None;
        };
        let (order, rest) = match desc.strip_prefix(['<', '>', '|']) {
            Some(rest) => (desc.as_bytes()[0], rest),
            None => (b'|', desc.as_str()),
        };
        let (signed, size) = match rest {
            "i1" => (true, 1),
            "u1" => (false, 1),
            "i2" => (true, 2),
            "u2" => (false, 2),
            "i4" => (true, 4),
            "u4" => (false, 4),
            "i8" => (true, 8),
            "u8" => (false, 8),
            _ => return None,
        };
        // Byte order is meaningless for one byte and required for more.
        let big_endian = match (order, size) {
            (_, 1) | (b'<', _) => false,
            (b'>', _) => true,
            _ => return None,
        };
        Some(Self {
            size,
            big_endian,
            signed,
        })
    }

    /// The value of one element's `size` bytes.
    fn decode(&self, bytes: &[u8]) -> i128 {
        let push = |raw: u64, b: &u8| (raw << 8) | u64::from(*b);
        let raw = if self.big_endian {
            bytes.iter().fold(0, push)
        } else {
            bytes.iter().rev().fold(0, push)
        };
        if self.signed {
            // Sign-extend from `size` bytes.
            let shift = 64 - 8 * self.size;
            i128::from(((raw << shift) as i64) >> shift)
        } else {
            i128::from(raw)
        }
    }
}
