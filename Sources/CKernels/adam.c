#include "CKernels.h"

// The two precisions share one body; `restrict` tells the vectorizer the four buffers are distinct.
#define ADAM_UPDATE(T)                                                                                   \
    for (size_t i = 0; i < n; i++) {                                                                     \
        T gi = g[i];                                                                                     \
        T mi = b1 * m[i] + (1 - b1) * gi;                                                                \
        T vi = b2 * v[i] + (1 - b2) * gi * gi;                                                           \
        m[i] = mi;                                                                                       \
        v[i] = vi;                                                                                       \
        w[i] -= stepSize * mi / (__builtin_elementwise_sqrt(vi) * rootCorrection + epsilon);            \
    }

void circuits_adam_update_f32(float *restrict w, float *restrict m, float *restrict v, const float *restrict g, size_t n,
                              float b1, float b2, float stepSize, float rootCorrection, float epsilon) {
    ADAM_UPDATE(float)
}

void circuits_adam_update_f64(double *restrict w, double *restrict m, double *restrict v, const double *restrict g, size_t n,
                              double b1, double b2, double stepSize, double rootCorrection, double epsilon) {
    ADAM_UPDATE(double)
}
