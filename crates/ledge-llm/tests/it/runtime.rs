//! The runtime as this test binary sees it: the device, the MLX library, and the BLAS that
//! the dynamic linker really resolved.

use ledge_llm::{ComputeDevice, Runtime};

#[test]
fn runs_on_the_cpu_where_there_is_no_metal() {
    let runtime = Runtime::init().unwrap();
    if cfg!(not(target_os = "macos")) {
        assert_eq!(runtime.device(), ComputeDevice::Cpu);
    }
}

#[test]
fn reports_the_loaded_mlx_version() {
    let runtime = Runtime::init().unwrap();
    // The wheel scripts/setup.sh installs; mlx-c 0.7.0 pins the same MLX version.
    if cfg!(target_os = "linux") {
        assert_eq!(runtime.mlx_version(), "0.32.2");
    } else {
        assert_ne!(runtime.mlx_version(), "unknown");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn openblas_serves_mlx_in_test_binaries() {
    use ledge_llm::BlasLibrary;

    let runtime = Runtime::init().unwrap();
    assert!(
        matches!(runtime.blas(), BlasLibrary::OpenBlas { .. }),
        "cblas_sgemm resolves to {} (ledge-build must link OpenBLAS into every executable)",
        runtime.blas()
    );
}

#[test]
fn matmul_probe_measures_a_positive_throughput() {
    let runtime = Runtime::init().unwrap();
    let probe = runtime.probe_matmul(128, 2).unwrap();
    assert_eq!(probe.n, 128);
    assert!(probe.gflops() > 0.0 && probe.gflops().is_finite());
}

/// Ledge's own `cblas_sgemm` (mlx-sys `shim/blas_matvec.c`) against OpenBLAS's, which it
/// forwards to: one-row and one-column products take the sgemv route and must give what the
/// general product gives, for every transposition, padded leading dimensions, an output
/// full of NaN that `beta = 0` must ignore, and `beta = 1` adding to it.
#[cfg(target_os = "linux")]
mod matvec {
    use std::ffi::c_void;

    use ledge_llm::{BlasLibrary, Runtime};

    type Sgemm = unsafe extern "C" fn(
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        f32,
        *const f32,
        i32,
        *const f32,
        i32,
        f32,
        *mut f32,
        i32,
    );

    unsafe extern "C" {
        fn cblas_sgemm(
            order: i32,
            trans_a: i32,
            trans_b: i32,
            m: i32,
            n: i32,
            k: i32,
            alpha: f32,
            a: *const f32,
            lda: i32,
            b: *const f32,
            ldb: i32,
            beta: f32,
            c: *mut f32,
            ldc: i32,
        );
    }

    const ROW_MAJOR: i32 = 101;
    const NO_TRANS: i32 = 111;
    const TRANS: i32 = 112;

    /// OpenBLAS's cblas_sgemm: the next definition after this executable's.
    fn openblas_sgemm() -> Sgemm {
        // SAFETY: dlsym reads the loader's tables; the symbol has Sgemm's C signature.
        unsafe {
            let found: *mut c_void = libc::dlsym(libc::RTLD_NEXT, c"cblas_sgemm".as_ptr());
            assert!(!found.is_null(), "no cblas_sgemm after the executable's");
            std::mem::transmute::<*mut c_void, Sgemm>(found)
        }
    }

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| (((i as u32).wrapping_mul(2_654_435_761) ^ seed) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    #[test]
    fn the_runtime_reports_the_routing_and_the_library_behind_it() {
        let runtime = Runtime::init().unwrap();
        assert!(runtime.matvec_through_gemv());
        assert!(
            matches!(runtime.blas(), BlasLibrary::OpenBlas { .. }),
            "behind Ledge's cblas_sgemm: {}",
            runtime.blas()
        );
    }

    #[test]
    fn one_row_and_one_column_products_equal_openblas_sgemm() {
        let reference = openblas_sgemm();
        let (k, pad) = (37, 3);
        let mut checked = 0;
        for (m, n) in [(1, 53), (53, 1), (1, 2), (2, 1)] {
            for trans_a in [NO_TRANS, TRANS] {
                for trans_b in [NO_TRANS, TRANS] {
                    for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0)] {
                        // Stored shapes (rows × columns) and their padded leading dimensions.
                        let (a_rows, a_cols) = if trans_a == NO_TRANS { (m, k) } else { (k, m) };
                        let (b_rows, b_cols) = if trans_b == NO_TRANS { (k, n) } else { (n, k) };
                        let (lda, ldb, ldc) = (a_cols + pad, b_cols + pad, n + pad);
                        let a = values((a_rows * lda) as usize, 1);
                        let b = values((b_rows * ldb) as usize, 2);
                        let start = if beta == 0.0 { f32::NAN } else { 0.25 };
                        let mut ours = vec![start; (m * ldc) as usize];
                        let mut theirs = ours.clone();
                        if beta == 0.0 {
                            theirs.fill(0.0);
                        }
                        let ledge_sgemm: Sgemm = cblas_sgemm;
                        for (sgemm, out) in [(ledge_sgemm, &mut ours), (reference, &mut theirs)] {
                            // SAFETY: every buffer holds rows × leading dimension elements.
                            unsafe {
                                sgemm(
                                    ROW_MAJOR,
                                    trans_a,
                                    trans_b,
                                    m,
                                    n,
                                    k,
                                    alpha,
                                    a.as_ptr(),
                                    lda,
                                    b.as_ptr(),
                                    ldb,
                                    beta,
                                    out.as_mut_ptr(),
                                    ldc,
                                );
                            }
                        }
                        for row in 0..m {
                            for col in 0..n {
                                let at = (row * ldc + col) as usize;
                                let (x, y) = (ours[at], theirs[at]);
                                assert!(
                                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                                    "m {m} n {n} trans {trans_a}/{trans_b} alpha {alpha} \
                                     beta {beta}: [{row},{col}] {x} against {y}"
                                );
                            }
                        }
                        // Padding between rows of the output is left alone.
                        for row in 0..m {
                            for col in n..ldc {
                                let at = (row * ldc + col) as usize;
                                assert!(ours[at].is_nan() || ours[at] == start);
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 32);
    }

    #[test]
    fn mlx_decodes_through_the_matvec_route_with_the_values_of_a_batched_product() {
        use mlx_rs::Array;
        use mlx_rs::ops::indexing::IndexOp;
        Runtime::init().unwrap();
        let (k, n) = (96, 200);
        let w = Array::from_slice(&values(n * k, 3), &[n as i32, k as i32]);
        let x = Array::from_slice(&values(2 * k, 4), &[2, k as i32]);
        // Two rows take the general product, one row the matvec route.
        let both = x.matmul(w.t()).unwrap();
        let first = x.index(0..1).matmul(w.t()).unwrap();
        let both = both.as_slice::<f32>().to_vec();
        let first = first.as_slice::<f32>().to_vec();
        assert_eq!(first.len(), n);
        for (x, y) in first.iter().zip(&both[..n]) {
            assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} against {y}");
        }
    }
}
