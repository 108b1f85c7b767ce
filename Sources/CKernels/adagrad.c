#include "CKernels.h"

// Compiled for AVX-512 and AVX2 as well as the x86-64 baseline (SSE2), chosen when the library loads:
// packed square roots and divisions four or eight lanes wide instead of two.
#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Adagrad's per-element update. The square of the gradient is its own statement so that no compiler may
// fuse it into the sum (a fused multiply-add rounds once where numpy, the reference, rounds twice);
// __builtin_elementwise_sqrt is the IEEE square root, so the loop vectorizes.
//
// CLIP clips the gradient to [−limit, limit] as it is read, with the compare-and-select of clip.c (NaN
// passes), so clipping and the update are one pass over the gradients instead of two: the same numbers
// as circuits_clip_values then the update. The loop without it is a second copy rather than a clip to
// infinity, so that the unclipped update does exactly the work it did before.
#define ADAGRAD_UPDATE(T, CLIP)                                                                          \
    for (size_t i = 0; i < n; i++) {                                                                     \
        T gi = g[i];                                                                                     \
        if (CLIP) gi = gi < -limit ? -limit : (gi > limit ? limit : gi);                                \
        T square = gi * gi;                                                                              \
        T si = s[i] + square;                                                                            \
        s[i] = si;                                                                                       \
        T root = epsilonInside ? __builtin_elementwise_sqrt(si + epsilon)                               \
                               : __builtin_elementwise_sqrt(si) + epsilon;                              \
        T step = rate * gi;                                                                              \
        w[i] -= step / root;                                                                             \
    }

CLONES void circuits_adagrad_update_f32(float *restrict w, float *restrict s, const float *restrict g, size_t n,
                                 float rate, float epsilon, int epsilonInside, float limit) {
    if (limit < __builtin_inff()) { ADAGRAD_UPDATE(float, 1) } else { ADAGRAD_UPDATE(float, 0) }
}

CLONES void circuits_adagrad_update_f64(double *restrict w, double *restrict s, const double *restrict g, size_t n,
                                 double rate, double epsilon, int epsilonInside, double limit) {
    if (limit < __builtin_inf()) { ADAGRAD_UPDATE(double, 1) } else { ADAGRAD_UPDATE(double, 0) }
}
