//! Build-script helper for every package whose binaries or tests link MLX.
//!
//! Cargo does not pass a dependency's `rustc-link-arg` on to the final link, so `mlx-sys`
//! cannot make executables find `libmlx.so` or choose their BLAS. Each package that produces
//! executables linking MLX (its binaries *and* its test binaries) calls
//! [`link_mlx_runtime`] from its `build.rs`:
//!
//! ```text
//! // build.rs
//! fn main() {
//!     ledge_build::link_mlx_runtime();
//! }
//! ```
//!
//! On Linux this adds
//! * an rpath to the PyPI wheel's `libmlx.so` in `$LEDGE_DEPS_DIR/mlx-cpu/mlx/lib`, and
//! * Debian's OpenBLAS as a direct dependency of the executable. The dynamic linker searches
//!   an executable's own dependencies before those of `libmlx.so`, so OpenBLAS's `cblas_*`
//!   win over the slow reference BLAS bundled in the wheel (about 30x on matrix products).
//! * mlx-sys's `cblas_sgemm` (`shim/blas_matvec.c`), kept and exported from the executable,
//!   which the dynamic linker then binds MLX's calls to before any library: it sends one-row
//!   and one-column products (decoding) to OpenBLAS's `sgemv` and the rest to its `sgemm`.
//!
//! On macOS MLX is linked statically with Accelerate and nothing is needed.
//!
//! Build scripts are the one place allowed to panic: a panic here is a build error that
//! tells the developer what to run.

use std::env;
use std::path::{Path, PathBuf};

/// Where Debian (and Ubuntu) put the pthread build of OpenBLAS, per architecture.
const OPENBLAS_CANDIDATES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
];

/// Emits the link arguments an executable linking MLX needs on the target platform.
pub fn link_mlx_runtime() {
    println!("cargo:rerun-if-env-changed=LEDGE_DEPS_DIR");
    println!("cargo:rerun-if-env-changed=LEDGE_OPENBLAS");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }

    let deps = env::var_os("LEDGE_DEPS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| fail("LEDGE_DEPS_DIR is not set; build from the Ledge checkout"));
    let mlx_lib_dir = deps.join("mlx-cpu/mlx/lib");
    if !mlx_lib_dir.join("libmlx.so").is_file() {
        fail(&format!(
            "no libmlx.so in {}: run `scripts/setup.sh mlx` (or `make setup`)",
            mlx_lib_dir.display()
        ));
    }
    let openblas = find_openblas();
    let openblas_dir = openblas.parent().unwrap_or(Path::new("/"));

    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", mlx_lib_dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", openblas_dir.display());
    // Linked by path, kept even though the executable calls none of its symbols itself.
    println!("cargo:rustc-link-arg=-Wl,--push-state,--no-as-needed");
    println!("cargo:rustc-link-arg={}", openblas.display());
    println!("cargo:rustc-link-arg=-Wl,--pop-state");
    // Pulled out of mlx-sys's archive although nothing in the executable calls it, and put in
    // the dynamic symbol table, where libmlx.so's lookups find it first.
    println!("cargo:rustc-link-arg=-Wl,--undefined=cblas_sgemm");
    println!("cargo:rustc-link-arg=-Wl,--export-dynamic-symbol=cblas_sgemm");
}

fn find_openblas() -> PathBuf {
    if let Some(path) = env::var_os("LEDGE_OPENBLAS") {
        return PathBuf::from(path);
    }
    OPENBLAS_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            fail(
                "OpenBLAS not found: install Debian's libopenblas0-pthread \
                 (`scripts/setup.sh system`), or point LEDGE_OPENBLAS at libopenblas.so.0",
            )
        })
}

fn fail(message: &str) -> ! {
    panic!("\n\nledge-build: {message}\n\n");
}
