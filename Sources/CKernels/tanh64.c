#include "CKernels.h"
#include <stdint.h>
#include <string.h>
#include "expm1_reduced.h"

// tanh in double over a vector, a loop the compiler vectorizes (libm's tanh is one call per element,
// about ten nanoseconds: a quarter of a min-char-rnn update went to it).
//
//   tanh|x| = e / (e + 2),   e = expm1(2|x|),   sign restored afterwards.
//
// expm1(t) with t = k·ln2 + r, |r| ≤ ln2/2, k an integer: expm1(t) = 2^k·expm1(r) + (2^k − 1). Both
// terms are ≥ 0 for t ≥ 0, so the sum does not cancel; 2^k − 1 is exact for k ≤ 53. expm1(r) is its
// Taylor series to r¹³ (remainder below 2^−57 relative for |r| ≤ ln2/2), so e is within a few ulp and
// so is the quotient. |x| ≥ 20 gives exactly ±1 (tanh 20 = 1 − 8·10⁻¹⁸ rounds to 1); NaN stays NaN.

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

static inline double tanh_one(double x) {
    double a = x < 0 ? -x : x;
    a = a < 20.0 ? a : 20.0;                        // NaN compares false: stays NaN
    double t = 2.0 * a;
    double ks;
    double m = expm1_reduced(t, &ks);               // expm1(r)
    uint64_t bits;
    memcpy(&bits, &ks, sizeof bits);
    uint64_t scaleBits = (bits + 1023u) << 52;       // 2^k (k ≤ 29 here)
    double scale;
    memcpy(&scale, &scaleBits, sizeof scale);
    double e = scale * m + (scale - 1.0);           // expm1(t)
    double y = e / (e + 2.0);
    return x < 0 ? -y : (x > 0 ? y : x);            // ±0 keep their sign; NaN: x itself
}

CLONES void circuits_tanh_f64(const double *restrict x, double *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = tanh_one(x[i]);
}
