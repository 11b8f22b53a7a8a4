#ifndef CBLAS_SHIM_H
#define CBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). Besides cblas_dgemm it declares
// openblas_set_num_threads / openblas_get_num_threads / openblas_get_corename.
#include <cblas.h>
#endif
