//! Which BLAS library serves MLX's CPU matrix products in this process.
//!
//! On Linux the answer is read off the dynamic linker, not assumed: the library that
//! `cblas_sgemm` resolves to in the global lookup scope is the one `libmlx.so` calls.
//! `ledge-build` makes Debian's OpenBLAS win that lookup; if a binary was linked without it,
//! the PyPI wheel's reference BLAS (about 30x slower) shows up here instead.
//!
//! `ledge-build` also exports mlx-sys's own `cblas_sgemm` from each executable, which sends
//! one-row products to `cblas_sgemv` and the rest on to the library behind it. When the
//! lookup lands in the executable, the library reported is the one behind it, and
//! [`routes_matvec`] says so.

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
        let scope = if routes_matvec() {
            libc::RTLD_NEXT
        } else {
            libc::RTLD_DEFAULT
        };
        match resolve(c"cblas_sgemm", scope).and_then(|address| library_of(address).map(|l| l.0)) {
            None => BlasLibrary::Unknown,
            Some(path) => Self::classify(path),
        }
    }

    /// Names the library at `path`, where the dynamic linker found `cblas_sgemm` (asked
    /// everywhere but on macOS, which always uses Accelerate); unit-tested everywhere.
    #[cfg(any(test, not(target_os = "macos")))]
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

/// Whether MLX's `cblas_sgemm` calls reach Ledge's own first (mlx-sys `shim/blas_matvec.c`,
/// exported from this executable), which sends one-row and one-column products to
/// `cblas_sgemv`. macOS links Accelerate, which needs no such routing.
#[cfg(not(target_os = "macos"))]
pub(crate) fn routes_matvec() -> bool {
    let here = routes_matvec as fn() -> bool as *mut libc::c_void;
    match (
        resolve(c"cblas_sgemm", libc::RTLD_DEFAULT).and_then(library_of),
        library_of(here),
    ) {
        (Some((_, sgemm_base)), Some((_, own_base))) => sgemm_base == own_base,
        _ => false,
    }
}

#[cfg(target_os = "macos")]
pub(crate) fn routes_matvec() -> bool {
    false
}

/// Runs `work` with OpenBLAS on the calling thread alone, for products too small to gain
/// from a second thread (a question of a dozen tokens through the embedder). Why it
/// matters more than those products' own speed: an OpenBLAS worker that took part in a
/// product then spins in `sched_yield` for about a tenth of a second, taking a core from
/// whatever runs next; after a question's embedding that is the vector search over every
/// stored vector (BENCHMARKS.md, "File index"). Where OpenBLAS is not in the process
/// (macOS's Accelerate) `work` just runs. Call it inside [`super::exclusive`], so no other
/// MLX work runs while the thread count is changed.
pub(crate) fn on_one_blas_thread<T>(work: impl FnOnce() -> T) -> T {
    #[cfg(not(target_os = "macos"))]
    {
        type GetThreads = unsafe extern "C" fn() -> libc::c_int;
        type SetThreads = unsafe extern "C" fn(libc::c_int);
        let get = resolve(c"openblas_get_num_threads", libc::RTLD_DEFAULT);
        let set = resolve(c"openblas_set_num_threads", libc::RTLD_DEFAULT);
        if let (Some(get), Some(set)) = (get, set) {
            // SAFETY: both symbols are OpenBLAS's own, with these C signatures (its cblas.h);
            // they only read and write its thread count.
            let (get, set) = unsafe {
                (
                    std::mem::transmute::<*mut libc::c_void, GetThreads>(get),
                    std::mem::transmute::<*mut libc::c_void, SetThreads>(set),
                )
            };
            // SAFETY: as above.
            let threads = unsafe { get() };
            if threads > 1 {
                // SAFETY: as above.
                unsafe { set(1) };
                let result = work();
                // SAFETY: as above.
                unsafe { set(threads) };
                return result;
            }
        }
    }
    work()
}

/// The address `symbol` resolves to in `scope` (`RTLD_DEFAULT`: the global lookup, as
/// libmlx.so sees it; `RTLD_NEXT`: the objects after this executable).
#[cfg(not(target_os = "macos"))]
fn resolve(symbol: &std::ffi::CStr, scope: *mut libc::c_void) -> Option<*mut libc::c_void> {
    // SAFETY: dlsym only reads the loaded-object tables.
    let address = unsafe { libc::dlsym(scope, symbol.as_ptr()) };
    (!address.is_null()).then_some(address)
}

/// The file of the loaded object holding `address`, and the object's base address.
#[cfg(not(target_os = "macos"))]
fn library_of(address: *mut libc::c_void) -> Option<(PathBuf, usize)> {
    use std::ffi::CStr;
    use std::os::unix::ffi::OsStrExt;

    // SAFETY: dladdr only reads the loaded-object tables; `info` is plain data that dladdr
    // fills, and dli_fname points into the loader's tables for the process lifetime.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        if libc::dladdr(address, &mut info) == 0 || info.dli_fname.is_null() {
            return None;
        }
        let file = CStr::from_ptr(info.dli_fname).to_bytes();
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(file));
        Some((
            std::fs::canonicalize(&path).unwrap_or(path),
            info.dli_fbase as usize,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OpenBLAS's thread count, where OpenBLAS is in the process.
    #[cfg(target_os = "linux")]
    fn openblas_threads() -> Option<libc::c_int> {
        let get = resolve(c"openblas_get_num_threads", libc::RTLD_DEFAULT)?;
        // SAFETY: OpenBLAS's own `int openblas_get_num_threads(void)`.
        let get = unsafe {
            std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> libc::c_int>(get)
        };
        // SAFETY: as above.
        Some(unsafe { get() })
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_question_runs_on_one_blas_thread_and_the_count_comes_back() {
        // The test binary links OpenBLAS as every Ledge binary does (ledge-build).
        crate::Runtime::init().unwrap();
        let before = openblas_threads().expect("OpenBLAS is linked into Ledge's binaries");
        let inside = on_one_blas_thread(openblas_threads);
        assert_eq!(inside, Some(1));
        assert_eq!(openblas_threads(), Some(before));
    }

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
