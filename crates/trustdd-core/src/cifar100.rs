//! The CIFAR-100 class hierarchy: a dataset fact that both the data crate (coarse labels) and
//! the noise crate (within-superclass flips) need.

/// The superclass of each CIFAR-100 fine class: `CIFAR100_FINE_TO_COARSE[fine] = coarse`.
///
/// The official map (every fine class belongs to exactly one of 20 superclasses, 5 each); checked
/// against the CIFAR-100N `clean_label`/`clean_coarse_label` pairs in `tests/shared_data.rs`.
pub const CIFAR100_FINE_TO_COARSE: [u32; 100] = [
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7, 6, 13, 15,
    3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5, 5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4,
    2, 0, 17, 4, 18, 17, 10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13, 15, 13,
    16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
];
