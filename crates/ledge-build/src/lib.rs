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
//! On macOS it adds the rpaths where `libmlx.dylib` (install name `@rpath/libmlx.dylib`, as
//! the PyPI `mlx-metal` wheel ships it) is found: the app bundle's `Contents/Frameworks`
//! first, then `$LEDGE_DEPS_DIR/mlx-metal/mlx/lib` for binaries run from the build folder.
//! [`bundle_files`] lists what the bundle must carry for that. mlx-sys links that dylib by
//! default ([`mlx_wheel`]); built from source (`LEDGE_MLX_FROM_SOURCE=1`) MLX is linked
//! statically and the rpaths go unused.
//!
//! Every decision is a plain function of the target OS and paths ([`rpaths`],
//! [`linux_link_args`], [`bundle_files`]), unit-tested on any host; [`link_mlx_runtime`]
//! only reads the environment and prints them. [`mlx_wheel`] and [`mlx_source`] do the same
//! for mlx-sys's two macOS builds (CMake definitions, link list): against the `mlx-metal`
//! wheel (the default) and of MLX from source.
//!
//! Build scripts are the one place allowed to panic: a panic here is a build error that
//! tells the developer what to run.

pub mod mlx_source;
pub mod mlx_wheel;

use std::env;
use std::path::{Path, PathBuf};

/// Where Debian (and Ubuntu) put the pthread build of OpenBLAS, per architecture.
const OPENBLAS_CANDIDATES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
];

pub use mlx_source::MACOS_MINIMUM_VERSION;

/// Where a macOS app bundle keeps its shared libraries, relative to the executable in
/// `Contents/MacOS`.
pub const MACOS_BUNDLE_RPATH: &str = "@executable_path/../Frameworks";

/// The operating system an executable is built for, as cargo names it to build scripts
/// (`CARGO_CFG_TARGET_OS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetOs {
    /// Linux: MLX from the PyPI `mlx-cpu` wheel, on the CPU.
    Linux,
    /// macOS: MLX with Metal.
    MacOs,
    /// Anything else: MLX does not build there, nothing is emitted.
    Other,
}

impl TargetOs {
    /// The OS of cargo's `CARGO_CFG_TARGET_OS` value (`"linux"`, `"macos"`, ...).
    pub fn from_cargo(target_os: &str) -> TargetOs {
        match target_os {
            "linux" => TargetOs::Linux,
            "macos" => TargetOs::MacOs,
            _ => TargetOs::Other,
        }
    }

    /// The file name of MLX's shared library on this OS.
    pub fn mlx_library(self) -> Option<&'static str> {
        match self {
            TargetOs::Linux => Some("libmlx.so"),
            TargetOs::MacOs => Some("libmlx.dylib"),
            TargetOs::Other => None,
        }
    }
}

/// The unpacked PyPI wheel `scripts/setup.sh` puts MLX's library in, under `deps`
/// (`$LEDGE_DEPS_DIR`): `mlx-cpu` on Linux, `mlx-metal` on macOS.
pub fn mlx_wheel_dir(os: TargetOs, deps: &Path) -> Option<PathBuf> {
    match os {
        TargetOs::Linux => Some(deps.join("mlx-cpu")),
        TargetOs::MacOs => Some(deps.join("mlx-metal")),
        TargetOs::Other => None,
    }
}

/// The folder holding MLX's shared library (and, on macOS, `mlx.metallib` beside it).
pub fn mlx_lib_dir(os: TargetOs, deps: &Path) -> Option<PathBuf> {
    mlx_wheel_dir(os, deps).map(|wheel| wheel.join("mlx/lib"))
}

/// The rpath entries an executable needs to find MLX's shared library, in search order.
/// Linux: the wheel's folder (OpenBLAS's folder comes with [`linux_link_args`]). macOS: the
/// app bundle's `Frameworks` first, so an installed app uses its own copy, then the wheel's
/// folder for binaries run from the build folder (`cargo run`, tests).
pub fn rpaths(os: TargetOs, deps: &Path) -> Vec<String> {
    let wheel_lib = mlx_lib_dir(os, deps).map(|dir| dir.display().to_string());
    match os {
        TargetOs::Linux => wheel_lib.into_iter().collect(),
        TargetOs::MacOs => std::iter::once(MACOS_BUNDLE_RPATH.to_owned())
            .chain(wheel_lib)
            .collect(),
        TargetOs::Other => Vec::new(),
    }
}

/// The linker arguments of a Linux executable linking MLX, given the wheel's library folder
/// and Debian's OpenBLAS (see the crate docs for why each is there).
pub fn linux_link_args(mlx_lib_dir: &Path, openblas: &Path) -> Vec<String> {
    let openblas_dir = openblas.parent().unwrap_or(Path::new("/"));
    vec![
        format!("-Wl,-rpath,{}", mlx_lib_dir.display()),
        format!("-Wl,-rpath,{}", openblas_dir.display()),
        // Linked by path, kept even though the executable calls none of its symbols itself.
        "-Wl,--push-state,--no-as-needed".to_owned(),
        openblas.display().to_string(),
        "-Wl,--pop-state".to_owned(),
        // Pulled out of mlx-sys's archive although nothing in the executable calls it, and
        // put in the dynamic symbol table, where libmlx.so's lookups find it first.
        "-Wl,--undefined=cblas_sgemm".to_owned(),
        "-Wl,--export-dynamic-symbol=cblas_sgemm".to_owned(),
    ]
}

/// The linker arguments of a macOS executable linking MLX: its [`rpaths`].
pub fn macos_link_args(deps: &Path) -> Vec<String> {
    rpaths(TargetOs::MacOs, deps)
        .into_iter()
        .map(|rpath| format!("-Wl,-rpath,{rpath}"))
        .collect()
}

/// A file an app bundle carries besides the executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Where it is in the build's dependencies.
    pub source: PathBuf,
    /// Where it goes, relative to the bundle's `Contents` folder.
    pub destination: PathBuf,
}

/// What the macOS app bundle must carry for MLX: `libmlx.dylib` in `Contents/Frameworks`
/// (the first of the [`rpaths`]) and `mlx.metallib` beside it, where MLX looks first for its
/// Metal kernels (next to the binary that holds MLX). Linux packages link the wheel in place,
/// so nothing is listed there.
pub fn bundle_files(os: TargetOs, deps: &Path) -> Vec<BundleFile> {
    let (TargetOs::MacOs, Some(lib_dir)) = (os, mlx_lib_dir(os, deps)) else {
        return Vec::new();
    };
    ["libmlx.dylib", "mlx.metallib"]
        .into_iter()
        .map(|name| BundleFile {
            source: lib_dir.join(name),
            destination: Path::new("Frameworks").join(name),
        })
        .collect()
}

/// Emits the link arguments an executable linking MLX needs on the target platform.
pub fn link_mlx_runtime() {
    println!("cargo:rerun-if-env-changed=LEDGE_DEPS_DIR");
    println!("cargo:rerun-if-env-changed=LEDGE_OPENBLAS");
    let os = TargetOs::from_cargo(&env::var("CARGO_CFG_TARGET_OS").unwrap_or_default());
    let deps = || {
        env::var_os("LEDGE_DEPS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| fail("LEDGE_DEPS_DIR is not set; build from the Ledge checkout"))
    };
    let args = match os {
        TargetOs::Linux => {
            let mlx_lib_dir = mlx_lib_dir(os, &deps()).unwrap_or_default();
            if !mlx_lib_dir.join("libmlx.so").is_file() {
                fail(&format!(
                    "no libmlx.so in {}: run `scripts/setup.sh mlx` (or `make setup`)",
                    mlx_lib_dir.display()
                ));
            }
            linux_link_args(&mlx_lib_dir, &find_openblas())
        }
        // Nothing is checked on disk: mlx-sys already refused to build without the wheel,
        // and scripts/check-macos.sh type-checks without any of it.
        TargetOs::MacOs => macos_link_args(&deps()),
        TargetOs::Other => Vec::new(),
    };
    for arg in args {
        println!("cargo:rustc-link-arg={arg}");
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const DEPS: &str = "/src/ledge/.deps";

    #[test]
    fn cargo_names_map_to_the_target_os() {
        assert_eq!(TargetOs::from_cargo("linux"), TargetOs::Linux);
        assert_eq!(TargetOs::from_cargo("macos"), TargetOs::MacOs);
        assert_eq!(TargetOs::from_cargo("ios"), TargetOs::Other);
        assert_eq!(TargetOs::from_cargo(""), TargetOs::Other);
        assert_eq!(TargetOs::MacOs.mlx_library(), Some("libmlx.dylib"));
        assert_eq!(TargetOs::Linux.mlx_library(), Some("libmlx.so"));
        assert_eq!(TargetOs::Other.mlx_library(), None);
    }

    #[test]
    fn macos_looks_in_the_bundle_first_then_in_the_metal_wheel() {
        assert_eq!(
            rpaths(TargetOs::MacOs, Path::new(DEPS)),
            [
                "@executable_path/../Frameworks",
                "/src/ledge/.deps/mlx-metal/mlx/lib"
            ]
        );
        assert_eq!(
            macos_link_args(Path::new(DEPS)),
            [
                "-Wl,-rpath,@executable_path/../Frameworks",
                "-Wl,-rpath,/src/ledge/.deps/mlx-metal/mlx/lib"
            ]
        );
    }

    #[test]
    fn linux_looks_in_the_cpu_wheel_and_links_openblas_first() {
        assert_eq!(
            rpaths(TargetOs::Linux, Path::new(DEPS)),
            ["/src/ledge/.deps/mlx-cpu/mlx/lib"]
        );
        let args = linux_link_args(
            Path::new("/src/ledge/.deps/mlx-cpu/mlx/lib"),
            Path::new("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"),
        );
        assert_eq!(
            args,
            [
                "-Wl,-rpath,/src/ledge/.deps/mlx-cpu/mlx/lib",
                "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-pthread",
                "-Wl,--push-state,--no-as-needed",
                "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
                "-Wl,--pop-state",
                "-Wl,--undefined=cblas_sgemm",
                "-Wl,--export-dynamic-symbol=cblas_sgemm",
            ]
        );
    }

    #[test]
    fn other_targets_get_nothing() {
        assert!(rpaths(TargetOs::Other, Path::new(DEPS)).is_empty());
        assert!(bundle_files(TargetOs::Other, Path::new(DEPS)).is_empty());
        assert_eq!(mlx_wheel_dir(TargetOs::Other, Path::new(DEPS)), None);
    }

    #[test]
    fn the_macos_bundle_carries_the_dylib_and_its_kernels_side_by_side() {
        let files = bundle_files(TargetOs::MacOs, Path::new(DEPS));
        let pairs: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                (
                    f.source.display().to_string(),
                    f.destination.display().to_string(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "/src/ledge/.deps/mlx-metal/mlx/lib/libmlx.dylib".to_owned(),
                    "Frameworks/libmlx.dylib".to_owned()
                ),
                (
                    "/src/ledge/.deps/mlx-metal/mlx/lib/mlx.metallib".to_owned(),
                    "Frameworks/mlx.metallib".to_owned()
                ),
            ]
        );
        // The dylib goes where the first rpath points, from Contents/MacOS.
        let first_rpath = &rpaths(TargetOs::MacOs, Path::new(DEPS))[0];
        let folder = files[0].destination.parent().map(Path::to_path_buf);
        assert_eq!(
            first_rpath.strip_prefix("@executable_path/../"),
            folder.as_deref().and_then(Path::to_str)
        );
        // Linux packages link the wheel in place.
        assert!(bundle_files(TargetOs::Linux, Path::new(DEPS)).is_empty());
    }
}
