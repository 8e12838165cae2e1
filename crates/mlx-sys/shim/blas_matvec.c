/* One-row and one-column matrix products through cblas_sgemv (Linux).
 *
 * MLX's CPU backend sends every float32 matrix product to cblas_sgemm, including the
 * one-row products of decoding (one token times each weight matrix). Debian 12's OpenBLAS
 * (0.3.21) runs those through its blocked GEMM, which packs the weight matrix before using
 * it; its sgemv streams the matrix once and is several times faster on the same product.
 * (OpenBLAS 0.3.27 and later forward such calls to GEMV themselves.)
 *
 * This cblas_sgemm is exported from each Ledge executable (see ledge-build), so the dynamic
 * linker binds libmlx.so's calls to it before any library. Products with one row or one
 * column go to cblas_sgemv; every other call goes unchanged to the cblas_sgemm that comes
 * next in the lookup order: the OpenBLAS that ledge-build links.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

/* The CBLAS enum values (cblas.h), which are passed as ints. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float*, int,
                         const float*, int, float, float*, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float*, int, const float*, int,
                         float, float*, int);

/* Both are looked up at run time rather than linked, so that an executable without
 * OpenBLAS among its own dependencies (a test binary of mlx-sys itself) still links; it
 * then gets whatever BLAS the process has. Resolved on first use; a race between two first
 * calls stores the same addresses twice. */
static void* lookup(void** cache, void* scope, const char* name) {
  void* found = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
  if (found == NULL) {
    found = dlsym(scope, name);
    __atomic_store_n(cache, found, __ATOMIC_RELEASE);
  }
  return found;
}

/* The cblas_sgemm this one stands in front of. */
static sgemm_fn next_sgemm(void) {
  static void* cache = NULL;
  return (sgemm_fn)lookup(&cache, RTLD_NEXT, "cblas_sgemm");
}

/* The process's cblas_sgemv (OpenBLAS's, where ledge-build linked it). */
static sgemv_fn sgemv(void) {
  static void* cache = NULL;
  return (sgemv_fn)lookup(&cache, RTLD_DEFAULT, "cblas_sgemv");
}

/* y = beta * y with beta == 0 meaning "overwrite": the output of a product may be
 * uninitialised memory, which GEMM ignores when beta is zero; zeroing it first keeps that
 * meaning whatever the GEMV kernel does with NaN * 0. */
static void clear_if_overwritten(float beta, float* y, int len, int inc) {
  if (beta == 0.0f) {
    for (int i = 0; i < len; i++) y[(ptrdiff_t)i * inc] = 0.0f;
  }
}

void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float* a, int lda, const float* b, int ldb, float beta, float* c,
                 int ldc) {
  sgemv_fn cblas_sgemv = sgemv();
  if (cblas_sgemv != NULL && order == ROW_MAJOR && k > 0 && m == 1 && n > 1) {
    /* c (1 x n) = a (1 x k) . op(b) (k x n), so c^T = op(b)^T . a^T. A row of `a` is
     * contiguous unless `a` is stored transposed (k x 1, one element per row). */
    int inc_a = trans_a == NO_TRANS ? 1 : lda;
    clear_if_overwritten(beta, c, n, 1);
    if (trans_b == NO_TRANS) {
      cblas_sgemv(ROW_MAJOR, TRANS, k, n, alpha, b, ldb, a, inc_a, beta, c, 1);
    } else {
      cblas_sgemv(ROW_MAJOR, NO_TRANS, n, k, alpha, b, ldb, a, inc_a, beta, c, 1);
    }
    return;
  }
  if (cblas_sgemv != NULL && order == ROW_MAJOR && k > 0 && n == 1 && m > 1) {
    /* c (m x 1) = op(a) (m x k) . b (k x 1); c's elements are ldc apart. */
    int inc_b = trans_b == NO_TRANS ? ldb : 1;
    clear_if_overwritten(beta, c, m, ldc);
    if (trans_a == NO_TRANS) {
      cblas_sgemv(ROW_MAJOR, NO_TRANS, m, k, alpha, a, lda, b, inc_b, beta, c, ldc);
    } else {
      cblas_sgemv(ROW_MAJOR, TRANS, k, m, alpha, a, lda, b, inc_b, beta, c, ldc);
    }
    return;
  }
  sgemm_fn next = next_sgemm();
  if (next == NULL) {
    /* Cannot happen while libmlx.so is loaded: it depends on a BLAS that defines one. */
    fputs("ledge: no cblas_sgemm behind Ledge's own; the BLAS library is missing\n", stderr);
    abort();
  }
  next(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
