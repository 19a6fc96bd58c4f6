//! The `trustdd` program (its code lives in the `trustdd-cli` crate).

/// mimalloc keeps freed tensor buffers for reuse; glibc returns every allocation above 32 MiB to
/// the kernel on free, so each training step paid for its activations again in page faults
/// (docs/performance.md, "Allocator").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (mimalloc.h, v2 option 15).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Never hand freed pages back: a training step frees and re-allocates the same activation
    // sizes, and mimalloc's default 10 ms purge made the next step fault them in again (TAD
    // round: 87k faults, 9% slower; docs/performance.md). The peak resident set is unchanged.
    // SAFETY: sets a process-wide option; mimalloc reads options atomically at any time.
    // A MIMALLOC_PURGE_DELAY in the environment (mimalloc's own setting) takes precedence.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
    trustdd_cli::main()
}
