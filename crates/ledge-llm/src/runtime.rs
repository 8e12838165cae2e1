//! The MLX runtime of this process: which device computes, which MLX library and BLAS serve
//! it, how fast a matrix product runs on it, and the one-at-a-time rule for MLX work
//! ([`exclusive`]).

mod blas;

use std::cell::Cell;
use std::ffi::CStr;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mlx_rs::{Array, Device, DeviceType};

pub use blas::BlasLibrary;
pub(crate) use blas::on_one_blas_thread;

/// Where MLX runs the model's arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeDevice {
    /// The CPU (Linux and other machines without Metal).
    Cpu,
    /// The GPU through Metal (Apple Silicon).
    Gpu,
}

impl fmt::Display for ComputeDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ComputeDevice::Cpu => "cpu",
            ComputeDevice::Gpu => "gpu (Metal)",
        })
    }
}

/// The MLX runtime as set up for this process by [`Runtime::init`].
#[derive(Debug, Clone)]
pub struct Runtime {
    device: ComputeDevice,
    mlx_version: String,
    blas: BlasLibrary,
    matvec_through_gemv: bool,
}

impl Runtime {
    /// Chooses the compute device and reads what serves it.
    ///
    /// MLX's default device is the GPU. Where Metal is missing (every non-Apple machine) the
    /// default becomes the CPU before anything is computed; calling this more than once is
    /// harmless.
    pub fn init() -> crate::Result<Runtime> {
        let device = if metal_available() {
            ComputeDevice::Gpu
        } else {
            Device::set_default(&Device::cpu());
            ComputeDevice::Cpu
        };
        let actual = Device::try_default()?.get_type()?;
        let device = match actual {
            DeviceType::Cpu => ComputeDevice::Cpu,
            DeviceType::Gpu => device,
        };
        let runtime = Runtime {
            device,
            mlx_version: mlx_version(),
            blas: BlasLibrary::detect(),
            matvec_through_gemv: blas::routes_matvec(),
        };
        tracing::debug!(?runtime, "MLX runtime ready");
        Ok(runtime)
    }

    /// The device MLX computes on by default.
    pub fn device(&self) -> ComputeDevice {
        self.device
    }

    /// The version of the MLX library this process loaded (not the one it was built against).
    pub fn mlx_version(&self) -> &str {
        &self.mlx_version
    }

    /// The BLAS library whose `cblas_sgemm` MLX's CPU kernels call.
    pub fn blas(&self) -> &BlasLibrary {
        &self.blas
    }

    /// Whether MLX's one-row matrix products (decoding a token) go to the BLAS's matrix-vector
    /// routine through Ledge's own `cblas_sgemm` (Linux; see `mlx-sys/shim/blas_matvec.c`)
    /// rather than to its general product.
    pub fn matvec_through_gemv(&self) -> bool {
        self.matvec_through_gemv
    }

    /// Times `repeats` products of two random `n`×`n` f32 matrices on the default device,
    /// after one warm-up product.
    pub fn probe_matmul(&self, n: i32, repeats: u32) -> crate::Result<MatmulProbe> {
        exclusive(|| Self::time_matmul(n, repeats))
    }

    fn time_matmul(n: i32, repeats: u32) -> crate::Result<MatmulProbe> {
        let key = mlx_rs::random::key(0)?;
        let a = mlx_rs::random::normal::<f32>(&[n, n][..], None, None, &key)?;
        let b = mlx_rs::random::normal::<f32>(&[n, n][..], None, None, &key)?;
        let run = |a: &Array, b: &Array| -> crate::Result<()> {
            let c = a.matmul(b)?;
            c.eval()?;
            Ok(())
        };
        a.eval()?;
        b.eval()?;
        run(&a, &b)?;
        let started = Instant::now();
        for _ in 0..repeats.max(1) {
            run(&a, &b)?;
        }
        let per_product = started.elapsed() / repeats.max(1);
        Ok(MatmulProbe { n, per_product })
    }
}

/// Held while a thread builds or evaluates MLX work (see [`exclusive`]).
static EVALUATION: Mutex<()> = Mutex::new(());
/// Threads inside [`exclusive`] now, and the most there have been at once.
static INSIDE: AtomicUsize = AtomicUsize::new(0);
static PEAK_INSIDE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread holds [`EVALUATION`], so that a nested call does not wait on itself.
    static HOLDS_EVALUATION: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`, which builds and evaluates MLX arrays, while no other thread of this process
/// does: loading a model, one forward step of generation, one batch of embeddings, the matmul
/// probe. A nested call on the same thread runs at once.
///
/// Why: Metal does not take concurrent evaluation from several threads well (a known crash
/// area of MLX), and the app loads models, answers and embeds for the indexer on different
/// threads. One process-wide lock around each unit of work gives the guarantee a single MLX
/// thread would, without moving the models (which the session and the indexer already share
/// behind their own locks) onto it; the units are short (a token, a batch of 16 passages), so
/// an answer waits at most one batch for the indexer, which pauses for questions anyway. On the
/// CPU it costs nothing measurable: two MLX evaluations side by side only split the same cores.
pub fn exclusive<T>(work: impl FnOnce() -> T) -> T {
    if HOLDS_EVALUATION.with(Cell::get) {
        return work();
    }
    // The lock guards no data, so a panic inside another holder leaves nothing to distrust.
    let _lock = EVALUATION
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    /// Undoes the bookkeeping however `work` ends (a panic included), before the lock goes.
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            INSIDE.fetch_sub(1, Ordering::SeqCst);
            HOLDS_EVALUATION.with(|holds| holds.set(false));
        }
    }
    HOLDS_EVALUATION.with(|holds| holds.set(true));
    let now = INSIDE.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK_INSIDE.fetch_max(now, Ordering::SeqCst);
    let _leave = Leave;
    work()
}

/// The most threads that have been inside [`exclusive`] at once in this process: 1 once any
/// MLX work ran, whatever ran beside it (what the tests check).
pub fn peak_concurrent_evaluations() -> usize {
    PEAK_INSIDE.load(Ordering::SeqCst)
}

/// The outcome of [`Runtime::probe_matmul`].
#[derive(Debug, Clone, Copy)]
pub struct MatmulProbe {
    /// Side of the square matrices.
    pub n: i32,
    /// Mean wall time of one product.
    pub per_product: Duration,
}

impl MatmulProbe {
    /// Throughput in GFLOP/s (a product of two n×n matrices costs 2n³ flops).
    pub fn gflops(&self) -> f64 {
        let n = f64::from(self.n);
        2.0 * n * n * n / self.per_product.as_secs_f64().max(f64::MIN_POSITIVE) / 1e9
    }
}

fn metal_available() -> bool {
    let mut available = false;
    // SAFETY: mlx_metal_is_available writes one bool through a valid pointer.
    let status = unsafe { mlx_sys::mlx_metal_is_available(&mut available) };
    status == 0 && available
}

fn mlx_version() -> String {
    // SAFETY: the string is created, filled by mlx_version, copied out, and freed here; the
    // pointer from mlx_string_data lives until mlx_string_free.
    unsafe {
        let mut string = mlx_sys::mlx_string_new();
        let version = if mlx_sys::mlx_version(&mut string) == 0 {
            let data = mlx_sys::mlx_string_data(string);
            if data.is_null() {
                None
            } else {
                Some(CStr::from_ptr(data).to_string_lossy().into_owned())
            }
        } else {
            None
        };
        mlx_sys::mlx_string_free(string);
        version.unwrap_or_else(|| "unknown".to_owned())
    }
}
