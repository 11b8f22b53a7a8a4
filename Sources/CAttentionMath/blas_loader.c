#include "blas_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

// The CBLAS constants (cblas.h): row-major order and the transpose flags.
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*dgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                         const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
typedef void (*set_threads_fn)(int);
typedef char *(*core_name_fn)(void);
typedef int (*get_threads_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static dgemm_fn dgemm;
static core_name_fn core_name;
static get_threads_fn get_threads;
static char load_error[512];

// OpenBLAS (built with DYNAMIC_ARCH, as Debian's is) picks its kernels by CPU model when it
// loads. A release knows only the models that existed when it was made: Debian 12's 0.3.21
// takes a newer Xeon for a "Prescott" (SSE3 kernels, ~1/5 of the machine's dgemm speed).
// Unless the user chose a core type, name one by what the CPU can do (the same features
// and OS-support checks as the vector math's target_clones): the SkylakeX kernels for
// AVX-512, the Haswell kernels for AVX2 + FMA. OpenBLAS reads OPENBLAS_CORETYPE only while
// loading, which is why the library is loaded here and not linked.
static void choose_core_type(void) {
#if defined(__x86_64__)
    if (getenv("OPENBLAS_CORETYPE") != NULL) return;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        setenv("OPENBLAS_CORETYPE", "Haswell", 0);
    }
#endif
}

static void load(void) {
    choose_core_type();
    // Debian's libopenblas0 provides libopenblas.so.0 (through alternatives); the
    // unversioned name comes with libopenblas-dev.
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && library == NULL; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (library == NULL) {
        // dlerror's text lives in a per-thread buffer: keep a copy.
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s", why != NULL ? why : "dlopen failed");
        return;
    }
    dgemm_fn found = (dgemm_fn)dlsym(library, "cblas_dgemm");
    if (found == NULL) {
        snprintf(load_error, sizeof load_error, "libopenblas has no cblas_dgemm");
        return;
    }
    set_threads_fn set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    if (set_threads != NULL) set_threads(1);
    core_name = (core_name_fn)dlsym(library, "openblas_get_corename");
    get_threads = (get_threads_fn)dlsym(library, "openblas_get_num_threads");
    dgemm = found;
}

int attention_blas_load(void) {
    pthread_once(&once, load);
    return dgemm != NULL;
}

const char *attention_blas_load_error(void) {
    pthread_once(&once, load);
    return load_error[0] != 0 ? load_error : NULL;
}

void attention_blas_dgemm(int transpose_b, int m, int n, int k, const double *a, int lda,
                          const double *b, int ldb, double *c, int ldc) {
    dgemm(ROW_MAJOR, NO_TRANS, transpose_b ? TRANS : NO_TRANS, m, n, k, 1.0, a, lda, b, ldb, 0.0, c, ldc);
}

void attention_blas_dgemm_general(int transpose_a, int transpose_b, int m, int n, int k, const double *a, int lda,
                                  const double *b, int ldb, double beta, double *c, int ldc) {
    dgemm(ROW_MAJOR, transpose_a ? TRANS : NO_TRANS, transpose_b ? TRANS : NO_TRANS, m, n, k, 1.0, a, lda, b, ldb, beta,
          c, ldc);
}

const char *attention_blas_core_name(void) {
    if (!attention_blas_load() || core_name == NULL) return "unavailable";
    const char *name = core_name();
    return name != NULL ? name : "unknown";
}

int attention_blas_threads(void) {
    if (!attention_blas_load() || get_threads == NULL) return 0;
    return get_threads();
}
