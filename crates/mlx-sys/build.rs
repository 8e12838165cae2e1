//! Builds mlx-c 0.7.0 and generates its Rust bindings.
//!
//! * Linux: mlx-c is compiled against the prebuilt `libmlx.so` of the PyPI `mlx-cpu` wheel
//!   (`MLX_C_USE_SYSTEM_MLX`), which `scripts/setup.sh` unpacks into `$LEDGE_DEPS_DIR`. Nothing
//!   is downloaded here. GCC 12 lacks `std::format`, so a force-included header maps it to
//!   `{fmt}`; `shim/linux_compat.c` supplies the few symbols mlx-rs expects from an Apple build.
//!   `shim/blas_matvec.c` routes MLX's one-row matrix products to `cblas_sgemv` (see there and
//!   `ledge-build`).
//! * macOS: mlx-c is compiled against the prebuilt `libmlx.dylib` (Metal and Accelerate) of
//!   the PyPI `mlx-metal` wheel, unpacked by `scripts/setup.sh` into `$LEDGE_DEPS_DIR`, the
//!   same route as Linux (`ledge_build::mlx_wheel` says why and holds the choices). With
//!   `LEDGE_MLX_FROM_SOURCE=1` MLX is built from source instead, as upstream mlx-sys does
//!   (CMake fetches MLX v0.32.2; needs full Xcode with its Metal toolchain;
//!   `ledge_build::mlx_source`). Neither is verified by our CI; see README.md.
//! * Check-only (`LEDGE_MLX_SYS_CHECK_ONLY=1`, any target): nothing native is built or linked;
//!   only the bindings are generated, for the target's architecture and OS, so that
//!   `cargo check`/`cargo clippy --target aarch64-apple-darwin` type-checks the workspace on
//!   Linux (`scripts/check-macos.sh`). No C library of the target is needed: the three libc
//!   headers mlx-c includes are replaced by the stand-ins in `check-only/include`, which
//!   declare only what mlx-c names. Such a build cannot link.
//!
//! Final binaries that link this crate must also call `ledge_build::link_mlx_runtime()` from
//! their own build script: link arguments (rpath, OpenBLAS) do not propagate from here.

use std::env;
use std::path::{Path, PathBuf};

use ledge_build::TargetOs;

fn main() {
    println!("cargo:rerun-if-env-changed=LEDGE_DEPS_DIR");
    println!("cargo:rerun-if-env-changed=LEDGE_MLX_C_DIR");
    println!("cargo:rerun-if-env-changed=LEDGE_MLX_SYS_CHECK_ONLY");
    println!("cargo:rerun-if-env-changed=LEDGE_MLX_FROM_SOURCE");
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-changed=check-only");

    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let deps_dir = env::var_os("LEDGE_DEPS_DIR").map(PathBuf::from);
    let mlx_c = mlx_c_sources(deps_dir.as_deref());
    let check_only = env::var_os("LEDGE_MLX_SYS_CHECK_ONLY").is_some_and(|value| value == "1");

    match target_os.as_str() {
        "linux" | "macos" if check_only => println!("cargo:backend=check-only"),
        "linux" => build_linux(&mlx_c, &wheel_dir(TargetOs::Linux, deps_dir.as_deref())),
        "macos" if env::var_os("LEDGE_MLX_FROM_SOURCE").is_some_and(|value| value == "1") => {
            build_macos_from_source(&mlx_c)
        }
        "macos" => build_macos(&mlx_c, &wheel_dir(TargetOs::MacOs, deps_dir.as_deref())),
        other => fail(&format!(
            "mlx-sys: unsupported target OS '{other}' (Linux and macOS only)"
        )),
    }

    generate_bindings(&mlx_c, check_only);
}

fn fail(message: &str) -> ! {
    panic!("\n\n{message}\n\n");
}

fn mlx_c_sources(deps_dir: Option<&Path>) -> PathBuf {
    let dir = match (env::var_os("LEDGE_MLX_C_DIR"), deps_dir) {
        (Some(dir), _) => PathBuf::from(dir),
        (None, Some(deps)) => deps.join("mlx-sys-0.7.0/src/mlx-c"),
        (None, None) => fail("mlx-sys: LEDGE_DEPS_DIR is not set; build from the Ledge checkout"),
    };
    if !dir.join("CMakeLists.txt").is_file() {
        fail(&format!(
            "mlx-sys: no mlx-c sources at {}.\nRun `scripts/setup.sh mlx` (or `make setup`) first.",
            dir.display()
        ));
    }
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("CMakeLists.txt").display()
    );
    dir
}

/// The unpacked MLX wheel for `os` (`mlx-cpu` on Linux, `mlx-metal` on macOS), checked.
fn wheel_dir(os: TargetOs, deps_dir: Option<&Path>) -> PathBuf {
    let Some(deps) = deps_dir else {
        fail("mlx-sys: LEDGE_DEPS_DIR is not set; build from the Ledge checkout");
    };
    let (Some(wheel), Some(library)) = (ledge_build::mlx_wheel_dir(os, deps), os.mlx_library())
    else {
        fail("mlx-sys: no MLX wheel for this target OS");
    };
    if !wheel.join("mlx/lib").join(library).is_file() {
        fail(&format!(
            "mlx-sys: no {library} under {}.\nRun `scripts/setup.sh mlx` (or `make setup`) first.",
            wheel.display()
        ));
    }
    wheel
}

fn shim_dir() -> PathBuf {
    PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("shim")
}

fn build_linux(mlx_c: &Path, wheel: &Path) {
    let shim = shim_dir();
    let format_compat = shim.join("std_format_compat.h");
    let mut config = cmake::Config::new(mlx_c);
    config
        .profile("Release")
        .define("MLX_C_USE_SYSTEM_MLX", "ON")
        .define("MLX_DIR", wheel.join("mlx/share/cmake/MLX"))
        .define("MLX_C_BUILD_EXAMPLES", "OFF")
        .define("BUILD_SHARED_LIBS", "OFF")
        // libmlx.so is built with libstdc++; mlx-c must use the same C++ runtime.
        .define("CMAKE_CXX_COMPILER", "g++")
        .define("CMAKE_C_COMPILER", "gcc")
        .cxxflag(format!("-include {}", format_compat.display()));
    let dst = config.build();

    cc::Build::new()
        .file(shim.join("linux_compat.c"))
        .include(mlx_c)
        .warnings(true)
        // mlx-c's array.h defines a static `mlx_array_empty` that a C file may not use.
        .flag_if_supported("-Wno-unused-variable")
        .compile("ledge_mlx_compat");
    // Kept in the executable only where ledge-build asks for it (`-u cblas_sgemm`).
    cc::Build::new()
        .file(shim.join("blas_matvec.c"))
        .warnings(true)
        .opt_level(2)
        .compile("ledge_blas_matvec");

    println!(
        "cargo:rustc-link-search=native={}",
        dst.join("lib").display()
    );
    println!("cargo:rustc-link-lib=static=mlxc");
    println!(
        "cargo:rustc-link-search=native={}",
        wheel.join("mlx/lib").display()
    );
    println!("cargo:rustc-link-lib=dylib=mlx");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    // Dependents' build scripts see these as DEP_MLX_LIB_DIR / DEP_MLX_BACKEND.
    println!("cargo:lib_dir={}", wheel.join("mlx/lib").display());
    println!("cargo:backend=cpu-wheel");
}

/// Unverified here (no macOS machine): mlx-c against the `mlx-metal` wheel (see
/// `ledge_build::mlx_wheel`, where the choices are unit-tested).
fn build_macos(mlx_c: &Path, wheel: &Path) {
    use ledge_build::mlx_wheel;

    let mut config = cmake::Config::new(mlx_c);
    config.profile("Release");
    for (key, value) in mlx_wheel::cmake_defines(wheel) {
        config.define(key, value);
    }
    let dst = config.build();

    println!(
        "cargo:rustc-link-search=native={}",
        dst.join("lib").display()
    );
    println!(
        "cargo:rustc-link-search=native={}",
        mlx_wheel::library_dir(wheel).display()
    );
    for lib in mlx_wheel::link_libraries() {
        println!("cargo:rustc-link-lib={lib}");
    }
    println!("cargo:lib_dir={}", mlx_wheel::library_dir(wheel).display());
    println!("cargo:backend=metal-wheel");
}

/// Unverified here (no macOS machine): upstream mlx-sys 0.7.0's Metal build, with the choices
/// it makes on a current Mac (see `ledge_build::mlx_source`, where they are unit-tested).
/// Taken only with `LEDGE_MLX_FROM_SOURCE=1`.
fn build_macos_from_source(mlx_c: &Path) {
    use ledge_build::mlx_source::{self, Features};

    let features = Features {
        metal: env::var_os("CARGO_FEATURE_METAL").is_some(),
        metal_jit: env::var_os("CARGO_FEATURE_METAL_JIT").is_some(),
        accelerate: env::var_os("CARGO_FEATURE_ACCELERATE").is_some(),
    };
    // mlx.metallib is written here by MLX's build and looked up here at run time, last.
    let metallib_dir = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("metallib");
    if mlx_source::metallib_dir_needed(features) {
        std::fs::create_dir_all(&metallib_dir).unwrap_or_else(|e| {
            fail(&format!(
                "mlx-sys: cannot create {}: {e}",
                metallib_dir.display()
            ))
        });
    }
    let mut config = cmake::Config::new(mlx_c);
    config.profile("Release");
    for (key, value) in mlx_source::cmake_defines(features, &metallib_dir) {
        config.define(key, value);
    }
    let dst = config.build();

    println!(
        "cargo:rustc-link-search=native={}",
        dst.join("lib").display()
    );
    println!(
        "cargo:rustc-link-search=native={}",
        dst.join("build/_deps/mlx-build/mlx/io").display()
    );
    // MLX builds jaccl when the SDK and deployment target allow it (macOS 26.2+).
    let jaccl_dir = dst.join("build/jaccl");
    let jaccl_built = jaccl_dir.join("libjaccl.a").is_file();
    if jaccl_built {
        println!("cargo:rustc-link-search=native={}", jaccl_dir.display());
    }
    for lib in mlx_source::static_libraries(jaccl_built) {
        println!("cargo:rustc-link-lib=static={lib}");
    }
    for lib in mlx_source::system_libraries(features) {
        println!("cargo:rustc-link-lib={lib}");
    }
    println!(
        "cargo:backend={}",
        if features.metal { "metal" } else { "cpu" }
    );
}

fn generate_bindings(mlx_c: &Path, check_only: bool) {
    let mut headers: Vec<PathBuf> = std::fs::read_dir(mlx_c.join("mlx/c"))
        .unwrap_or_else(|e| fail(&format!("mlx-sys: cannot list mlx-c headers: {e}")))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "h"))
        .collect();
    headers.sort();

    let mut builder = bindgen::Builder::default()
        .clang_arg(format!("-I{}", mlx_c.display()))
        // mlx-rs expects these two libc functions not to be re-declared by the bindings.
        .blocklist_function("malloc")
        .blocklist_function("realloc")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    if check_only {
        // bindgen parses for the cargo target (`--target` from $TARGET); the target's libc
        // headers are not here, so the compiler's own headers (stdint.h, stddef.h, ...) stand
        // alone and check-only/include supplies the rest.
        builder = builder
            .clang_arg("-ffreestanding")
            .clang_arg(format!("-isystem{}", check_only_include().display()));
        if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("aarch64") {
            // mlx-c's half.h declares `__bf16` on AArch64. Apple's clang accepts it there
            // always; older LLVM clang (Debian 12 has 14) only with the BF16 extension.
            builder = builder.clang_args(["-Xclang", "-target-feature", "-Xclang", "+bf16"]);
        }
    }
    for header in &headers {
        builder = builder.header(header.to_string_lossy());
    }
    let bindings = builder
        .generate()
        .unwrap_or_else(|e| fail(&format!("mlx-sys: bindgen failed on mlx-c headers: {e}")));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("bindings.rs");
    bindings
        .write_to_file(&out)
        .unwrap_or_else(|e| fail(&format!("mlx-sys: cannot write {}: {e}", out.display())));
}

fn check_only_include() -> PathBuf {
    PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("check-only/include")
}
