//! `.npy` label files: written by ndarray-npy's writer and, independently, assembled byte by byte
//! as the NPY format specifies (numpy's `np.save`); every malformed file is a typed error naming
//! it.

use ndarray::{arr0, arr1, Array1, Array2};
use ndarray_npy::{write_npy, WritableElement};
use std::path::{Path, PathBuf};
use trustdd_core::{Error, NoiseContext};
use trustdd_noise::{read_labels, NoiseConfig};

/// An NPY 1.0 file by hand: `\x93NUMPY`, version 1.0, the header length (u16 LE), the header
/// dictionary padded with spaces to a multiple of 64 bytes in all and ending in `\n`, the data.
fn npy_v1(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    npy_v1_dict(&dict, data)
}

/// [`npy_v1`] with the header dictionary `dict` as given.
fn npy_v1_dict(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.as_bytes().to_vec();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(b' ');
    }
    header.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Writes `values` with ndarray-npy and reads them back as labels.
fn through_writer<T: WritableElement + Copy>(dir: &Path, name: &str, values: &[T]) -> Vec<u32> {
    let path = dir.join(name);
    write_npy(&path, &Array1::from(values.to_vec())).unwrap();
    read_labels(&path, None).unwrap()
}

/// The reason of the `npy labels` format error for `path`; panics on any other result.
fn format_reason(path: &Path) -> String {
    match read_labels(path, None) {
        Err(Error::Format {
            path: p,
            format,
            reason,
        }) if p == path && format == "npy labels" => reason,
        other => panic!(
            "{}: expected an npy labels format error, got {other:?}",
            path.display()
        ),
    }
}

#[test]
fn every_integer_dtype_numpy_writes_reads_through_ndarray_npy_writer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let want = vec![3, 0, 9, 1, 255];
    assert_eq!(through_writer(d, "u8.npy", &[3u8, 0, 9, 1, 255]), want);
    assert_eq!(
        through_writer(d, "i8.npy", &[3i8, 0, 9, 1, 127]),
        [3, 0, 9, 1, 127]
    );
    assert_eq!(through_writer(d, "u16.npy", &[3u16, 0, 9, 1, 255]), want);
    assert_eq!(through_writer(d, "i16.npy", &[3i16, 0, 9, 1, 255]), want);
    assert_eq!(through_writer(d, "u32.npy", &[3u32, 0, 9, 1, 255]), want);
    assert_eq!(through_writer(d, "i32.npy", &[3i32, 0, 9, 1, 255]), want);
    assert_eq!(through_writer(d, "u64.npy", &[3u64, 0, 9, 1, 255]), want);
    assert_eq!(through_writer(d, "i64.npy", &[3i64, 0, 9, 1, 255]), want);
    // The whole u32 range; multi-byte values, so byte order matters.
    let wide = [u32::MAX, 0x0102_0304, 70_000];
    assert_eq!(through_writer(d, "wide.npy", &wide), wide);
    assert_eq!(through_writer(d, "wide64.npy", &wide.map(i64::from)), wide);
    // An empty vector is zero labels.
    assert_eq!(
        through_writer::<i64>(d, "empty.npy", &[]),
        Vec::<u32>::new()
    );
}

#[test]
fn hand_assembled_npy_files_read_as_the_format_specifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let values = [4i64, 0, 7, 2, 65_537];
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let bytes = npy_v1("<i8", "(5,)", &data);
    assert_eq!(bytes.len(), 128 + 40);
    assert_eq!(&bytes[..10], b"\x93NUMPY\x01\x00\x76\x00");
    let path = write(d, "hand.npy", &bytes);
    assert_eq!(read_labels(&path, None).unwrap(), [4, 0, 7, 2, 65_537]);
    // The same array through the writer holds the same data after a 64-byte-aligned header.
    let written = d.join("written.npy");
    write_npy(&written, &arr1(&values)).unwrap();
    let written = std::fs::read(&written).unwrap();
    assert_eq!(written.len() % 64, 40);
    assert_eq!(written[written.len() - 40..], data[..]);
    // Big-endian, one-byte and Fortran-order files.
    let be: Vec<u8> = [1u32, 258, 3]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let path = write(d, "be.npy", &npy_v1(">u4", "(3,)", &be));
    assert_eq!(read_labels(&path, None).unwrap(), [1, 258, 3]);
    let be: Vec<u8> = [5i16, 300].iter().flat_map(|v| v.to_be_bytes()).collect();
    let path = write(d, "be16.npy", &npy_v1(">i2", "(2,)", &be));
    assert_eq!(read_labels(&path, None).unwrap(), [5, 300]);
    let path = write(d, "u1.npy", &npy_v1("|u1", "(3,)", &[2, 200, 0]));
    assert_eq!(read_labels(&path, None).unwrap(), [2, 200, 0]);
    let dict = "{'descr': '<i8', 'fortran_order': True, 'shape': (5,), }";
    let fortran_bytes = npy_v1_dict(dict, &data);
    let path = write(d, "fortran.npy", &fortran_bytes);
    assert_eq!(read_labels(&path, None).unwrap(), [4, 0, 7, 2, 65_537]);
}

#[test]
fn npy_labels_drive_the_file_noise_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noisy.npy");
    write_npy(&path, &arr1(&[1i64, 1, 0, 2])).unwrap();
    let model = NoiseConfig::parse(&format!("file:{}", path.display()))
        .unwrap()
        .build()
        .unwrap();
    let ctx = NoiseContext {
        labels: &[0, 1, 2, 2],
        num_classes: 3,
        dataset: None,
        seed: 0,
    };
    assert_eq!(model.corrupt(&ctx).unwrap(), vec![1, 1, 0, 2]);
    let err = model
        .corrupt(&NoiseContext {
            num_classes: 2,
            ..ctx
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::LabelOutOfRange { label: 2, ref context, .. } if context.contains("noisy.npy")),
        "{err}"
    );
}

#[test]
fn bad_values_dtypes_and_ranks_are_format_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let npy = |name: &str, write: &dyn Fn(&Path)| {
        let path = d.join(name);
        write(&path);
        format_reason(&path)
    };
    let reason = npy("negative.npy", &|p| {
        write_npy(p, &arr1(&[3i64, 0, -1])).unwrap()
    });
    assert!(reason.contains("entry 2 = -1 is negative"), "{reason}");
    let reason = npy("big.npy", &|p| {
        write_npy(p, &arr1(&[0u64, 1 << 32])).unwrap()
    });
    assert!(reason.contains("entry 1 = 4294967296"), "{reason}");
    let reason = npy("float.npy", &|p| {
        write_npy(p, &arr1(&[0.0f64, 1.0])).unwrap()
    });
    assert!(
        reason.contains("'<f8'") && reason.contains("not an integer dtype"),
        "{reason}"
    );
    let reason = npy("f32.npy", &|p| write_npy(p, &arr1(&[0.0f32])).unwrap());
    assert!(reason.contains("'<f4'"), "{reason}");
    let reason = npy("bool.npy", &|p| {
        write_npy(p, &arr1(&[true, false])).unwrap()
    });
    assert!(reason.contains("'|b1'"), "{reason}");
    let reason = npy("matrix.npy", &|p| {
        write_npy(p, &Array2::<i64>::zeros((2, 3))).unwrap()
    });
    assert!(reason.contains("2 dimensions, expected 1"), "{reason}");
    let reason = npy("scalar.npy", &|p| write_npy(p, &arr0(4i32)).unwrap());
    assert!(reason.contains("0 dimensions"), "{reason}");
    // Hand-written descriptors numpy does not use for integers here: a structured dtype, a
    // multi-byte integer without byte order.
    let dict = "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }";
    let fixed = npy_v1_dict(dict, &[0; 4]);
    let path = write(d, "structured.npy", &fixed);
    assert!(format_reason(&path).contains("not an integer dtype"));
    let path = write(d, "noorder.npy", &npy_v1("|i4", "(1,)", &[0; 4]));
    assert!(format_reason(&path).contains("'|i4'"));
}

#[test]
fn truncated_and_garbage_files_are_format_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data: Vec<u8> = [1i64, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let good = npy_v1("<i8", "(3,)", &data);
    assert_eq!(
        read_labels(&write(d, "good.npy", &good), None).unwrap(),
        [1, 2, 3]
    );
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("data.npy", good[..good.len() - 3].to_vec(), "truncated"),
        ("header.npy", good[..40].to_vec(), "truncated"),
        ("magic-only.npy", good[..8].to_vec(), "truncated"),
        ("empty.npy", Vec::new(), "truncated"),
        (
            "extra.npy",
            [&good[..], &[0; 8]].concat(),
            "8 bytes after the data",
        ),
        ("text.npy", b"1\n2\n3\n".to_vec(), "magic"),
        (
            "version.npy",
            [&b"\x93NUMPY\x09\x00"[..], &good[8..]].concat(),
            "version",
        ),
        ("dict.npy", npy_v1("<i8", "(3,", &data), "header"),
        // A version 2.0 header claiming 4 GiB, and a shape of 2^58 labels over 24 bytes: errors,
        // not allocations.
        (
            "long-header.npy",
            [&b"\x93NUMPY\x02\x00\xf0\xff\xff\xff"[..], &good[10..]].concat(),
            "the header ends at byte 4294967292",
        ),
        (
            "huge-shape.npy",
            npy_v1("<i8", "(288230376151711744,)", &data),
            "truncated",
        ),
        // Brackets nested 30 deep: ndarray-npy's header parser would backtrack for hours.
        (
            "nested.npy",
            npy_v1_dict(
                &format!(
                    "{{'descr': {}{}, 'fortran_order': False, 'shape': (3,), }}",
                    "[".repeat(30),
                    "]".repeat(30)
                ),
                &data,
            ),
            "nests brackets",
        ),
        (
            "overflow.npy",
            npy_v1("<i8", "(4294967296, 4294967296, 4294967296)", &data),
            "overflow",
        ),
    ];
    for (name, bytes, want) in cases {
        let reason = format_reason(&write(d, name, &bytes));
        assert!(
            reason.to_lowercase().contains(want),
            "{name}: {reason:?} lacks {want:?}"
        );
    }
    // A missing file is an I/O error.
    assert!(matches!(
        read_labels(&d.join("missing.npy"), None),
        Err(Error::Io { .. })
    ));
}
