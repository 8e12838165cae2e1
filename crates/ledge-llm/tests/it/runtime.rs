//! The runtime as this test binary sees it: the device, the MLX library, and the BLAS that
//! the dynamic linker really resolved.

use ledge_llm::{BlasLibrary, ComputeDevice, Runtime};

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
