#include "blas_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

// The CBLAS constants (cblas.h): row-major order and the transpose flags.
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef void (*dgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, double alpha,
                         const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
typedef void (*set_threads_fn)(int);
typedef char *(*core_name_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static dgemm_fn dgemm;
static core_name_fn core_name;
static char load_error[512];

static void load(void) {
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

const char *attention_blas_core_name(void) {
    if (!attention_blas_load() || core_name == NULL) return "unavailable";
    const char *name = core_name();
    return name != NULL ? name : "unknown";
}
