//! Synthetic-set files: round trip, strict loading, PNG grid.

use anyhow::Result;
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use trustdd_core::{
    ImageShape, Normalization, Preprocess, SyntheticLabels, SyntheticSet, TrustRng,
};
use trustdd_distill::{load_set, save_png_grid, save_set, SetMetadata};

fn meta(shape: ImageShape) -> SetMetadata {
    SetMetadata {
        objective: "dm".into(),
        dataset: "tiny".into(),
        class_names: vec!["a".into(), "b".into(), "c".into()],
        shape,
        preprocess: Preprocess::Normalize(Normalization {
            mean: vec![0.5],
            std: vec![0.25],
        }),
        seed: 7,
        eval_lr: Some(0.02),
    }
}

fn set(shape: ImageShape) -> Result<SyntheticSet> {
    Ok(SyntheticSet::from_noise(
        shape,
        3,
        2,
        &Device::Cpu,
        &mut TrustRng::new(1),
    )?)
}

#[test]
fn round_trip_keeps_every_bit_and_metadata() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("set.safetensors");
    let shape = ImageShape::new(1, 4, 5);
    let s = set(shape)?;
    save_set(&path, &s, &meta(shape))?;
    let (back, m) = load_set(&path, &Device::Cpu)?;
    assert_eq!(m, meta(shape));
    assert_eq!((back.ipc, back.num_classes), (2, 3));
    let a = s.images.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    let b = back.images.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    assert_eq!(a, b);
    match back.labels {
        SyntheticLabels::Hard(l) => assert_eq!(l, vec![0, 0, 1, 1, 2, 2]),
        SyntheticLabels::Soft(_) => panic!("hard labels expected"),
    }
    Ok(())
}

#[test]
fn loading_is_strict() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let shape = ImageShape::new(1, 4, 5);
    let s = set(shape)?;
    let good = dir.path().join("good.safetensors");
    save_set(&good, &s, &meta(shape))?;
    // An extra tensor: rewrite the file with candle's writer plus the original metadata.
    let bytes = std::fs::read(&good)?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)?;
    let md: HashMap<String, String> = header.metadata().clone().unwrap_or_default();
    let images = s.images.as_tensor().clone();
    let labels = Tensor::new(&[0u32, 0, 1, 1, 2, 2], &Device::Cpu)?;
    let extra = Tensor::zeros(1, candle_core::DType::F32, &Device::Cpu)?;
    let write = |name: &str,
                 tensors: Vec<(&str, &Tensor)>,
                 md: HashMap<String, String>|
     -> Result<std::path::PathBuf> {
        let p = dir.path().join(name);
        std::fs::write(&p, safetensors::serialize(tensors, Some(md))?)?;
        Ok(p)
    };
    let p = write(
        "extra.st",
        vec![("images", &images), ("labels", &labels), ("bias", &extra)],
        md.clone(),
    )?;
    let e = load_set(&p, &Device::Cpu).unwrap_err();
    assert!(e.to_string().contains("unknown tensor \"bias\""), "{e}");
    let p = write("missing.st", vec![("images", &images)], md.clone())?;
    let e = load_set(&p, &Device::Cpu).unwrap_err();
    assert!(e.to_string().contains("missing tensor \"labels\""), "{e}");
    let mut no_seed = md.clone();
    no_seed.remove("seed");
    let p = write(
        "noseed.st",
        vec![("images", &images), ("labels", &labels)],
        no_seed,
    )?;
    let e = load_set(&p, &Device::Cpu).unwrap_err();
    assert!(e.to_string().contains("missing metadata \"seed\""), "{e}");
    let mut wrong_ipc = md.clone();
    wrong_ipc.insert("ipc".into(), "3".into());
    let p = write(
        "ipc.st",
        vec![("images", &images), ("labels", &labels)],
        wrong_ipc,
    )?;
    assert!(matches!(
        load_set(&p, &Device::Cpu),
        Err(trustdd_core::Error::ShapeMismatch { .. })
    ));
    // Saving inconsistent metadata is refused and writes nothing.
    let bad = dir.path().join("bad.safetensors");
    let mut m = meta(shape);
    m.class_names.pop();
    assert!(save_set(&bad, &s, &m).is_err());
    assert!(!bad.exists());
    // An unwritable place: a typed I/O error naming it.
    let e = save_set(&dir.path().join("no/such/dir/set.st"), &s, &meta(shape)).unwrap_err();
    assert!(matches!(e, trustdd_core::Error::Io { .. }), "{e}");
    Ok(())
}

#[test]
fn png_grid_has_one_row_per_class_and_inverts_normalisation() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("grid.png");
    let shape = ImageShape::new(1, 4, 5);
    let s = set(shape)?;
    // Image 3 (class 1, column 1) set to 0 in normalised space: mean 0.5 → pixel 0.5 → 128.
    let mut v = s.images.as_tensor().flatten_all()?.to_vec1::<f32>()?;
    v[3 * 20..4 * 20].iter_mut().for_each(|x| *x = 0.0);
    // Image 0 far above range: clamped to 255.
    v[..20].iter_mut().for_each(|x| *x = 10.0);
    s.images
        .set(&Tensor::from_vec(v, (6, 1, 4, 5), &Device::Cpu)?)?;
    save_png_grid(&path, &s, &meta(shape).preprocess)?;
    let img = image::open(&path)?.to_luma8();
    assert_eq!(img.dimensions(), (2 * 5, 3 * 4));
    assert_eq!(img.get_pixel(5, 4).0[0], 128, "class 1, column 1, top-left");
    assert_eq!(img.get_pixel(0, 0).0[0], 255);
    Ok(())
}

#[test]
fn same_set_and_metadata_give_the_same_bytes() -> Result<()> {
    // Each save builds its metadata map afresh, and std's HashMap iterates in a per-map random
    // order: before the header was made canonical, two saves of one set differed in the order of
    // the header's metadata keys (issue 15, item 7).
    let shape = ImageShape::new(1, 4, 4);
    let s = set(shape)?;
    let dir = tempfile::tempdir()?;
    let mut first: Option<Vec<u8>> = None;
    for k in 0..8 {
        let path = dir.path().join(format!("set{k}.safetensors"));
        save_set(&path, &s, &meta(shape))?;
        let bytes = std::fs::read(&path)?;
        match &first {
            None => first = Some(bytes),
            Some(f) => assert!(f == &bytes, "save {k} wrote different bytes"),
        }
        let (back, _) = load_set(&path, &Device::Cpu)?;
        assert_eq!(back.images.dims(), s.images.dims());
    }
    Ok(())
}
