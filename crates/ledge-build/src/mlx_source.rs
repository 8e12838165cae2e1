//! How `mlx-sys` builds MLX from source on macOS: the CMake definitions and what to link.
//!
//! Plain functions of the features and paths, so that the choices are unit-tested on any
//! host; `crates/mlx-sys/build.rs` applies them (it is the only caller). They follow upstream
//! mlx-sys 0.7.0 where it matters on a current Mac: Apple's compilers (not a Homebrew LLVM
//! that happens to be first on `PATH`), a deployment target (MLX needs macOS 14), a
//! `MLX_METAL_PATH` folder that exists before MLX's kernel step writes `mlx.metallib` into
//! it, and MLX's `jaccl` library when MLX built it (SDK and deployment target macOS 26.2+).

use std::path::Path;

/// The oldest macOS MLX (and so Ledge) runs on; the bundle's `minimumSystemVersion`.
pub const MACOS_MINIMUM_VERSION: &str = "14.0";

/// mlx-sys's cargo features (the same names as upstream's, forwarded by mlx-rs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// `metal`: MLX's GPU backend.
    pub metal: bool,
    /// `metal-jit`: Metal kernels compiled at run time instead of a prebuilt `mlx.metallib`.
    pub metal_jit: bool,
    /// `accelerate`: Apple's BLAS and vector library for the CPU backend.
    pub accelerate: bool,
}

fn on_off(flag: bool) -> String {
    if flag { "ON" } else { "OFF" }.to_owned()
}

/// The CMake definitions for mlx-c (which fetches and builds MLX) on macOS. `metallib_dir`
/// is where MLX's build writes `mlx.metallib` and where a binary looks for it last; the
/// caller creates it first ([`metallib_dir_needed`]).
pub fn cmake_defines(features: Features, metallib_dir: &Path) -> Vec<(&'static str, String)> {
    let mut defines = vec![
        ("CMAKE_C_COMPILER", "/usr/bin/cc".to_owned()),
        ("CMAKE_CXX_COMPILER", "/usr/bin/c++".to_owned()),
        (
            "CMAKE_OSX_DEPLOYMENT_TARGET",
            MACOS_MINIMUM_VERSION.to_owned(),
        ),
        ("MLX_C_BUILD_EXAMPLES", "OFF".to_owned()),
        ("BUILD_SHARED_LIBS", "OFF".to_owned()),
        ("MLX_BUILD_METAL", on_off(features.metal)),
        ("MLX_BUILD_ACCELERATE", on_off(features.accelerate)),
    ];
    if features.metal {
        defines.push(("MLX_METAL_PATH", metallib_dir.display().to_string()));
        if features.metal_jit {
            defines.push(("MLX_METAL_JIT", "ON".to_owned()));
        }
    }
    defines
}

/// Whether the build needs the `MLX_METAL_PATH` folder to exist.
pub fn metallib_dir_needed(features: Features) -> bool {
    features.metal
}

/// The static libraries of a finished build, in link order, given whether MLX built `jaccl`
/// (its `jaccl/libjaccl.a` exists in the build tree).
pub fn static_libraries(jaccl_built: bool) -> Vec<&'static str> {
    let mut libraries = vec!["mlxc", "mlx", "gguflib"];
    if jaccl_built {
        libraries.push("jaccl");
    }
    libraries
}

/// The system libraries and frameworks, as `cargo:rustc-link-lib` values.
pub fn system_libraries(features: Features) -> Vec<&'static str> {
    let mut libraries = vec!["c++", "dylib=objc", "framework=Foundation"];
    if features.metal {
        libraries.push("framework=Metal");
    }
    if features.accelerate {
        libraries.push("framework=Accelerate");
    }
    libraries
}

#[cfg(test)]
mod tests {
    use super::*;

    const METAL: Features = Features {
        metal: true,
        metal_jit: false,
        accelerate: true,
    };

    fn define<'a>(defines: &'a [(&str, String)], key: &str) -> Option<&'a str> {
        defines
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn apples_compilers_and_macos_14_whatever_is_on_path() {
        let defines = cmake_defines(METAL, Path::new("/out/metallib"));
        assert_eq!(define(&defines, "CMAKE_C_COMPILER"), Some("/usr/bin/cc"));
        assert_eq!(define(&defines, "CMAKE_CXX_COMPILER"), Some("/usr/bin/c++"));
        assert_eq!(
            define(&defines, "CMAKE_OSX_DEPLOYMENT_TARGET"),
            Some(MACOS_MINIMUM_VERSION)
        );
        assert_eq!(define(&defines, "BUILD_SHARED_LIBS"), Some("OFF"));
        assert_eq!(define(&defines, "MLX_C_BUILD_EXAMPLES"), Some("OFF"));
    }

    #[test]
    fn metal_builds_its_kernels_into_a_folder_that_must_exist() {
        let defines = cmake_defines(METAL, Path::new("/out/metallib"));
        assert_eq!(define(&defines, "MLX_BUILD_METAL"), Some("ON"));
        assert_eq!(define(&defines, "MLX_BUILD_ACCELERATE"), Some("ON"));
        assert_eq!(define(&defines, "MLX_METAL_PATH"), Some("/out/metallib"));
        assert_eq!(define(&defines, "MLX_METAL_JIT"), None);
        assert!(metallib_dir_needed(METAL));

        let jit = Features {
            metal_jit: true,
            ..METAL
        };
        let defines = cmake_defines(jit, Path::new("/out/metallib"));
        assert_eq!(define(&defines, "MLX_METAL_JIT"), Some("ON"));
    }

    #[test]
    fn without_metal_there_is_no_kernel_folder_and_no_metal_framework() {
        let cpu = Features::default();
        let defines = cmake_defines(cpu, Path::new("/out/metallib"));
        assert_eq!(define(&defines, "MLX_BUILD_METAL"), Some("OFF"));
        assert_eq!(define(&defines, "MLX_BUILD_ACCELERATE"), Some("OFF"));
        assert_eq!(define(&defines, "MLX_METAL_PATH"), None);
        assert!(!metallib_dir_needed(cpu));
        assert_eq!(
            system_libraries(cpu),
            ["c++", "dylib=objc", "framework=Foundation"]
        );
    }

    #[test]
    fn the_link_list_follows_the_features_and_what_mlx_built() {
        assert_eq!(
            system_libraries(METAL),
            [
                "c++",
                "dylib=objc",
                "framework=Foundation",
                "framework=Metal",
                "framework=Accelerate"
            ]
        );
        assert_eq!(static_libraries(false), ["mlxc", "mlx", "gguflib"]);
        assert_eq!(static_libraries(true), ["mlxc", "mlx", "gguflib", "jaccl"]);
    }
}
