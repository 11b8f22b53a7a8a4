#include "attention_math.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Eight doubles at a time; each clone lowers these to its own instruction set.
typedef double v8d __attribute__((ext_vector_type(8)));
typedef int64_t v8l __attribute__((ext_vector_type(8)));

#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Vectors travel through pointers between helpers: a v8d argument or return value would
// have a different ABI in each clone.
#define INLINE static inline __attribute__((always_inline))

INLINE void load8(v8d *v, const double *p) { memcpy(v, p, sizeof *v); }
INLINE void store8(double *p, const v8d *v) { memcpy(p, v, sizeof *v); }

CLONES double attention_max(const double *x, long n) {
    // maxnum semantics: a NaN operand yields the other one, so NaN is ignored.
    v8d top = (v8d)(-INFINITY);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        v8d v;
        load8(&v, x + i);
        top = __builtin_elementwise_max(top, v);
    }
    double result = __builtin_reduce_max(top);
    for (; i < n; i++) result = fmax(result, x[i]);
    return result;
}

// e^x = 2^k * e^r, k = round(x / ln 2), r = x - k ln 2 with |r| <= ln 2 / 2. ln 2 is split
// into a high part with 32 trailing zero bits (k * LN2_HIGH is exact) and a low part.
// e^r is its Taylor polynomial of degree 13 (truncation error < 5e-18 on the interval).
// Valid for x in [-708, 709], where 2^k is a normal number.
#define LOG2E 1.4426950408889634
#define LN2_HIGH 6.93147180369123816490e-01
#define LN2_LOW 1.90821492927058770002e-10
// 1.5 * 2^52: adding it rounds |y| < 2^51 to the nearest integer, left in the low bits.
#define SHIFTER 6755399441055744.0

INLINE void exp_in_range(v8d *result, const v8d *argument) {
    v8d x = *argument;
    v8d shifted = x * LOG2E + SHIFTER;
    v8d k = shifted - SHIFTER;
    v8d r = (x - k * LN2_HIGH) - k * LN2_LOW;
    v8d p = (v8d)(1.0 / 6227020800.0);
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    v8l shiftedBits, shifterBits;
    v8d shifterVector = (v8d)SHIFTER;
    memcpy(&shiftedBits, &shifted, sizeof shiftedBits);
    memcpy(&shifterBits, &shifterVector, sizeof shifterBits);
    v8l exponent = ((shiftedBits - shifterBits) + 1023) << 52;
    v8d twoK;
    memcpy(&twoK, &exponent, sizeof twoK);
    *result = p * twoK;
}

CLONES double attention_exp_shift_scale_sum(double *x, long n, double shift, double factor) {
    v8d sums = (v8d)0.0;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        v8d y;
        load8(&y, x + i);
        y = (y - shift) * factor;
        // NaN fails both comparisons, so it takes the libm path with the out-of-range lanes.
        v8l inRange = (y >= -708.0) & (y <= 709.0);
        v8d e;
        if (__builtin_reduce_and(inRange) != 0) {
            exp_in_range(&e, &y);
        } else {
            for (int l = 0; l < 8; l++) e[l] = exp(y[l]);
        }
        store8(x + i, &e);
        sums += e;
    }
    double total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    for (; i < n; i++) {
        double e = exp((x[i] - shift) * factor);
        x[i] = e;
        total += e;
    }
    return total;
}
