//! Standard class names and the CIFAR-100 fine→coarse map.

/// MNIST digits, label `k` is the digit `k`.
pub const MNIST_CLASSES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Fashion-MNIST classes in label order (Xiao et al. 2017).
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Kuzushiji-MNIST classes (romanised hiragana お き す つ な は ま や れ を), label order.
pub const KMNIST_CLASSES: [&str; 10] = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];

/// CIFAR-10 classes in label order (as in `batches.meta.txt`).
pub const CIFAR10_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

/// CIFAR-100 fine classes in label order (as in `fine_label_names.txt`, alphabetical).
pub const CIFAR100_FINE_CLASSES: [&str; 100] = [
    "apple",
    "aquarium_fish",
    "baby",
    "bear",
    "beaver",
    "bed",
    "bee",
    "beetle",
    "bicycle",
    "bottle",
    "bowl",
    "boy",
    "bridge",
    "bus",
    "butterfly",
    "camel",
    "can",
    "castle",
    "caterpillar",
    "cattle",
    "chair",
    "chimpanzee",
    "clock",
    "cloud",
    "cockroach",
    "couch",
    "crab",
    "crocodile",
    "cup",
    "dinosaur",
    "dolphin",
    "elephant",
    "flatfish",
    "forest",
    "fox",
    "girl",
    "hamster",
    "house",
    "kangaroo",
    "keyboard",
    "lamp",
    "lawn_mower",
    "leopard",
    "lion",
    "lizard",
    "lobster",
    "man",
    "maple_tree",
    "motorcycle",
    "mountain",
    "mouse",
    "mushroom",
    "oak_tree",
    "orange",
    "orchid",
    "otter",
    "palm_tree",
    "pear",
    "pickup_truck",
    "pine_tree",
    "plain",
    "plate",
    "poppy",
    "porcupine",
    "possum",
    "rabbit",
    "raccoon",
    "ray",
    "road",
    "rocket",
    "rose",
    "sea",
    "seal",
    "shark",
    "shrew",
    "skunk",
    "skyscraper",
    "snail",
    "snake",
    "spider",
    "squirrel",
    "streetcar",
    "sunflower",
    "sweet_pepper",
    "table",
    "tank",
    "telephone",
    "television",
    "tiger",
    "tractor",
    "train",
    "trout",
    "tulip",
    "turtle",
    "wardrobe",
    "whale",
    "willow_tree",
    "wolf",
    "woman",
    "worm",
];

/// CIFAR-100 superclasses in label order (as in `coarse_label_names.txt`).
pub const CIFAR100_COARSE_CLASSES: [&str; 20] = [
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
];

// The fine → coarse map lives in core, where the noise crate reads it without depending on
// the data crate.
pub use trustdd_core::CIFAR100_FINE_TO_COARSE;

/// Owned copies of a constant name list, as [`trustdd_core::ImageDataset`] stores them.
pub fn to_names(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_superclass_holds_five_fine_classes() {
        let mut count = [0usize; 20];
        for &c in &CIFAR100_FINE_TO_COARSE {
            count[c as usize] += 1;
        }
        assert_eq!(count, [5; 20]);
        // Spot checks by hand from the CIFAR-100 class table: apple is a fruit, whale an
        // aquatic mammal, worm a non-insect invertebrate, tractor a vehicles_2.
        let coarse_of = |name: &str| {
            let f = CIFAR100_FINE_CLASSES
                .iter()
                .position(|n| *n == name)
                .unwrap();
            CIFAR100_COARSE_CLASSES[CIFAR100_FINE_TO_COARSE[f] as usize]
        };
        assert_eq!(coarse_of("apple"), "fruit_and_vegetables");
        assert_eq!(coarse_of("whale"), "aquatic_mammals");
        assert_eq!(coarse_of("worm"), "non-insect_invertebrates");
        assert_eq!(coarse_of("tractor"), "vehicles_2");
    }
}
