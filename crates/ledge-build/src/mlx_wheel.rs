//! How `mlx-sys` builds mlx-c against MLX as its authors built it on macOS: the PyPI
//! `mlx-metal` wheel, which `scripts/setup.sh mlx` unpacks into `$LEDGE_DEPS_DIR/mlx-metal`.
//!
//! The wheel holds `libmlx.dylib` (install name `@rpath/libmlx.dylib`, macOS 14.0 or newer,
//! Metal and Accelerate inside), `mlx.metallib` beside it, MLX's headers and its CMake
//! package. mlx-c is compiled against that package (`MLX_C_USE_SYSTEM_MLX`) into a static
//! library; executables link the dylib and find it through the rpaths of [`crate::rpaths`]. Why
//! this route and not a source build of MLX: the same shape as Linux's `mlx-cpu` wheel, no
//! Metal toolchain (full Xcode) needed, nothing downloaded during `cargo build`, and the
//! kernels are the ones MLX's authors ship (ARCHITECTURE.md, "MLX on macOS").
//!
//! The wheel's CMake package names the frameworks of the Xcode it was built with by absolute
//! path (`/Applications/Xcode_26.6.app/...`). That only matters where CMake links an
//! executable or a shared library against MLX; mlx-c is built static here and the final link
//! is rustc's, which takes only [`link_libraries`] (the frameworks come with the dylib's own
//! load commands).
//!
//! Plain functions, unit-tested on any host; `crates/mlx-sys/build.rs` applies them.

use std::path::Path;

use crate::mlx_source::MACOS_MINIMUM_VERSION;

/// The CMake definitions for mlx-c built against the unpacked `mlx-metal` wheel at `wheel`.
pub fn cmake_defines(wheel: &Path) -> Vec<(&'static str, String)> {
    vec![
        // Apple's compilers, whatever else is first on PATH (a Homebrew LLVM): the dylib was
        // built with Apple's libc++.
        ("CMAKE_C_COMPILER", "/usr/bin/cc".to_owned()),
        ("CMAKE_CXX_COMPILER", "/usr/bin/c++".to_owned()),
        (
            "CMAKE_OSX_DEPLOYMENT_TARGET",
            MACOS_MINIMUM_VERSION.to_owned(),
        ),
        ("MLX_C_USE_SYSTEM_MLX", "ON".to_owned()),
        (
            "MLX_DIR",
            wheel.join("mlx/share/cmake/MLX").display().to_string(),
        ),
        ("MLX_C_BUILD_EXAMPLES", "OFF".to_owned()),
        ("BUILD_SHARED_LIBS", "OFF".to_owned()),
    ]
}

/// Where the build finds `libmlx.dylib` (a `cargo:rustc-link-search` folder).
pub fn library_dir(wheel: &Path) -> std::path::PathBuf {
    wheel.join("mlx/lib")
}

/// What an executable linking mlx-c links, as `cargo:rustc-link-lib` values, in order:
/// mlx-c's static library, MLX's dylib, and the C++ runtime both were built with.
pub fn link_libraries() -> Vec<&'static str> {
    vec!["static=mlxc", "dylib=mlx", "dylib=c++"]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn define<'a>(defines: &'a [(&str, String)], key: &str) -> Option<&'a str> {
        defines
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn mlx_c_is_built_static_against_the_wheels_cmake_package() {
        let defines = cmake_defines(Path::new("/src/ledge/.deps/mlx-metal"));
        assert_eq!(define(&defines, "MLX_C_USE_SYSTEM_MLX"), Some("ON"));
        assert_eq!(
            define(&defines, "MLX_DIR"),
            Some("/src/ledge/.deps/mlx-metal/mlx/share/cmake/MLX")
        );
        assert_eq!(define(&defines, "BUILD_SHARED_LIBS"), Some("OFF"));
        assert_eq!(define(&defines, "MLX_C_BUILD_EXAMPLES"), Some("OFF"));
        // Nothing that would make CMake fetch or build MLX itself.
        assert_eq!(define(&defines, "MLX_BUILD_METAL"), None);
        assert_eq!(define(&defines, "MLX_METAL_PATH"), None);
    }

    #[test]
    fn apples_compilers_and_the_wheels_minimum_macos() {
        let defines = cmake_defines(Path::new("/deps/mlx-metal"));
        assert_eq!(define(&defines, "CMAKE_C_COMPILER"), Some("/usr/bin/cc"));
        assert_eq!(define(&defines, "CMAKE_CXX_COMPILER"), Some("/usr/bin/c++"));
        // The wheel is tagged macosx_14_0_arm64.
        assert_eq!(
            define(&defines, "CMAKE_OSX_DEPLOYMENT_TARGET"),
            Some("14.0")
        );
    }

    #[test]
    fn executables_link_the_dylib_that_the_rpaths_find() {
        let wheel = Path::new("/src/ledge/.deps/mlx-metal");
        assert_eq!(link_libraries(), ["static=mlxc", "dylib=mlx", "dylib=c++"]);
        // The folder the build links against is the one the build-folder rpath points at.
        let rpaths = crate::rpaths(crate::TargetOs::MacOs, Path::new("/src/ledge/.deps"));
        assert_eq!(
            rpaths.last().map(String::as_str),
            Some(library_dir(wheel).to_str().unwrap_or_default())
        );
    }
}
