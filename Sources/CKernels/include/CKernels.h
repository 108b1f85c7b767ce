// Elementwise kernels that Swift cannot vectorize by itself (and, for σ and tanh, that libm's scalar
// expf/tanhf cannot). Swift's `squareRoot()` keeps a libm call for
// negative inputs (errno), which stops LLVM from vectorizing any loop that contains it, and the standard
// library's SIMD `squareRoot()` is a loop over lanes. In C, `__builtin_elementwise_sqrt` is a plain IEEE
// square root, so these loops compile to packed sqrt/div instructions.
#ifndef CIRCUITS_CKERNELS_H
#define CIRCUITS_CKERNELS_H

#include <stddef.h>

/// One Adam step over n parameters, in place (buffers must not overlap):
///   m ← b1·m + (1−b1)·g,  v ← b2·v + (1−b2)·g²,  w ← w − stepSize·m / (√v·rootCorrection + epsilon).
/// Both bias corrections are folded into stepSize = η/(1−β₁ᵗ) and rootCorrection = 1/√(1−β₂ᵗ).
void circuits_adam_update_f32(float *w, float *m, float *v, const float *g, size_t n,
                              float b1, float b2, float stepSize, float rootCorrection, float epsilon);
void circuits_adam_update_f64(double *w, double *m, double *v, const double *g, size_t n,
                              double b1, double b2, double stepSize, double rootCorrection, double epsilon);

/// One Adagrad step over n parameters, in place (buffers must not overlap):
///   s ← s + g²,  w ← w − rate·g / (√s + epsilon), or w ← w − rate·g / √(s + epsilon) when epsilonInside.
void circuits_adagrad_update_f32(float *w, float *s, const float *g, size_t n, float rate, float epsilon, int epsilonInside);
void circuits_adagrad_update_f64(double *w, double *s, const double *g, size_t n, double rate, double epsilon, int epsilonInside);

/// Clips g[i] to [−limit, limit] in place (NaN kept); returns how many elements were clipped.
size_t circuits_clip_values_f32(float *g, size_t n, float limit);
size_t circuits_clip_values_f64(double *g, size_t n, double limit);

/// y = σ(x) = 1/(1 + e^−x) elementwise in float, within 3 ulp of the exact value (results below the
/// smallest normal float, x < −87.3365, come out as 0); NaN stays NaN. x and y must not overlap.
void circuits_sigmoid_f32(const float *x, float *y, size_t n);
/// y = tanh(x) elementwise in float, within 2 ulp of the exact value; NaN stays NaN. No overlap.
void circuits_tanh_f32(const float *x, float *y, size_t n);

#endif
