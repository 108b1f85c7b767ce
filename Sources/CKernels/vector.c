#include "CKernels.h"

// Long vector loops of the convolution (col2im's shifted adds, the bias gradient's sums, the weight
// gradient's partial sums): Swift compiles the package for the x86-64 baseline, whose vectors are
// 128-bit SSE2; `target_clones` builds these for AVX-512 and AVX2 too, chosen when the library loads.

#if defined(__x86_64__) && defined(__linux__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

CLONES
void circuits_add_f32(float *restrict y, const float *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

CLONES
void circuits_add_f64(double *restrict y, const double *restrict x, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] += x[i];
}

// Sixteen running sums, added pairwise at the end: one sum would wait for each add to finish (float
// addition is not reassociated), and the order is fixed, so a buffer sums to the same value every time.
CLONES
float circuits_sum_f32(const float *x, size_t n) {
    float acc[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int k = 0; k < 16; k++) acc[k] += x[i + (size_t)k];
    }
    for (int width = 8; width >= 1; width /= 2) {
        for (int k = 0; k < width; k++) acc[k] += acc[k + width];
    }
    float s = acc[0];
    for (; i < n; i++) s += x[i];
    return s;
}

CLONES
double circuits_sum_f64(const double *x, size_t n) {
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; k++) acc[k] += x[i + (size_t)k];
    }
    for (int width = 4; width >= 1; width /= 2) {
        for (int k = 0; k < width; k++) acc[k] += acc[k + width];
    }
    double s = acc[0];
    for (; i < n; i++) s += x[i];
    return s;
}
