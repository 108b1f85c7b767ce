// The reduced-argument exponential both double kernels build on (exp64.c, tanh64.c).
//
//   e^x = 2^k · e^r,   x = k·ln2 + r,   |r| ≤ ln2/2 (Cody–Waite: ln2 split in two so k·ln2Hi is exact)
//
// Returns expm1(r) from its Taylor series to r¹³ (remainder below 2^−57 relative) and stores in *ks the
// value x/ln2 + 1.5·2⁵², whose low mantissa bits hold k (the callers build 2^k from them). x must be
// finite and small enough for k to fit: the callers clamp it first.
#ifndef CIRCUITS_EXPM1_REDUCED_H
#define CIRCUITS_EXPM1_REDUCED_H

static inline double expm1_reduced(double x, double *ks) {
    const double invLn2 = 1.4426950408889634, ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10;
    const double shifter = 0x1.8p52;                // adding it rounds to an integer held in the low mantissa bits
    double s = x * invLn2 + shifter;
    double k = s - shifter;
    double r = (x - k * ln2Hi) - k * ln2Lo;         // ln2Hi has 32 trailing zero bits: k·ln2Hi is exact
    double p = 1.0 / 6227020800.0;                  // 1/13!
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
    *ks = s;
    return r + (r * r) * p;
}

#endif
