// Elementwise kernels that Swift cannot vectorize by itself. Swift's `squareRoot()` keeps a libm call for
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

#endif
