//! The CIFAR binary readers (`load_cifar10` / `load_cifar100`, which only take a folder): the
//! input is written as the test batch of a scratch folder. Ok or Err, never a panic.
//!
//! Input layout: the low bit of the first byte picks CIFAR-10 (0) or CIFAR-100 (1, with the
//! second bit picking fine or coarse labels); the rest is the file.
#![no_main]

mod scratch;

use libfuzzer_sys::fuzz_target;
use trustdd_data::{load_cifar10, load_cifar100, Cifar100Labels, Split};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, file)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let path = scratch::write("cifar10/test_batch.bin", file);
        let _ = load_cifar10(path.parent().unwrap_or(&path), Split::Test);
    } else {
        let path = scratch::write("cifar100/test.bin", file);
        let labels = if mode & 2 == 0 {
            Cifar100Labels::Fine
        } else {
            Cifar100Labels::Coarse
        };
        let _ = load_cifar100(path.parent().unwrap_or(&path), Split::Test, labels);
    }
});
