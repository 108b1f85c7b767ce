#include "CKernels.h"

// The loops below are compiled for AVX-512 and AVX2 (with FMA) as well as the x86-64 baseline, chosen
// when the library loads: a recurrent step's tanh over 100 floats is otherwise SSE2, four lanes wide.
#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// The Taylor series of e^t shares its low-order coefficients between the two uses below:
// (e^t − 1)/t = 1 + t/2! + t²/3! + … Horner's scheme from the t⁶/7! term down is this function, started
// from `lead`, the coefficient already accumulated for t⁶ (1/7! to stop there, more to go further).
static inline float exp_series_tail(float t, float lead) {
    float s = lead;
    s = s * t + 1.0f / 720;
    s = s * t + 1.0f / 120;
    s = s * t + 1.0f / 24;
    s = s * t + 1.0f / 6;
    s = s * t + 0.5f;
    s = s * t + 1.0f;
    return s;
}

// e^x for x in [-87.34, 88], written so the loops below vectorize: Cody–Waite reduction x = n·ln2 + r
// with |r| ≤ ln2/2, e^r by its Taylor series to degree 7 (truncation error below 6e-9, under a tenth of
// a float ulp), and 2^n built in the exponent bits. Rounding to n uses a truncating conversion of
// x·log2(e) ± 1/2, which SSE2 has, rather than rintf/floorf, which it does not.
static inline float exp_reduced(float x) {
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    float t = x * log2e;
    int n = (int)(t + (t >= 0 ? 0.5f : -0.5f));
    float fn = (float)n;
    float r = (x - fn * ln2_hi) - fn * ln2_lo;
    float p = exp_series_tail(r, 1.0f / 5040) * r + 1.0f;
    union { unsigned int u; float f; } scale = { .u = (unsigned int)(n + 127) << 23 };
    return p * scale.f;
}

// e^t − 1 to degree 9 for 0 ≤ t < 1/2 (truncation error below 3e-10 relative): summing the series
// avoids the cancellation of computing e^t and subtracting 1.
static inline float expm1_series(float t) {
    float lead = (1.0f / 362880 * t + 1.0f / 40320) * t + 1.0f / 5040;
    return exp_series_tail(t, lead) * t;
}

CLONES void circuits_sigmoid_f32(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0 ? -v : v;
        // Past |x| = −ln(smallest normal float) ≈ 87.3365, e^−|x| is subnormal, which the 2ⁿ built in
        // the exponent bits cannot represent: clamp there, and flush σ of such x < 0 to 0.
        const float edge = 87.33654f;
        float clamped = a > edge ? edge : a;
        float e = exp_reduced(-clamped);            // e^(−|x|) ≤ 1: no overflow on either side
        float s = 1.0f / (1.0f + e);
        float r = v >= 0 ? s : e * s;               // σ(x) for x < 0 as e/(1+e): no cancellation
        r = a > edge && v < 0 ? 0.0f : r;
        y[i] = v != v ? v : r;                      // NaN in, NaN out
    }
}

CLONES void circuits_tanh_f32(const float *restrict x, float *restrict y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        float a = v < 0 ? -v : v;
        float t = a > 44.0f ? 88.0f : 2 * a;        // tanh(44) is 1 in float; keeps e^t finite
        // e^t − 1: by its series for small t (subtracting 1 from e^t would cancel), else directly.
        float em1 = t < 0.5f ? expm1_series(t) : exp_reduced(t) - 1.0f;
        float r = em1 / (em1 + 2.0f);               // tanh|x| = (e^2|x| − 1) / (e^2|x| + 1)
        r = __builtin_copysignf(r, v);              // odd, and tanh(−0) = −0
        y[i] = v != v ? v : r;
    }
}

CLONES float circuits_exp_shifted_f32(const float *restrict x, float shift, float *restrict y, size_t n) {
    // Eight partial sums in a fixed order, so the loop vectorizes and the total does not depend on the CPU.
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        float v = x[i] - shift;
        // Below -87.3365 e^v is subnormal, which exp_reduced's 2^n cannot represent: flush to 0. Above 88
        // it overflows: +inf.
        float c = v < -87.33654f ? -87.33654f : (v > 88.0f ? 88.0f : v);
        float r = exp_reduced(c);
        r = v < -87.33654f ? 0.0f : (v > 88.0f ? __builtin_inff() : r);
        y[i] = v != v ? v : r;
    }
    size_t i = 0;
    for (; i + 8 <= n; i += 8) for (size_t j = 0; j < 8; j++) s[j] += y[i + j];
    for (; i < n; i++) s[i & 7] += y[i];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}
