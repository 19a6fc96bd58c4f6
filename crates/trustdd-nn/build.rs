//! Enables the AVX-512 convolution kernel (`cfg(trustdd_avx512)`) when the compiler has stable
//! AVX-512 intrinsics (Rust 1.89); older compilers within the crate's MSRV (1.85) build the
//! portable `gemm`-crate path only.

use std::process::Command;

/// First Rust release with stable AVX-512 intrinsics.
const AVX512_MINOR: u32 = 89;

fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc).arg("--version").output().ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .split('.')
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    println!("cargo::rustc-check-cfg=cfg(trustdd_avx512)");
    println!("cargo::rerun-if-changed=build.rs");
    let x86_64 = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64");
    if x86_64 && rustc_minor().is_some_and(|m| m >= AVX512_MINOR) {
        println!("cargo::rustc-cfg=trustdd_avx512");
    }
}
