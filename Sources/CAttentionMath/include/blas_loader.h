#ifndef ATTENTION_BLAS_LOADER_H
#define ATTENTION_BLAS_LOADER_H
// OpenBLAS, loaded on first use rather than at process start.
//
// Why: linking libopenblas.so.0 maps ~35 MB of kernels for every CPU family, costs about
// 3 MiB of resident memory and starts a worker thread before main() runs. A kernel that
// has only evaluated small cells needs none of it. The first product large enough for
// BLAS calls attention_blas_load(), which dlopens the library once (thread-safe) and sets
// it to one thread (AttentionCore splits large products across cores itself).
//
// Loading it here also lets the loader name OpenBLAS's kernel family for CPUs newer than
// the installed OpenBLAS knows (see choose_core_type in blas_loader.c).
//
// When the library cannot be loaded, attention_blas_load() returns 0 and the caller
// computes with its own loops: results agree to rounding (the tests check both paths).

/// Loads OpenBLAS once; 1 when cblas_dgemm is available, else 0. Safe from any thread.
int attention_blas_load(void);

/// Why the last load failed (dlerror's text), or NULL.
const char *attention_blas_load_error(void);

/// C = A·op(B), row-major, alpha = 1, beta = 0: C is m×n (row stride ldc), A is m×k
/// (lda), B is k×n (ldb), or n×k when transpose_b, giving A·Bᵀ. Only after a successful
/// attention_blas_load().
void attention_blas_dgemm(int transpose_b, int m, int n, int k, const double *a, int lda,
                          const double *b, int ldb, double *c, int ldc);

/// C = op(A)·op(B) + beta·C, row-major: C is m×n (ldc); op(A) is m×k, stored k×m when
/// transpose_a; op(B) is k×n, stored n×k when transpose_b. The gradients of a product
/// (dA = dC·Bᵀ, dB = Aᵀ·dC) need both transposes, and beta = 1 accumulates into C.
/// Only after a successful attention_blas_load().
void attention_blas_dgemm_general(int transpose_a, int transpose_b, int m, int n, int k, const double *a, int lda,
                                  const double *b, int ldb, double beta, double *c, int ldc);

/// OpenBLAS's kernel family ("Haswell", "SkylakeX", ...), or "unavailable".
const char *attention_blas_core_name(void);

/// OpenBLAS's own thread count (1 once loaded here), or 0 when it is not available.
int attention_blas_threads(void);

#endif
