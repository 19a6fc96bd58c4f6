//! [`OutlierSlots`]: the outlier set's slots as "classes" of a sampler, as TrustDD lays them out.

use candle_core::Device;
use std::sync::Arc;
use trustdd_core::{Error, ImageShape, RealSampler, Result};

/// A [`RealSampler`] with one "class" per slot of the outlier set S_o, which holds as many slots
/// as the in-distribution set has classes (each of IPC images), matched one by one:
///
/// - [`OutlierSlots::cycling`]: slot `c` draws from group `c mod G` of a grouped sampler (a
///   [`PseudoOutlierSampler`](crate::PseudoOutlierSampler): generator `c mod 4`, the official
///   `get_images_oe`);
/// - [`OutlierSlots::chunks`]: slot `c` draws from the `c`-th of `slots` disjoint chunks of a
///   one-group sampler's samples (a real outlier dataset).
pub struct OutlierSlots {
    inner: Arc<dyn RealSampler>,
    members: Vec<Vec<usize>>,
    names: Vec<String>,
}

impl std::fmt::Debug for OutlierSlots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutlierSlots")
            .field("slots", &self.members.len())
            .finish()
    }
}

impl OutlierSlots {
    /// `slots` slots, slot `c` serving group `c mod G` of `inner`, named after `group_names`.
    ///
    /// # Errors
    /// An invalid-parameter error for 0 slots or a sampler without groups.
    pub fn cycling(
        inner: Arc<dyn RealSampler>,
        slots: usize,
        group_names: &[String],
    ) -> Result<Self> {
        let groups = inner.num_classes();
        if slots == 0 || groups == 0 {
            return Err(Error::invalid(
                "outlier slots / groups",
                format!("{slots} / {groups}"),
                "at least 1 each",
            ));
        }
        let members = (0..slots)
            .map(|c| inner.class_members(c % groups).to_vec())
            .collect();
        let names = (0..slots)
            .map(|c| {
                let g = c % groups;
                group_names
                    .get(g)
                    .cloned()
                    .unwrap_or_else(|| format!("group {g}"))
            })
            .collect();
        Ok(Self {
            inner,
            members,
            names,
        })
    }

    /// `slots` slots over disjoint chunks of the samples of `inner`'s group 0 (in their order),
    /// each of `⌊samples / slots⌋`; every slot is named `name`.
    ///
    /// # Errors
    /// [`Error::NotEnough`] when there are fewer samples than slots; an invalid-parameter error
    /// for 0 slots.
    pub fn chunks(inner: Arc<dyn RealSampler>, slots: usize, name: &str) -> Result<Self> {
        if slots == 0 {
            return Err(Error::invalid("outlier slots", 0, "at least 1"));
        }
        let all = inner.class_members(0).to_vec();
        let size = all.len() / slots;
        if size == 0 {
            return Err(Error::NotEnough {
                what: format!("outlier images of {name} for {slots} slots"),
                requested: slots,
                available: all.len(),
            });
        }
        let members = all
            .chunks(size)
            .take(slots)
            .map(<[usize]>::to_vec)
            .collect();
        Ok(Self {
            inner,
            members,
            names: vec![name.to_string(); slots],
        })
    }

    /// Each slot's source (a generator's or the dataset's name), in slot order.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl RealSampler for OutlierSlots {
    fn num_classes(&self) -> usize {
        self.members.len()
    }
    fn image_shape(&self) -> ImageShape {
        self.inner.image_shape()
    }
    fn device(&self) -> &Device {
        self.inner.device()
    }
    fn class_members(&self, class: usize) -> &[usize] {
        self.members.get(class).map_or(&[], |v| v.as_slice())
    }
    fn images(&self, ids: &[usize]) -> Result<candle_core::Tensor> {
        self.inner.images(ids)
    }
}
