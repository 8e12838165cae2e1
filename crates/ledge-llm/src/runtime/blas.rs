//! Which BLAS library serves MLX's CPU matrix products in this process.
//!
//! On Linux the answer is read off the dynamic linker, not assumed: the library that
//! `cblas_sgemm` resolves to in the global lookup scope is the one `libmlx.so` calls.
//! `ledge-build` makes Debian's OpenBLAS win that lookup; if a binary was linked without it,
//! the PyPI wheel's reference BLAS (about 30x slower) shows up here instead.

use std::fmt;
use std::path::PathBuf;

/// The BLAS implementation behind MLX's CPU kernels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlasLibrary {
    /// OpenBLAS, loaded from `path`.
    OpenBlas { path: PathBuf },
    /// The reference BLAS bundled in the MLX wheel (slow: a linking mistake).
    Reference { path: PathBuf },
    /// Apple's Accelerate framework (macOS).
    Accelerate,
    /// Some other library exporting `cblas_sgemm`.
    Other { path: PathBuf },
    /// No `cblas_sgemm` is visible to the dynamic linker.
    Unknown,
}

impl BlasLibrary {
    /// True for the fast libraries Ledge expects to run on.
    pub fn is_optimized(&self) -> bool {
        matches!(self, BlasLibrary::OpenBlas { .. } | BlasLibrary::Accelerate)
    }

    #[cfg(target_os = "macos")]
    pub(crate) fn detect() -> BlasLibrary {
        BlasLibrary::Accelerate
    }

    #[cfg(not(target_os = "macos"))]
    pub(crate) fn detect() -> BlasLibrary {
        match resolve_library_of(c"cblas_sgemm") {
            None => BlasLibrary::Unknown,
            Some(path) => Self::classify(path),
        }
    }

    fn classify(path: PathBuf) -> BlasLibrary {
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if name.contains("openblas") {
            BlasLibrary::OpenBlas { path }
        } else if name.starts_with("libblas") {
            BlasLibrary::Reference { path }
        } else {
            BlasLibrary::Other { path }
        }
    }
}

impl fmt::Display for BlasLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlasLibrary::OpenBlas { path } => write!(f, "OpenBLAS ({})", path.display()),
            BlasLibrary::Reference { path } => {
                write!(f, "reference BLAS, slow ({})", path.display())
            }
            BlasLibrary::Accelerate => f.write_str("Accelerate"),
            BlasLibrary::Other { path } => write!(f, "{}", path.display()),
            BlasLibrary::Unknown => f.write_str("none found"),
        }
    }
}

/// The file of the shared object that `symbol` resolves to from the executable's scope.
#[cfg(not(target_os = "macos"))]
fn resolve_library_of(symbol: &std::ffi::CStr) -> Option<PathBuf> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;

    // SAFETY: dlsym/dladdr only read the loaded-object tables; `info` is plain data that
    // dladdr fills, and dli_fname points into the loader's tables for the process lifetime.
    unsafe {
        let address = libc::dlsym(libc::RTLD_DEFAULT, symbol.as_ptr());
        if address.is_null() {
            return None;
        }
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(address, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        let file = CStr::from_ptr(info.dli_fname).to_bytes();
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(file));
        Some(std::fs::canonicalize(&path).unwrap_or(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_debian_openblas_and_the_wheels_reference_blas() {
        let openblas = PathBuf::from("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0");
        assert!(matches!(
            BlasLibrary::classify(openblas),
            BlasLibrary::OpenBlas { .. }
        ));
        let reference = PathBuf::from("/x/mlx_cpu.libs/libblas-bd8a282c.so.3.10.0");
        let reference = BlasLibrary::classify(reference);
        assert!(matches!(reference, BlasLibrary::Reference { .. }));
        assert!(!reference.is_optimized());
    }
}
