#ifndef ATTENTION_MATH_H
#define ATTENTION_MATH_H
// Vector kernels for the softmax passes of attention. Each is compiled for AVX-512,
// for x86-64-v3 (AVX2 + FMA) and for the baseline, and the best the CPU supports is
// chosen once at load time (target_clones), so one binary runs everywhere.

/// The largest non-NaN value among x[0], ..., x[n-1]; -inf when there is none (n = 0,
/// or every value NaN or -inf).
double attention_max(const double *x, long n);

/// x[i] <- exp((x[i] - shift) * factor) for 0 <= i < n, returning the sum of the new
/// values. exp is computed to within a few ulps (relative error below 1e-15), with
/// exp(-inf) = 0 and NaN propagated.
double attention_exp_shift_scale_sum(double *x, long n, double shift, double factor);

// AttentionCore's other C part, in the same module: OpenBLAS loaded on first use.
#include "blas_loader.h"

#endif
