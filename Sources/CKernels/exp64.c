#include "CKernels.h"
#include <stdint.h>
#include <string.h>
#include "expm1_reduced.h"

// Softmax's exponentials in double over a vector, a loop the compiler vectorizes: libm's exp is one call
// per element, about six nanoseconds, and min-char-rnn's loss takes 25 × 65 of them per update (a
// twelfth of the Double update went to exp).
//
//   e^v = 2^k · e^r,   v = k·ln2 + r,   |r| ≤ ln2/2 (Cody–Waite: ln2 split in two so k·ln2Hi is exact)
//
// e^r is its Taylor series to r¹³ (remainder below 2^−57 relative), so the result is within about one
// ulp. 2^k is built in the exponent bits as 2^(k−1) and the product doubled, which keeps k = 1024 (v up
// to 709.78) representable. v > 709.78 gives +inf; v < −708 gives 0: e^v is then below 3.3·10⁻³⁰⁸,
// nothing beside the row maximum's e⁰ = 1 (libm would return a number that small or a subnormal).
// NaN stays NaN.

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

static inline double exp_one(double v) {
    double c = v < -708.0 ? -708.0 : (v > 709.782712893384 ? 709.782712893384 : v);   // NaN compares false: stays NaN
    double ks;
    double e = 1.0 + expm1_reduced(c, &ks);         // e^r
    uint64_t bits;
    memcpy(&bits, &ks, sizeof bits);
    uint64_t scaleBits = (bits + 1022u) << 52;      // 2^(k−1), k in [−1021, 1024]
    double scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    double y = (scale * e) * 2.0;
    y = v < -708.0 ? 0.0 : (v > 709.782712893384 ? __builtin_inf() : y);
    return v != v ? v : y;
}

CLONES double circuits_exp_shifted_f64(const double *restrict x, double shift, double *restrict y, size_t n) {
    // The exponentials first, in a loop of their own (so it vectorizes), then eight partial sums in a
    // fixed order (the same total on every CPU).
    for (size_t i = 0; i < n; i++) y[i] = exp_one(x[i] - shift);
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) for (size_t j = 0; j < 8; j++) s[j] += y[i + j];
    for (; i < n; i++) s[i & 7] += y[i];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}
